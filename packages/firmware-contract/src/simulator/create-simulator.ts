import type { CaptureLine } from '../capture.js';
import { isValidThingName } from '../topics.js';
import { createFleet } from './fleet.js';
import { Gateway, type GatewayCounters } from './gateway.js';
import { loadGatewayState, saveGatewayState } from './gateway-state-file.js';
import { OFFLINE_LINK } from './link.js';
import { MqttConnector, type MqttTransportOptions } from './mqtt-transport.js';
import { hash32 } from './prng.js';
import { MIN_TRANSMIT_INTERVAL_MS } from './transmission-schedule.js';
import type { VirtualMeter } from './virtual-meter.js';

/** A stretch of simulated time, counted from the start, in which the offline gateway has no connection. */
export interface Outage {
  afterS: number;
  durationS: number;
}

/**
 * No broker: everything the gateway publishes is acknowledged at once and
 * goes only to `onCapture`, in simulated time. `outages` cut the
 * (imaginary) connection, so captures show buffering and replay too.
 */
export interface OfflineTransportOptions {
  kind: 'offline';
  outages?: readonly Outage[];
}

export type { MqttTransportOptions };

export interface SimulatorOptions {
  /** The gateway's thing name, which is also its MQTT client id (clause 2.2). */
  thingName: string;
  /** The meters the gateway hears; or `fleet` to draw them with createFleet. */
  meters?: readonly VirtualMeter[];
  fleet?: { count: number; seed?: number };
  /** Seeds the fleet (when `fleet` has none) and the gateway's own choices. Default 1. */
  seed?: number;
  /**
   * Offline only: the simulated time the gateway boots at (ISO 8601, ms or a
   * Date). Default DEFAULT_OFFLINE_START, so that runs repeat. Live gateways
   * run on the wall clock.
   */
  start?: string | number | Date;
  transport: OfflineTransportOptions | MqttTransportOptions;
  /**
   * Packs the air: the fleet's transmissions come at about this rate (each
   * meter sends every meters / framesPerSecond seconds, at least 2 s apart)
   * instead of the meters' own 2-15 minutes. For load and for short live runs.
   */
  framesPerSecond?: number;
  /** The upload interval the gateway ships with (5-3600 s; the shadow may change it). Default 60. */
  uploadIntervalS?: number;
  /** A JSON file keeping gatewaySeq and the store-and-forward buffer across runs. */
  statePath?: string;
  /** The store-and-forward buffer's capacity. Default DEFAULT_BUFFER_CAPACITY_BYTES. */
  bufferCapacityBytes?: number;
  /** Every publish, as the capture format has it, as it goes out. */
  onCapture?(line: CaptureLine): void;
  log?(message: string): void;
}

export interface RunOptions {
  /** Stop once this many new telegram batches have been acknowledged. */
  batches?: number;
  /** Stop after this long: simulated time offline, the wall clock live. */
  durationMs?: number;
  signal?: AbortSignal;
}

/** What one run did (counts are of this run; the gateway's own counters go on across runs). */
export interface RunSummary {
  /** New telegram batches acknowledged. */
  batches: number;
  batchesResent: number;
  framesReceived: number;
  framesForwarded: number;
  framesFiltered: number;
  framesInvalid: number;
  framesDropped: number;
  /** Frames received while offline and acknowledged in a batch since. */
  framesReplayed: number;
  statusMessages: number;
  events: number;
  shadowUpdates: number;
  errorResponses: number;
  connects: number;
  /** -1 when the gateway has never published a batch. */
  lastGatewaySeq: number;
  /** The gateway's clock at the start and end of the run. */
  startedAt: string;
  endedAt: string;
  stoppedBy: 'batches' | 'duration' | 'signal' | 'stop' | 'idle';
}

export interface Simulator {
  readonly meters: readonly VirtualMeter[];
  run(options?: RunOptions): Promise<RunSummary>;
  /** Ends a run in progress (its summary says 'stop'), disconnects, and saves the state. */
  stop(): Promise<void>;
}

/** Where offline runs start unless told otherwise: a winter morning, heating on. */
export const DEFAULT_OFFLINE_START = '2025-01-15T06:00:00.000Z';

/** Offline runs give the event loop a turn now and then, so that signals get through. */
const YIELD_EVERY = 256;

/**
 * The reference gateway simulator: a fleet of virtual meters, heard by a
 * gateway that keeps the firmware contract, publishing offline into a
 * capture or live over mutual TLS to the local emulator or AWS IoT Core.
 *
 * @example
 * const sim = createSimulator({
 *   thingName: 'sim-gw-0001',
 *   fleet: { count: 20 },
 *   transport: { kind: 'offline' },
 *   onCapture: (line) => lines.push(line),
 * });
 * await sim.run({ batches: 10 });
 */
export function createSimulator(options: SimulatorOptions): Simulator {
  const seed = options.seed ?? 1;
  if (!isValidThingName(options.thingName)) {
    throw new RangeError(`invalid thing name '${options.thingName}'`);
  }
  const meters: readonly VirtualMeter[] =
    options.meters ??
    (options.fleet !== undefined
      ? createFleet({ count: options.fleet.count, seed: options.fleet.seed ?? seed })
      : fail('give meters or fleet'));
  const offline = options.transport.kind === 'offline';
  if (!offline && options.start !== undefined) {
    fail('start is for offline runs: a live gateway keeps the real time (clause 8.2)');
  }
  const startMs = offline ? toMs(options.start ?? DEFAULT_OFFLINE_START) : Date.now();
  const transmitIntervalMs = intervalFor(meters.length, options.framesPerSecond);
  if (
    options.uploadIntervalS !== undefined &&
    !(Number.isInteger(options.uploadIntervalS) && options.uploadIntervalS >= 5)
  ) {
    fail('uploadIntervalS must be a whole number of seconds, 5-3600');
  }
  if (options.uploadIntervalS !== undefined && options.uploadIntervalS > 3600) {
    fail('uploadIntervalS must be a whole number of seconds, 5-3600');
  }

  const outages = (offline ? ((options.transport as OfflineTransportOptions).outages ?? []) : [])
    .map((o) => {
      if (!(o.afterS >= 0 && o.durationS > 0)) fail('an outage needs afterS ≥ 0 and durationS > 0');
      return { from: startMs + o.afterS * 1000, to: startMs + (o.afterS + o.durationS) * 1000 };
    })
    .sort((a, b) => a.from - b.from);

  const clock = { now: startMs };
  const log = (message: string) => options.log?.(message);
  let gateway: Gateway | null = null;
  let running: Promise<RunSummary> | null = null;
  let stopRequested = false;
  let wake = (): void => undefined;

  async function boot(): Promise<Gateway> {
    const restored =
      options.statePath === undefined
        ? null
        : await loadGatewayState(options.statePath, options.thingName);
    const now = offline ? () => clock.now : () => Date.now();
    return new Gateway({
      thingName: options.thingName,
      meters,
      clock: now,
      ...(transmitIntervalMs === undefined ? {} : { transmitIntervalMs: () => transmitIntervalMs }),
      ...(options.uploadIntervalS === undefined
        ? {}
        : { initialConfig: { uploadIntervalS: options.uploadIntervalS } }),
      ...(options.bufferCapacityBytes === undefined
        ? {}
        : { bufferCapacityBytes: options.bufferCapacityBytes }),
      restored,
      shadowAnswers: !offline,
      // Offline runs repeat byte for byte; live ones must not take another run's tokens.
      clientTokenPrefix: `zw-sim-${hex(hash32(seed, offline ? startMs : Date.now()))}`,
      ...(options.statePath === undefined
        ? {}
        : { persist: (state) => saveGatewayState(options.statePath!, state) }),
      ...(options.onCapture === undefined ? {} : { onPublish: options.onCapture }),
      log,
      onChange: () => wake(),
    });
  }

  async function run(runOptions: RunOptions = {}): Promise<RunSummary> {
    const { batches, durationMs } = runOptions;
    if (batches !== undefined && !(Number.isSafeInteger(batches) && batches > 0)) {
      fail('batches must be a whole number above 0');
    }
    if (durationMs !== undefined && !(durationMs > 0)) fail('durationMs must be above 0');
    if (offline && batches === undefined && durationMs === undefined) {
      fail('an offline run needs batches or durationMs to end');
    }
    if (offline && meters.length === 0 && durationMs === undefined) {
      fail('without meters there are no batches: give durationMs');
    }
    gateway ??= await boot();
    const gw = gateway;
    const before = { ...gw.counters };
    const startedAt = new Date(offline ? clock.now : Date.now()).toISOString();
    const stoppedBy = offline
      ? await runOffline(gw, runOptions, before)
      : await runLive(gw, options.transport as MqttTransportOptions, runOptions, before);
    if (options.statePath !== undefined) await saveGatewayState(options.statePath, gw.state(true));
    return summarise(gw.counters, before, {
      startedAt,
      endedAt: new Date(offline ? clock.now : Date.now()).toISOString(),
      stoppedBy,
    });
  }

  async function runOffline(
    gw: Gateway,
    { batches, durationMs, signal }: RunOptions,
    before: GatewayCounters,
  ): Promise<RunSummary['stoppedBy']> {
    const endAt = durationMs === undefined ? Infinity : clock.now + durationMs;
    let spins = 0;
    for (let i = 0; ; i++) {
      if (signal?.aborted) return 'signal';
      if (stopRequested) return 'stop';
      const inOutage = outages.some((o) => clock.now >= o.from && clock.now < o.to);
      if (inOutage && gw.connected) gw.linkDown();
      // The session persists across an outage (clean: false), so nothing is resubscribed.
      if (!inOutage && !gw.connected) await gw.linkUp(OFFLINE_LINK, gw.counters.connects > 0);
      await gw.runDue();
      await gw.settled();
      if (batches !== undefined && gw.counters.batchesAcked - before.batchesAcked >= batches) {
        return 'batches';
      }
      if (clock.now >= endAt) return 'duration';
      const boundary =
        outages.flatMap((o) => [o.from, o.to]).find((t) => t > clock.now) ?? Infinity;
      const next = Math.min(gw.nextDueAt(), boundary, endAt);
      if (next === Infinity) return 'idle';
      if (next > clock.now) {
        clock.now = next;
        spins = 0;
      } else if (++spins > 10_000) {
        throw new Error('the offline simulation stopped advancing (a simulator bug)');
      }
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
    }
  }

  async function runLive(
    gw: Gateway,
    transport: MqttTransportOptions,
    { batches, durationMs, signal }: RunOptions,
    before: GatewayCounters,
  ): Promise<RunSummary['stoppedBy']> {
    const alarm = new Alarm();
    wake = () => alarm.ring();
    const onAbort = () => alarm.ring();
    signal?.addEventListener('abort', onAbort);
    const connector = new MqttConnector(transport, options.thingName, {
      up: (link, sessionPresent) => void gw.linkUp(link, sessionPresent),
      down: () => gw.linkDown(),
      message: (topic, payload) => gw.message(topic, payload),
      log,
    });
    const endAt = durationMs === undefined ? Infinity : Date.now() + durationMs;
    connector.start();
    try {
      for (;;) {
        if (signal?.aborted) return 'signal';
        if (stopRequested) return 'stop';
        await gw.runDue();
        if (batches !== undefined && gw.counters.batchesAcked - before.batchesAcked >= batches) {
          return 'batches';
        }
        if (Date.now() >= endAt) return 'duration';
        await alarm.sleep(Math.min(gw.nextDueAt(), endAt) - Date.now());
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      wake = () => undefined;
      // The last lastGatewaySeq goes to the shadow, and PUBACKs in flight get a moment,
      // so that a clean stop leaves little to resend and a stateless restart counts on above it.
      gw.reportNow();
      await gw.runDue().catch(() => undefined);
      await Promise.race([gw.settled(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await connector.stop();
      gw.linkDown();
    }
  }

  return {
    meters,
    run(runOptions) {
      if (running !== null) return Promise.reject(new Error('the simulator is already running'));
      stopRequested = false;
      running = run(runOptions).finally(() => {
        running = null;
      });
      return running;
    },
    async stop() {
      stopRequested = true;
      wake();
      await running?.catch(() => undefined);
    },
  };
}

/** A sleep that anything may cut short; a ring while awake is not lost. */
class Alarm {
  #ring: (() => void) | null = null;
  #rung = false;

  ring(): void {
    if (this.#ring === null) this.#rung = true;
    else this.#ring();
  }

  sleep(ms: number): Promise<void> {
    if (this.#rung || ms <= 0) {
      this.#rung = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // Timers take 32 bits; a longer wait just wakes up to look again.
      const done = () => {
        clearTimeout(timer);
        this.#ring = null;
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, 0x7fff_ffff));
      this.#ring = done;
    });
  }
}

function intervalFor(meters: number, framesPerSecond: number | undefined): number | undefined {
  if (framesPerSecond === undefined) return undefined;
  if (!(framesPerSecond > 0)) fail('framesPerSecond must be above 0');
  if (meters === 0) return undefined;
  const interval = Math.round((meters * 1000) / framesPerSecond);
  if (interval < MIN_TRANSMIT_INTERVAL_MS) {
    const most = (meters * 1000) / MIN_TRANSMIT_INTERVAL_MS;
    fail(
      `framesPerSecond ${framesPerSecond} is more than ${meters} meters send: at most ${most} (one frame per meter every ${MIN_TRANSMIT_INTERVAL_MS / 1000} s)`,
    );
  }
  return interval;
}

function summarise(
  now: GatewayCounters,
  before: GatewayCounters,
  extra: Pick<RunSummary, 'startedAt' | 'endedAt' | 'stoppedBy'>,
): RunSummary {
  const d = (key: keyof GatewayCounters) => now[key] - before[key];
  return {
    batches: d('batchesAcked'),
    batchesResent: d('batchesResent'),
    framesReceived: d('framesReceived'),
    framesForwarded: d('framesForwarded'),
    framesFiltered: d('framesFiltered'),
    framesInvalid: d('framesInvalid'),
    framesDropped: d('framesDropped'),
    framesReplayed: d('framesReplayed'),
    statusMessages: d('statusMessages'),
    events: d('events'),
    shadowUpdates: d('shadowUpdates'),
    errorResponses: d('errorResponses'),
    connects: d('connects'),
    lastGatewaySeq: now.lastGatewaySeq,
    ...extra,
  };
}

function toMs(start: string | number | Date): number {
  const ms =
    start instanceof Date ? start.getTime() : typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(ms)) fail(`start is not a time: ${String(start)}`);
  return ms;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

function fail(message: string): never {
  throw new RangeError(message);
}
