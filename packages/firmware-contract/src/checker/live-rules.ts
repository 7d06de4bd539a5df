import { isPlainObject, type CapturedMessage } from './captured-message.js';
import { notObserved, type ClauseResult, type Finding } from './check-report.js';
import { clauseInfo } from './clauses.js';
import { isoTime, plural } from './rule-context.js';

/** An IoT Core lifecycle event of the gateway's client id, as the monitor received it. */
export interface PresenceEvent {
  eventType: 'connected' | 'disconnected';
  clientId: string;
  /** ms since the epoch, the broker's clock. */
  timestamp: number;
  /** Disconnects only: IoT Core's reason (`API_INITIATED_DISCONNECT`, `MQTT_KEEP_ALIVE_TIMEOUT`, …). */
  disconnectReason?: string;
  clientInitiatedDisconnect?: boolean;
}

/** The forced disconnect, as far as it got. Times are the broker's (presence events). */
export type DisconnectPhase =
  | { ran: false; reason: string }
  | {
      ran: true;
      /** ms since the epoch, the checker's clock. */
      requestedAt: number;
      /** The disconnected event the request caused; null when none came (not connected). */
      disconnectedAt: number | null;
      /** The next connected event; null when the gateway did not come back in time. */
      reconnectedAt: number | null;
    };

/** The desired-configuration change, as far as it got. */
export type ConfigPhase =
  | { ran: false; reason: string }
  | {
      ran: true;
      /** ms since the epoch, the checker's clock, when it sent the desired change. */
      requestedAt: number;
      configVersion: number;
      /** The whole desired state after the change, which the gateway must report back. */
      desired: Record<string, unknown>;
    };

/** What a live run saw, handed to the pure judgement. */
export interface LiveObservation {
  thingName: string;
  /** ms since the epoch (the checker's clock): the run's first and last moment. */
  startedAt: number;
  endedAt: number;
  /** The gateway's publishes in the order the monitor received them. */
  messages: readonly CapturedMessage[];
  presence: readonly PresenceEvent[];
  disconnect: DisconnectPhase;
  config: ConfigPhase;
  timeoutSeconds: number;
}

/**
 * Slack on the edges of the offline window for 7.3: the gateway notices the
 * cut and the reconnect a moment after the broker does.
 */
const OFFLINE_EDGE_MS = 1000;

/** 2.5: the first reconnect attempt comes after 1–5 s, and never two CONNECTs within a second. */
const MIN_RECONNECT_MS = 1000;

function result(
  clause: string,
  status: ClauseResult['status'],
  reason: string,
  findings: Finding[] = [],
): ClauseResult {
  return { clause, title: clauseInfo(clause).title, status, reason, findings };
}

function connects(o: LiveObservation): PresenceEvent[] {
  return o.presence.filter((e) => e.eventType === 'connected' && e.clientId === o.thingName);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function presenceTopic(event: PresenceEvent): string {
  return `$aws/events/presence/${event.eventType}/${event.clientId}`;
}

function clientId(o: LiveObservation): ClauseResult {
  const events = o.presence.filter((e) => e.clientId === o.thingName);
  if (events.length === 0) {
    return notObserved('2.2', 'the gateway neither connected nor disconnected while watched');
  }
  // The emulator admits a gateway certificate only under its thing name, so a presence
  // event of the thing's client id is the proof; capture lines are judged separately.
  return result(
    '2.2',
    'pass',
    `${plural(events.length, 'presence event')} under client id ${o.thingName}`,
  );
}

function keepAlive(o: LiveObservation): ClauseResult {
  const timeouts = o.presence.filter(
    (e) => e.eventType === 'disconnected' && e.disconnectReason === 'MQTT_KEEP_ALIVE_TIMEOUT',
  );
  if (timeouts.length > 0) {
    return result(
      '2.3',
      'fail',
      'the broker closed the connection for a missed keep-alive',
      timeouts.map((e) => ({
        topic: presenceTopic(e),
        message: `disconnected at ${isoTime(e.timestamp)}: nothing received within 1.5 × the keep-alive`,
        expected: 'a PINGREQ or other packet within every keep-alive period (30–1200 s)',
        actual: 'MQTT_KEEP_ALIVE_TIMEOUT',
      })),
    );
  }
  return notObserved(
    '2.3',
    `no keep-alive timeout in ${seconds(o.endedAt - o.startedAt)}; the keep-alive value itself is not visible to a monitor (presence events do not carry it)`,
  );
}

function persistentSession(): ClauseResult {
  return notObserved(
    '2.4',
    'presence events do not say whether a session was resumed (cleanSession / sessionPresent)',
  );
}

function backoff(o: LiveObservation): ClauseResult {
  const findings: Finding[] = [];
  const events = o.presence.filter((e) => e.clientId === o.thingName);
  // Any reconnect after a disconnect the gateway did not ask for, sooner than 1 s.
  for (let i = 1; i < events.length; i++) {
    const previous = events[i - 1]!;
    const event = events[i]!;
    if (event.eventType !== 'connected') continue;
    const after = event.timestamp - previous.timestamp;
    if (previous.eventType === 'connected' && after < MIN_RECONNECT_MS) {
      findings.push({
        topic: presenceTopic(event),
        message: `two connections within ${after} ms`,
        expected: 'at most one CONNECT per second',
        actual: `${after} ms apart`,
      });
    } else if (
      previous.eventType === 'disconnected' &&
      previous.clientInitiatedDisconnect !== true &&
      after < MIN_RECONNECT_MS
    ) {
      findings.push({
        topic: presenceTopic(event),
        message: `reconnected ${after} ms after being disconnected (${previous.disconnectReason ?? 'no reason'})`,
        expected: 'the first retry after 1–5 s, then exponential backoff with jitter',
        actual: `${after} ms`,
      });
    }
  }
  const phase = o.disconnect;
  if (phase.ran && phase.disconnectedAt !== null && phase.reconnectedAt === null) {
    findings.push({
      message: `did not reconnect within ${o.timeoutSeconds} s after the checker cut the connection`,
      expected: 'a reconnect after 1–5 s',
      actual: 'no connected event',
    });
  }
  if (findings.length > 0) {
    return result('2.5', 'fail', `${plural(findings.length, 'reconnect problem')}`, findings);
  }
  if (!phase.ran) return notObserved('2.5', phase.reason);
  if (phase.disconnectedAt === null) {
    return notObserved(
      '2.5',
      'the gateway was not connected when the checker cut its connection (no disconnected event)',
    );
  }
  return result(
    '2.5',
    'pass',
    `reconnected ${seconds(phase.reconnectedAt! - phase.disconnectedAt)} after the checker cut the connection`,
  );
}

function frameTime(frame: unknown): number {
  return isPlainObject(frame) && typeof frame.receivedAt === 'string'
    ? Date.parse(frame.receivedAt)
    : NaN;
}

function replay(o: LiveObservation): ClauseResult {
  const phase = o.disconnect;
  if (!phase.ran) return notObserved('7.3', phase.reason);
  if (phase.disconnectedAt === null || phase.reconnectedAt === null) {
    return notObserved('7.3', 'no offline period: the forced disconnect did not complete');
  }
  const from = phase.disconnectedAt + OFFLINE_EDGE_MS;
  const to = phase.reconnectedAt - OFFLINE_EDGE_MS;
  let offline = 0;
  const findings: Finding[] = [];
  for (const m of o.messages) {
    if (m.route.kind !== 'telegrams' || !m.body.ok || !isPlainObject(m.body.value)) continue;
    const { frames, gatewaySeq } = m.body.value;
    if (!Array.isArray(frames)) continue;
    frames.forEach((frame: unknown, index) => {
      const at = frameTime(frame);
      if (!(at >= from && at <= to)) return;
      offline++;
      if (isPlainObject(frame) && frame.replayed === true) return;
      findings.push({
        line: m.line,
        topic: m.topic,
        ...(typeof gatewaySeq === 'number' ? { gatewaySeq } : {}),
        frameIndex: index,
        message: `frame received at ${isoTime(at)}, while the gateway was offline (${isoTime(phase.disconnectedAt!)} – ${isoTime(phase.reconnectedAt!)}), is not marked replayed`,
        expected: '"replayed": true',
        actual:
          isPlainObject(frame) && 'replayed' in frame ? JSON.stringify(frame.replayed) : 'absent',
      });
    });
  }
  if (findings.length > 0) {
    return result(
      '7.3',
      'fail',
      `${plural(findings.length, 'frame')} received offline sent without "replayed"`,
      findings,
    );
  }
  if (offline === 0) {
    return notObserved(
      '7.3',
      `no frame received during the ${seconds(phase.reconnectedAt - phase.disconnectedAt)} offline was published while watched`,
    );
  }
  return result(
    '7.3',
    'pass',
    `${plural(offline, 'frame')} received while offline, sent after reconnecting marked replayed`,
  );
}

/** 11.3 and 12.1 after each connect: a shadow get, a status, within the timeout. */
function afterConnect(
  o: LiveObservation,
  clause: '11.3' | '12.1',
  what: string,
  isIt: (m: CapturedMessage) => boolean,
): ClauseResult {
  const timeout = o.timeoutSeconds * 1000;
  const list = connects(o);
  const findings: Finding[] = [];
  let judged = 0;
  list.forEach((event, i) => {
    const next = list[i + 1]?.timestamp ?? Infinity;
    const until = Math.min(event.timestamp + timeout, next);
    const seen = o.messages.some(
      (m) => isIt(m) && m.receivedAt >= event.timestamp && m.receivedAt <= until,
    );
    if (seen) {
      judged++;
      return;
    }
    // A connect too close to the end of the run, or cut short by the next one, proves nothing.
    if (event.timestamp + timeout > Math.min(o.endedAt, next)) return;
    judged++;
    findings.push({
      topic: presenceTopic(event),
      message: `connected at ${isoTime(event.timestamp)}, no ${what} within ${o.timeoutSeconds} s`,
      expected: what,
      actual: 'none',
    });
  });
  if (findings.length > 0) {
    return result(
      clause,
      'fail',
      `${plural(findings.length, 'connect')} without a ${what}`,
      findings,
    );
  }
  if (judged === 0) {
    return notObserved(
      clause,
      list.length === 0
        ? 'the checker saw no connect of the gateway'
        : `the run ended less than ${o.timeoutSeconds} s after the gateway connected`,
    );
  }
  return result(clause, 'pass', `a ${what} after each of ${plural(judged, 'connect')}`);
}

function reportedOf(m: CapturedMessage): Record<string, unknown> | null {
  if (m.route.kind !== 'shadow-update' || !m.body.ok || !isPlainObject(m.body.value)) return null;
  const state = m.body.value.state;
  return isPlainObject(state) && isPlainObject(state.reported) ? state.reported : null;
}

function rejectionOf(m: CapturedMessage): number | null {
  if (m.route.kind !== 'event' || !m.body.ok || !isPlainObject(m.body.value)) return null;
  const { event, details } = m.body.value;
  if (event !== 'config-rejected' || !isPlainObject(details)) return null;
  return typeof details.configVersion === 'number' ? details.configVersion : null;
}

/** 11.4 and 11.5: the gateway's answer to the checker's desired change. */
function configAnswer(o: LiveObservation): ClauseResult[] {
  const phase = o.config;
  if (!phase.ran) return [notObserved('11.4', phase.reason), notObserved('11.5', phase.reason)];
  const version = phase.configVersion;
  const after = o.messages.filter((m) => m.receivedAt >= phase.requestedAt - OFFLINE_EDGE_MS);
  const rejection = after.find((m) => rejectionOf(m) === version);
  const applied = after.find((m) => reportedOf(m)?.configVersion === version);
  if (applied !== undefined) {
    const reported = reportedOf(applied)!;
    const findings: Finding[] = [];
    for (const [key, wanted] of Object.entries(phase.desired)) {
      if (JSON.stringify(reported[key]) === JSON.stringify(wanted)) continue;
      findings.push({
        line: applied.line,
        topic: applied.topic,
        message: `reported ${key} differs from the desired configuration ${version} it claims to have applied`,
        expected: JSON.stringify(wanted),
        actual: key in reported ? JSON.stringify(reported[key]) : 'absent',
      });
    }
    const answer =
      findings.length > 0
        ? result('11.4', 'fail', `configVersion ${version} reported with other values`, findings)
        : result(
            '11.4',
            'pass',
            `the desired change to configVersion ${version} was reported back applied after ${seconds(applied.receivedAt - phase.requestedAt)}`,
          );
    const rejected =
      rejection === undefined
        ? notObserved('11.5', `configVersion ${version} was applied, not rejected`)
        : result('11.5', 'fail', `configVersion ${version} both rejected and reported applied`, [
            {
              line: rejection.line,
              topic: rejection.topic,
              message: `a config-rejected event for configVersion ${version}, which line ${applied.line} reports as applied`,
              expected: 'one of the two',
              actual: 'both',
            },
          ]);
    return [answer, rejected];
  }
  if (rejection !== undefined) {
    return [
      notObserved('11.4', `configVersion ${version} was rejected, not applied`),
      result(
        '11.5',
        'pass',
        `the desired change to configVersion ${version} was answered with a config-rejected event`,
      ),
    ];
  }
  return [
    result('11.4', 'fail', `no answer to configVersion ${version}`, [
      {
        topic: `$aws/things/${o.thingName}/shadow/name/zw-config/update`,
        message: `the checker set desired configVersion ${version} at ${isoTime(phase.requestedAt)}; within ${o.timeoutSeconds} s the gateway neither reported it applied nor rejected it`,
        expected: `state.reported.configVersion ${version}, or a config-rejected event naming it`,
        actual: 'no answer',
      },
    ]),
    notObserved('11.5', `configVersion ${version} was not rejected`),
  ];
}

/**
 * The clauses only a live run shows, from what it observed. Pure: the capture
 * clauses on the same messages come from judgeMessages, and the two are merged.
 */
export function judgeLive(o: LiveObservation): ClauseResult[] {
  const isStatus = (m: CapturedMessage) => m.route.kind === 'status';
  const isShadowGet = (m: CapturedMessage) => m.route.kind === 'shadow-get';
  return [
    clientId(o),
    keepAlive(o),
    persistentSession(),
    backoff(o),
    replay(o),
    afterConnect(o, '11.3', 'shadow get', isShadowGet),
    afterConnect(o, '12.1', 'status', isStatus),
    ...configAnswer(o),
  ];
}
