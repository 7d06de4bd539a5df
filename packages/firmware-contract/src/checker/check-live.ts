import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import { parseCaptureLine } from '../capture.js';
import { isValidThingName, topics } from '../topics.js';
import { readMessage, isPlainObject, type CapturedMessage } from './captured-message.js';
import { buildReport, nothingJudged } from './check-capture.js';
import type { CheckReport, Finding } from './check-report.js';
import { judgeMessages } from './judge-messages.js';
import {
  judgeLive,
  type ConfigPhase,
  type DisconnectPhase,
  type PresenceEvent,
} from './live-rules.js';

export interface CheckLiveOptions {
  /** The broker, `mqtts://host:port` (the local emulator's `mqttUrl`). */
  url: string;
  /**
   * TLS server name (SNI, which IoT Core requires). Default: the URL's host,
   * or `localhost` when that is an IP address, for which TLS sends no SNI.
   */
  servername?: string;
  /** The CA that signed the broker's certificate. */
  caPem: string;
  /** The monitor's certificate and key (the emulator issues them; OU `zw-emulator-monitor`). */
  certPem: string;
  keyPem: string;
  /** The gateway to watch. */
  thingName: string;
  /** Seconds to watch before the active checks. Default 60. */
  observeSeconds?: number;
  /** Cut the gateway's connection and watch it reconnect and replay (2.5, 7.3). Default true. */
  disconnect?: boolean;
  /** Change the desired configuration and watch the gateway answer (11.4, 11.5). Default true. */
  configChange?: boolean;
  /** Seconds each answer may take (reconnect, shadow get, status, reported state). Default 30. */
  timeoutSeconds?: number;
  /** Ends the run early; the report then covers what was seen until then. */
  signal?: AbortSignal;
  /** Progress, one line at a time. */
  log?: (text: string) => void;
}

/** The emulator's monitor interface (packages/server: iot/local/monitor). */
const MONITOR_ROOT = 'zw-monitor/v1/gw';
const MONITOR_CLIENT_PREFIX = 'zw-monitor-';

/** How long the forced disconnect may take to show as a presence event. */
const DISCONNECT_EVENT_MS = 5000;

class Inbox {
  readonly messages: CapturedMessage[] = [];
  readonly unreadable: Finding[] = [];
  readonly presence: PresenceEvent[] = [];
  private readonly shadow: { topic: string; payload: Record<string, unknown> }[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly thingName: string,
    private readonly captureTopic: string,
  ) {}

  receive(topic: string, payload: Buffer): void {
    if (topic === this.captureTopic) this.capture(payload);
    else if (topic.startsWith('$aws/events/presence/')) this.presenceEvent(payload);
    else {
      const parsed = parseJson(payload);
      if (isPlainObject(parsed)) this.shadow.push({ topic, payload: parsed });
    }
    for (const wake of [...this.waiters]) wake();
  }

  private capture(payload: Buffer): void {
    const line = this.messages.length + this.unreadable.length + 1;
    const parsed = parseCaptureLine(payload.toString('utf8'));
    if (!parsed.ok) {
      this.unreadable.push({ line, message: `not a capture line: ${parsed.error}` });
      return;
    }
    this.messages.push(readMessage(parsed.value, line));
  }

  private presenceEvent(payload: Buffer): void {
    const event = parseJson(payload);
    if (!isPlainObject(event) || event.clientId !== this.thingName) return;
    if (event.eventType !== 'connected' && event.eventType !== 'disconnected') return;
    this.presence.push({
      eventType: event.eventType,
      clientId: event.clientId,
      timestamp: typeof event.timestamp === 'number' ? event.timestamp : Date.now(),
      ...(typeof event.disconnectReason === 'string'
        ? { disconnectReason: event.disconnectReason }
        : {}),
      ...(typeof event.clientInitiatedDisconnect === 'boolean'
        ? { clientInitiatedDisconnect: event.clientInitiatedDisconnect }
        : {}),
    });
  }

  /** The shadow response to one of the checker's requests. */
  shadowAnswer(clientToken: string): { topic: string; payload: Record<string, unknown> } | null {
    return this.shadow.find((s) => s.payload.clientToken === clientToken) ?? null;
  }

  /** Resolves with the predicate's value once it is not null, or null after `ms` or on abort. */
  waitFor<T>(predicate: () => T | null, ms: number, signal?: AbortSignal): Promise<T | null> {
    const now = predicate();
    if (now !== null || signal?.aborted === true) return Promise.resolve(now);
    return new Promise((resolve) => {
      const finish = (value: T | null) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const check = () => {
        const value = predicate();
        if (value !== null) finish(value);
      };
      const onAbort = () => finish(null);
      const timer = setTimeout(() => finish(null), ms);
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function serverNameOf(url: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return isIP(host) === 0 ? host : 'localhost';
}

function connectMonitor(options: CheckLiveOptions, timeoutMs: number): Promise<MqttClient> {
  const clientId = `${MONITOR_CLIENT_PREFIX}${randomBytes(6).toString('hex')}`;
  const failure = (error: Error) =>
    new Error(`the monitor could not connect to ${options.url}: ${error.message}`);
  let client: MqttClient;
  try {
    client = connect(options.url, {
      clientId,
      ca: options.caPem,
      cert: options.certPem,
      key: options.keyPem,
      servername: serverNameOf(options.url, options.servername),
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
    });
  } catch (error) {
    // A certificate or key that is not PEM fails in the TLS context, before any connection.
    return Promise.reject(failure(error as Error));
  }
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      client.removeAllListeners('connect');
      client.end(true);
      reject(failure(error));
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.off('close', closed);
      resolve(client);
    });
    const closed = () =>
      fail(new Error('the broker closed the connection (is the certificate a monitor’s?)'));
    client.once('error', fail);
    client.once('close', closed);
  });
}

/**
 * Watches one gateway through a broker as the cloud side does, then drives
 * it: cuts its connection and watches it reconnect and replay, changes its
 * desired configuration and watches it answer. Every publish the gateway makes
 * meanwhile is judged like a capture. Resolves with the report; rejects only
 * when the monitor cannot connect or subscribe.
 *
 * @example
 * const report = await checkLive({ url, caPem, certPem, keyPem, thingName: 'gw-0042' });
 * process.stdout.write(formatReport(report));
 */
export async function checkLive(options: CheckLiveOptions): Promise<CheckReport> {
  const { thingName, signal } = options;
  if (!isValidThingName(thingName)) {
    throw new RangeError(
      `'${thingName}' is not a thing name (1–64 characters of A-Z a-z 0-9 : _ -)`,
    );
  }
  const observeMs = (options.observeSeconds ?? 60) * 1000;
  const timeoutSeconds = options.timeoutSeconds ?? 30;
  const timeoutMs = timeoutSeconds * 1000;
  const log = options.log ?? (() => undefined);
  const captureTopic = `${MONITOR_ROOT}/${thingName}/capture`;
  const inbox = new Inbox(thingName, captureTopic);

  const client = await connectMonitor(options, timeoutMs);
  let lost: string | null = null;
  let ending = false;
  client.on('close', () => {
    if (!ending) lost ??= 'the broker closed the monitor’s connection';
  });
  client.on('message', (topic, payload) => inbox.receive(topic, payload));
  const startedAt = Date.now();
  let disconnect: DisconnectPhase;
  let config: ConfigPhase;
  try {
    const shadow = (operation: Parameters<typeof topics.shadow>[1]) =>
      topics.shadow(thingName, operation);
    const filters = [
      captureTopic,
      `$aws/events/presence/+/${thingName}`,
      shadow('get/accepted'),
      shadow('get/rejected'),
      shadow('update/accepted'),
      shadow('update/rejected'),
    ];
    const granted = await client.subscribeAsync(
      Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])),
    );
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length > 0) {
      throw new Error(
        `the broker refused the monitor's subscriptions to ${refused.join(', ')}: is the certificate a monitor's, and the broker the IoT Core emulator?`,
      );
    }
    log(`watching ${thingName} for ${observeMs / 1000} s`);
    await sleep(observeMs, signal);

    if (options.disconnect === false) {
      disconnect = { ran: false, reason: 'not run (--no-disconnect)' };
    } else if (signal?.aborted === true || lost !== null) {
      disconnect = { ran: false, reason: 'the run was stopped before the forced disconnect' };
    } else {
      disconnect = await forceDisconnect(client, inbox, { thingName, timeoutMs, signal, log });
    }

    if (options.configChange === false) {
      config = { ran: false, reason: 'not run (--no-config-change)' };
    } else if (signal?.aborted === true || lost !== null) {
      config = { ran: false, reason: 'the run was stopped before the configuration change' };
    } else {
      config = await changeConfig(client, inbox, { thingName, timeoutMs, signal, log });
    }
  } finally {
    ending = true;
    await client.endAsync(true).catch(() => undefined);
  }
  const endedAt = Date.now();

  const seenAlive = inbox.presence.length > 0 || inbox.messages.length > 0;
  const problem =
    lost !== null && !seenAlive
      ? lost
      : seenAlive
        ? undefined
        : `${thingName} neither connected, disconnected nor published in ${Math.round((endedAt - startedAt) / 1000)} s: is it running against this broker?`;
  const results =
    problem === undefined
      ? [
          ...judgeMessages(thingName, inbox.messages),
          ...judgeLive({
            thingName,
            startedAt,
            endedAt,
            messages: inbox.messages,
            presence: inbox.presence,
            disconnect,
            config,
            timeoutSeconds,
          }),
        ]
      : nothingJudged(problem, true);
  return buildReport({
    source: 'live',
    thingName,
    results,
    lines: inbox.messages.length + inbox.unreadable.length,
    messages: inbox.messages.length,
    otherClients: 0,
    unreadable: inbox.unreadable,
    ...(problem === undefined ? {} : { problem }),
  });
}

/**
 * Publishes at QoS 1 and waits for the PUBACK. False when the monitor is not
 * connected or no PUBACK comes in time: mqtt.js would otherwise queue the
 * message for a reconnect that, with reconnectPeriod 0, never happens.
 */
async function send(
  client: MqttClient,
  topic: string,
  payload: unknown,
  timeoutMs: number,
): Promise<boolean> {
  if (!client.connected) return false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      client.publishAsync(topic, JSON.stringify(payload), { qos: 1 }).then(() => true),
      late,
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

interface Step {
  thingName: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  log: (text: string) => void;
}

async function forceDisconnect(
  client: MqttClient,
  inbox: Inbox,
  step: Step,
): Promise<DisconnectPhase> {
  const { thingName, timeoutMs, signal, log } = step;
  const before = inbox.presence.length;
  const requestedAt = Date.now();
  log(`cutting ${thingName}'s connection`);
  if (!(await send(client, `${MONITOR_ROOT}/${thingName}/disconnect`, {}, timeoutMs))) {
    return { ran: false, reason: 'the monitor could not publish the disconnect request' };
  }
  const cut = await inbox.waitFor(
    () => inbox.presence.slice(before).find((e) => e.eventType === 'disconnected') ?? null,
    DISCONNECT_EVENT_MS,
    signal,
  );
  if (cut === null) {
    log(`${thingName} was not connected`);
    return { ran: true, requestedAt, disconnectedAt: null, reconnectedAt: null };
  }
  const back = await inbox.waitFor(
    () =>
      inbox.presence
        .slice(before)
        .find((e) => e.eventType === 'connected' && e.timestamp >= cut.timestamp) ?? null,
    timeoutMs,
    signal,
  );
  if (back === null) {
    log(`${thingName} did not reconnect within ${timeoutMs / 1000} s`);
    return { ran: true, requestedAt, disconnectedAt: cut.timestamp, reconnectedAt: null };
  }
  log(`${thingName} reconnected after ${((back.timestamp - cut.timestamp) / 1000).toFixed(1)} s`);
  // Give it the time the contract gives it to get its shadow, send its status and replay.
  const settled = (m: CapturedMessage) => m.receivedAt >= back.timestamp;
  await inbox.waitFor(
    () => {
      const after = inbox.messages.filter(settled);
      const done =
        after.some((m) => m.route.kind === 'shadow-get') &&
        after.some((m) => m.route.kind === 'status') &&
        after.some((m) => m.route.kind === 'telegrams');
      return done ? true : null;
    },
    timeoutMs,
    signal,
  );
  return {
    ran: true,
    requestedAt,
    disconnectedAt: cut.timestamp,
    reconnectedAt: back.timestamp,
  };
}

async function changeConfig(client: MqttClient, inbox: Inbox, step: Step): Promise<ConfigPhase> {
  const { thingName, timeoutMs, signal, log } = step;
  const token = `zw-check-${randomBytes(6).toString('hex')}`;
  const get = { clientToken: `${token}-get` };
  if (!(await send(client, topics.shadow(thingName, 'get'), get, timeoutMs))) {
    return { ran: false, reason: 'the monitor could not publish its shadow get' };
  }
  const got = await inbox.waitFor(() => inbox.shadowAnswer(`${token}-get`), timeoutMs, signal);
  if (got === null) {
    return {
      ran: false,
      reason: `the shadow did not answer the checker's get within ${timeoutMs / 1000} s`,
    };
  }
  let desired: Record<string, unknown> = {};
  let current = 0;
  if (got.topic.endsWith('/get/accepted')) {
    const state = isPlainObject(got.payload.state) ? got.payload.state : {};
    desired = isPlainObject(state.desired) ? { ...state.desired } : {};
    const reported = isPlainObject(state.reported) ? state.reported : {};
    for (const v of [desired.configVersion, reported.configVersion]) {
      if (typeof v === 'number' && Number.isSafeInteger(v) && v > current) current = v;
    }
  } else if (got.payload.code !== 404) {
    // 404 is a shadow that does not exist yet: the change creates it.
    return {
      ran: false,
      reason: `the shadow refused the checker's get: ${JSON.stringify(got.payload)}`,
    };
  }
  const configVersion = current + 1;
  log(`setting ${thingName}'s desired configVersion to ${configVersion}`);
  // Before publishing: the gateway may answer before the shadow's acceptance reaches us.
  const requestedAt = Date.now();
  const update = { state: { desired: { configVersion } }, clientToken: `${token}-update` };
  if (!(await send(client, topics.shadow(thingName, 'update'), update, timeoutMs))) {
    return { ran: false, reason: 'the monitor could not publish its shadow update' };
  }

  const updated = await inbox.waitFor(
    () => inbox.shadowAnswer(`${token}-update`),
    timeoutMs,
    signal,
  );
  if (updated === null || !updated.topic.endsWith('/update/accepted')) {
    return {
      ran: false,
      reason:
        updated === null
          ? `the shadow did not answer the checker's update within ${timeoutMs / 1000} s`
          : `the shadow refused the checker's update: ${JSON.stringify(updated.payload)}`,
    };
  }
  const answered = (m: CapturedMessage) => {
    if (!m.body.ok || !isPlainObject(m.body.value)) return false;
    const { state, event, details } = m.body.value;
    if (m.route.kind === 'shadow-update' && isPlainObject(state) && isPlainObject(state.reported)) {
      return state.reported.configVersion === configVersion;
    }
    return (
      m.route.kind === 'event' &&
      event === 'config-rejected' &&
      isPlainObject(details) &&
      details.configVersion === configVersion
    );
  };
  const answer = await inbox.waitFor(
    () => inbox.messages.find(answered) ?? null,
    timeoutMs,
    signal,
  );
  log(
    answer === null
      ? `${thingName} did not answer configVersion ${configVersion} within ${timeoutMs / 1000} s`
      : `${thingName} answered configVersion ${configVersion}`,
  );
  return { ran: true, requestedAt, configVersion, desired: { ...desired, configVersion } };
}
