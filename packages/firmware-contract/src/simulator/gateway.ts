import { capturePayload, type CaptureLine } from '../capture.js';
import { topics } from '../topics.js';
import type {
  BufferStats,
  Firmware,
  GatewayEvent,
  GatewayStatus,
  PayloadKind,
  RadioStats,
  ShadowReported,
  TelegramBatch,
  TelegramFrame,
} from '../types.js';
import { validate } from '../validate.js';
import {
  FrameBuffer,
  queuedFrame,
  type OverflowEpisode,
  type QueuedFrame,
} from './frame-buffer.js';
import { applyDesired, DEFAULT_CONFIG, hears, type GatewayConfig } from './gateway-config.js';
import { STATE_FORMAT, type GatewayState } from './gateway-state-file.js';
import type { Link } from './link.js';
import { MAX_IN_FLIGHT, PublishPacer } from './publish-pacer.js';
import { receive } from './radio.js';
import { TransmissionQueue } from './transmission-queue.js';
import { ownIntervalMs } from './transmission-schedule.js';
import type { VirtualMeter } from './virtual-meter.js';

/** What the simulated gateway says it runs. */
export const SIMULATOR_FIRMWARE: Readonly<Firmware> = {
  vendor: 'Zählwerk',
  model: 'zw-contract simulate',
  version: '1.0.0',
};

/** A day's traffic of a large building fits (clause 7.1 asks for 24 hours). */
export const DEFAULT_BUFFER_CAPACITY_BYTES = 16 * 1024 * 1024;

/** Clause 4.4. */
const MAX_BATCH_BYTES = 65_536;
/** Sequence numbers reserved in the state file ahead of use (clause 6.2). */
const SEQ_BLOCK = 1000;
/** Clause 6.3: batches may have gone out after the last reported lastGatewaySeq. */
const LOST_COUNTER_MARGIN = 1_000_000;
/**
 * How long a get may stay unanswered before it is asked again (IoT Core may
 * deliver nothing for a while after a SUBACK, clause 2.6): once for the
 * configuration, and on and on, further apart, by a gateway that lost its
 * counter, since only the shadow can tell it which numbers are used.
 */
const SHADOW_WAIT_MS = 10_000;
const SHADOW_WAIT_MAX_MS = 5 * 60_000;
/** Acknowledged batches kept for a cloud's "retry" answer (clause 13.3). */
const RECENT_BATCHES = 64;
const MAX_QUEUED_EVENTS = 1000;
/** Shadow requests still awaiting their answer that are remembered. */
const MAX_OPEN_TOKENS = 64;
/** Share of the buffer's capacity in use below which an overflow counts as over. */
const OVERFLOW_OVER = 0.9;

export interface GatewayOptions {
  thingName: string;
  meters: readonly VirtualMeter[];
  /** The gateway's clock, UTC ms: simulated offline, the wall clock live. */
  clock: () => number;
  /** Each meter's transmit interval; its own by default. */
  transmitIntervalMs?: (meter: VirtualMeter) => number;
  /** The configuration the gateway ships with (before its shadow says otherwise). */
  initialConfig?: Partial<Omit<GatewayConfig, 'configVersion'>>;
  bufferCapacityBytes?: number;
  /** What a previous run left (statePath). */
  restored?: GatewayState | null;
  /**
   * Whether the broker answers shadow requests (live: yes; offline there is
   * no broker). Then a counter that was not restored is taken from the
   * shadow's lastGatewaySeq before the first batch (clause 6.3): batches
   * wait in the buffer until the shadow has answered.
   */
  shadowAnswers: boolean;
  /** Unique per boot: the gateway's shadow requests are told from others' by it. */
  clientTokenPrefix: string;
  /** Saves the state; called before a sequence number beyond the reserved ones is used. */
  persist?: (state: GatewayState) => Promise<void>;
  /** Every publish, as a capture line, before it goes out. */
  onPublish?: (line: CaptureLine) => void;
  log?: (message: string) => void;
  /** Something happened outside the gateway's own schedule (an ack, a message, a link). */
  onChange?: () => void;
}

interface PendingBatch {
  seq: number;
  payload: string;
  frames: number;
  replayedFrames: number;
  bytes: number;
  oldestMs: number;
  /** Went out at least once: a later publish is a resend under the same number. */
  published: boolean;
  acked: boolean;
}

type OutMessage =
  | { kind: 'batch'; batch: PendingBatch }
  | { kind: 'event'; event: GatewayEvent }
  | { kind: 'status' | 'shadow-get' | 'shadow-update'; topic: string; payload: string };

/** The gateway's counters since boot, for the run summary. */
export interface GatewayCounters {
  framesReceived: number;
  framesForwarded: number;
  framesFiltered: number;
  framesInvalid: number;
  framesDropped: number;
  framesReplayed: number;
  batchesAcked: number;
  batchesResent: number;
  statusMessages: number;
  events: number;
  shadowUpdates: number;
  errorResponses: number;
  connects: number;
  lastGatewaySeq: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The reference gateway: receives the fleet's frames, batches them, keeps
 * them while offline and replays them, and talks to its shadow, all by the
 * firmware contract. It has no timers of its own: a runner calls `runDue()`
 * at the times `nextDueAt()` names (simulated time offline, the wall clock
 * live) and hands it connections as they come and go.
 */
export class Gateway {
  config: GatewayConfig;
  readonly bootAtMs: number;
  readonly #o: GatewayOptions;
  readonly #traffic: TransmissionQueue;
  readonly #buffer: FrameBuffer;
  readonly #pacer = new PublishPacer();
  readonly #topics: {
    telegrams: string;
    status: string;
    errors: string;
    get: string;
    update: string;
    getAccepted: string;
    getRejected: string;
    updateAccepted: string;
    updateRejected: string;
    delta: string;
  };

  #link: Link | null = null;
  /** The connection being set up (subscribing); it becomes #link when that is done. */
  #connecting: Link | null = null;
  #inFlight = 0;
  readonly #pending = new Set<Promise<void>>();
  #control: OutMessage[] = [];
  readonly #unacked = new Map<number, PendingBatch>();
  #resends: PendingBatch[] = [];
  readonly #recent = new Map<number, PendingBatch>();
  #retries: Array<{ batch: PendingBatch; atMs: number }> = [];
  readonly #rejectedVersions = new Set<number>();

  #nextSeq: number;
  #seqReservedThrough: number;
  #seqKnown: boolean;
  #shadowWaitMs = SHADOW_WAIT_MS;
  #lastSeq: number;

  #tokens = 0;
  readonly #ownTokens = new Set<string>();
  #reportAfterGet = false;
  #getAnswered = true;
  #regetAtMs = Infinity;
  #nextStatusAtMs = Infinity;
  #nextReportAtMs = Infinity;
  #booted = false;

  readonly counters: GatewayCounters;
  #lastFrameAtMs: number | undefined;

  constructor(options: GatewayOptions) {
    this.#o = options;
    const thing = options.thingName;
    const shadow = (op: Parameters<typeof topics.shadow>[1]) => topics.shadow(thing, op);
    this.#topics = {
      telegrams: topics.telegrams(thing),
      status: topics.status(thing),
      errors: topics.errors(thing),
      get: shadow('get'),
      update: shadow('update'),
      getAccepted: shadow('get/accepted'),
      getRejected: shadow('get/rejected'),
      updateAccepted: shadow('update/accepted'),
      updateRejected: shadow('update/rejected'),
      delta: shadow('update/delta'),
    };
    this.config = { ...DEFAULT_CONFIG, ...options.initialConfig, configVersion: 0 };
    this.bootAtMs = options.clock();
    this.#buffer = new FrameBuffer(options.bufferCapacityBytes ?? DEFAULT_BUFFER_CAPACITY_BYTES);
    this.#traffic = new TransmissionQueue(
      options.meters,
      this.bootAtMs,
      options.transmitIntervalMs ?? ownIntervalMs,
    );

    const restored = options.restored ?? null;
    this.#seqReservedThrough = restored?.seqReservedThrough ?? -1;
    this.#nextSeq = this.#seqReservedThrough + 1;
    this.#lastSeq = restored?.lastGatewaySeq ?? -1;
    this.#seqKnown = restored !== null || !options.shadowAnswers;
    this.counters = {
      framesReceived: 0,
      framesForwarded: 0,
      framesFiltered: 0,
      framesInvalid: 0,
      framesDropped: 0,
      framesReplayed: 0,
      batchesAcked: 0,
      batchesResent: 0,
      statusMessages: 0,
      events: 0,
      shadowUpdates: 0,
      errorResponses: 0,
      connects: 0,
      lastGatewaySeq: this.#lastSeq,
    };
    if (restored !== null) {
      for (const payload of restored.unacked) {
        const batch = JSON.parse(payload) as TelegramBatch;
        this.#unacked.set(batch.gatewaySeq, pendingBatch(batch, payload));
      }
      for (const { frame, receivedAtMs } of restored.frames) {
        this.#buffer.add(queuedFrame(frame, receivedAtMs), true, this.#heldBytes());
      }
      this.counters.framesDropped = this.#buffer.framesDropped;
      for (const event of restored.events) this.#control.push({ kind: 'event', event });
    }
    this.#queueEvent({
      contractVersion: '1',
      event: 'boot',
      occurredAt: iso(this.bootAtMs),
      details: { reason: 'power-on', firmware: { ...SIMULATOR_FIRMWARE } },
    });
  }

  get connected(): boolean {
    return this.#link !== null;
  }

  /** The subscriptions of clause 3.5: one SUBSCRIBE of six filters. */
  get subscriptions(): string[] {
    const t = this.#topics;
    return [t.errors, t.getAccepted, t.getRejected, t.updateAccepted, t.updateRejected, t.delta];
  }

  /** A connection is up (CONNACK received). */
  async linkUp(link: Link, sessionPresent: boolean): Promise<void> {
    this.#connecting = link;
    this.counters.connects += 1;
    // Clause 2.4: a resumed session keeps the subscriptions.
    if (!sessionPresent) {
      const refused = await link.subscribe(this.subscriptions).catch((error: unknown) => {
        this.#log(`subscribe failed: ${String(error)}`);
        return [];
      });
      if (refused.length > 0) this.#log(`the broker refused ${refused.join(', ')}`);
    }
    if (this.#connecting !== link) return;
    this.#connecting = null;
    this.#link = link;
    this.#inFlight = 0;
    const now = this.#o.clock();
    // Clause 7.2: what went out without a PUBACK goes again, unchanged, first.
    this.#resends = [...this.#unacked.values()].sort((a, b) => a.seq - b.seq);
    const overflow = this.#buffer.endOverflow();
    if (overflow !== null) this.#queueOverflow(overflow);
    this.#control.push(this.#statusMessage(now));
    this.#control.push(this.#shadowGet());
    if (!this.#booted && this.#seqKnown) {
      // Clause 11.4: the whole reported state at boot, before any answer from the shadow.
      this.#booted = true;
      this.#queueReport(now);
    } else {
      // A gateway that lost its counter must not report -1 over the number it is about to learn.
      this.#booted = true;
      this.#reportAfterGet = true;
    }
    this.#getAnswered = false;
    this.#regetAtMs = this.#o.shadowAnswers ? now + SHADOW_WAIT_MS : Infinity;
    this.#nextStatusAtMs = now + this.config.statusIntervalS * 1000;
    this.#nextReportAtMs = now + this.config.statusIntervalS * 1000;
    this.#changed();
  }

  /** The connection ended: whatever it had not acknowledged stays for the next one. */
  linkDown(): void {
    this.#connecting = null;
    if (this.#link === null) return;
    this.#link = null;
    this.#inFlight = 0;
    this.#resends = [];
    // Snapshots are made afresh on the next connect; events wait (clause 12.3).
    this.#control = this.#control.filter((m) => m.kind === 'event');
    this.#nextStatusAtMs = Infinity;
    this.#nextReportAtMs = Infinity;
    this.#changed();
  }

  /** Queues the whole reported state now: a clean stop leaves the shadow up to date (clause 6.3). */
  reportNow(): void {
    if (this.#link !== null) this.#queueReport(this.#o.clock());
  }

  /** When something is next due; Infinity when only an outside happening can start anything. */
  nextDueAt(): number {
    const now = this.#o.clock();
    let due = this.#traffic.peekTime();
    if (this.#link === null) return due;
    due = Math.min(due, this.#nextStatusAtMs, this.#nextReportAtMs, this.#regetAtMs);
    for (const retry of this.#retries) due = Math.min(due, retry.atMs);
    if (this.#inFlight >= MAX_IN_FLIGHT) return due;
    if (this.#control.length > 0) due = Math.min(due, this.#pacer.nextSlot(now));
    const batchAt = this.#batchReadyAt(now);
    if (batchAt < Infinity) due = Math.min(due, Math.max(batchAt, this.#pacer.nextBatchSlot(now)));
    return due;
  }

  /** Does everything due by now: receives frames, then publishes what the rate allows. */
  async runDue(): Promise<void> {
    const now = this.#o.clock();
    while (this.#traffic.peekTime() <= now) this.#receive(this.#traffic.pop()!);
    if (this.#link === null) return;
    if (now >= this.#nextStatusAtMs) {
      this.#control.push(this.#statusMessage(now));
      this.#nextStatusAtMs = now + this.config.statusIntervalS * 1000;
    }
    if (now >= this.#nextReportAtMs) this.#queueReport(now);
    if (now >= this.#regetAtMs) {
      this.#regetAtMs = Infinity;
      if (!this.#getAnswered) this.#control.push(this.#shadowGet());
      if (!this.#seqKnown) {
        if (this.#shadowWaitMs === SHADOW_WAIT_MS) {
          this.#log(
            'waiting for the shadow to tell the last gatewaySeq (clause 6.3); a state file keeps it locally',
          );
        }
        this.#regetAtMs = now + this.#shadowWaitMs;
        this.#shadowWaitMs = Math.min(SHADOW_WAIT_MAX_MS, 2 * this.#shadowWaitMs);
      }
    }
    const due = this.#retries.filter((r) => r.atMs <= now);
    if (due.length > 0) {
      this.#retries = this.#retries.filter((r) => r.atMs > now);
      this.#resends.push(...due.map((r) => r.batch));
    }
    while (this.#link !== null && this.#inFlight < MAX_IN_FLIGHT) {
      if (this.#pacer.nextSlot(now) > now) break;
      const message = this.#control.shift() ?? (await this.#nextBatch(now));
      if (message === undefined) break;
      this.#send(message, now);
    }
  }

  /** Resolves when every publish made so far is acknowledged or failed. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** A message from the broker on one of the subscribed topics. */
  message(topic: string, payload: Uint8Array): void {
    let document: unknown;
    try {
      document = JSON.parse(decoder.decode(payload));
    } catch {
      this.#log(`ignored a message on ${topic} that is not JSON`);
      return;
    }
    const t = this.#topics;
    const doc = (document ?? {}) as {
      clientToken?: unknown;
      state?: { desired?: unknown; reported?: { lastGatewaySeq?: unknown } } & Record<
        string,
        unknown
      >;
      code?: unknown;
      message?: unknown;
    };
    const ours = typeof doc.clientToken === 'string' && this.#ownTokens.has(doc.clientToken);
    if (topic === t.errors) this.#errorResponse(document);
    else if (topic === t.delta) this.#apply(doc.state, 'delta');
    else if (topic === t.getAccepted && ours) {
      this.#ownTokens.delete(doc.clientToken as string);
      this.#getAnswered = true;
      this.#learnSeq(doc.state?.reported?.lastGatewaySeq);
      if (doc.state?.desired !== undefined) this.#apply(doc.state.desired, 'get');
      else this.#reportAfterGetAnswer();
    } else if (topic === t.getRejected && ours) {
      this.#ownTokens.delete(doc.clientToken as string);
      if (doc.code === 404) {
        // No shadow yet, so nothing was ever reported either.
        this.#getAnswered = true;
        this.#learnSeq(undefined);
        this.#reportAfterGetAnswer();
      } else {
        // Throttled or failing: asked again when the wait is over.
        this.#log(`shadow get rejected: ${String(doc.code)} ${String(doc.message)}`);
      }
    } else if (topic === t.updateRejected && ours) {
      this.#ownTokens.delete(doc.clientToken as string);
      this.#log(`shadow update rejected: ${String(doc.code)} ${String(doc.message)}`);
    } else if (topic === t.updateAccepted && ours) {
      this.#ownTokens.delete(doc.clientToken as string);
    }
    this.#changed();
  }

  /**
   * What a restart needs (statePath). `stopping`: the gateway is shutting
   * down cleanly, so only the numbers actually used are taken; otherwise the
   * whole reserved block is, in case it never gets to say so.
   */
  state(stopping = false): GatewayState {
    const frames = [...this.#buffer.live, ...this.#buffer.backlog].sort(
      (a, b) => a.receivedAtMs - b.receivedAtMs,
    );
    return {
      format: STATE_FORMAT,
      thingName: this.#o.thingName,
      seqReservedThrough: stopping
        ? Math.max(this.#lastSeq, this.#nextSeq - 1)
        : this.#seqReservedThrough,
      lastGatewaySeq: this.#lastSeq,
      unacked: [...this.#unacked.values()].sort((a, b) => a.seq - b.seq).map((b) => b.payload),
      frames: frames.map(({ frame, receivedAtMs }) => ({ frame, receivedAtMs })),
      events: this.#control.flatMap((m) => (m.kind === 'event' ? [m.event] : [])),
    };
  }

  /** Whether everything received has been published and acknowledged. */
  get drained(): boolean {
    return (
      this.#buffer.length === 0 &&
      this.#unacked.size === 0 &&
      this.#control.length === 0 &&
      this.#inFlight === 0
    );
  }

  radioStats(): RadioStats {
    const c = this.counters;
    return {
      modes: [...this.config.radioModes],
      framesReceived: c.framesReceived,
      framesForwarded: c.framesForwarded,
      framesFiltered: c.framesFiltered,
      framesInvalid: c.framesInvalid,
      ...(this.#lastFrameAtMs === undefined ? {} : { lastFrameAt: iso(this.#lastFrameAtMs) }),
    };
  }

  bufferStats(): BufferStats {
    let frames = this.#buffer.length;
    let oldest = this.#buffer.oldestReceivedMs();
    for (const batch of this.#unacked.values()) {
      frames += batch.frames;
      oldest = oldest === undefined ? batch.oldestMs : Math.min(oldest, batch.oldestMs);
    }
    return {
      framesQueued: frames,
      bytesQueued: this.#buffer.bytes + this.#heldBytes(),
      capacityBytes: this.#buffer.capacityBytes,
      framesDropped: this.#buffer.framesDropped,
      ...(oldest === undefined ? {} : { oldestReceivedAt: iso(oldest) }),
    };
  }

  // --- radio ---------------------------------------------------------------

  #receive(tx: { meter: VirtualMeter; k: number; atMs: number }): void {
    const { meter } = tx;
    if (!hears(this.config.radioModes, meter.radioMode)) return;
    const radio = receive(meter, tx.k, tx.atMs, 'stripped');
    if (!radio.intact) {
      this.counters.framesInvalid += 1;
      return;
    }
    this.counters.framesReceived += 1;
    this.#lastFrameAtMs = tx.atMs;
    if (!this.config.forwardAllMeters && !this.config.meterAllowList?.includes(radio.meter)) {
      this.counters.framesFiltered += 1;
      return;
    }
    const offline = this.#link === null;
    const frame: TelegramFrame = {
      frame: radio.frame,
      crc: radio.crc,
      frameFormat: radio.frameFormat,
      receivedAt: iso(radio.receivedAtMs),
      rssi: radio.rssi,
      mode: radio.mode,
      ...(offline ? { replayed: true } : {}),
    };
    const before = this.#buffer.framesDropped;
    this.#buffer.add(queuedFrame(frame, tx.atMs), offline, this.#heldBytes());
    this.counters.framesDropped += this.#buffer.framesDropped - before;
    // Connected, an overflow is over once the store has room again (offline: at the reconnect).
    if (
      !offline &&
      this.#buffer.overflowing &&
      this.#buffer.bytes + this.#heldBytes() <= OVERFLOW_OVER * this.#buffer.capacityBytes
    ) {
      this.#queueOverflow(this.#buffer.endOverflow()!);
    }
  }

  #heldBytes(): number {
    let bytes = 0;
    for (const batch of this.#unacked.values()) bytes += batch.bytes;
    return bytes;
  }

  // --- batches -------------------------------------------------------------

  /** When the next batch could go, rate apart; Infinity when none is waiting. */
  #batchReadyAt(now: number): number {
    if (this.#resends.length > 0) return now;
    if (this.#buffer.length === 0) return Infinity;
    if (!this.#seqKnown) return Infinity;
    const live = this.#buffer.live;
    if (this.#buffer.backlog.length > 0 || live.length >= this.config.maxBatchFrames) return now;
    return live[0]!.receivedAtMs + this.config.uploadIntervalS * 1000;
  }

  /** The batch to publish now, if one is due and the rate allows it (clauses 5.2, 5.3, 7.3). */
  async #nextBatch(now: number): Promise<OutMessage | undefined> {
    if (this.#pacer.nextBatchSlot(now) > now) return undefined;
    const resend = this.#resends.shift();
    if (resend !== undefined) return { kind: 'batch', batch: resend };
    if (!this.#seqKnown) return undefined;
    const live = this.#buffer.live;
    const liveDue =
      live.length > 0 &&
      (live.length >= this.config.maxBatchFrames ||
        now - live[0]!.receivedAtMs >= this.config.uploadIntervalS * 1000);
    // Live traffic first when it is due, the backlog in the seconds between (clause 7.3).
    const queue = liveDue ? live : this.#buffer.backlog.length > 0 ? this.#buffer.backlog : null;
    if (queue === null) return undefined;
    const batch = await this.#cutBatch(queue, now);
    return { kind: 'batch', batch };
  }

  async #cutBatch(queue: QueuedFrame[], now: number): Promise<PendingBatch> {
    const seq = this.#nextSeq;
    if (seq > this.#seqReservedThrough) {
      // Clause 6.2: the number is on disk before it is on the wire.
      this.#seqReservedThrough = seq + SEQ_BLOCK - 1;
      await this.#o.persist?.(this.state());
    }
    this.#nextSeq = seq + 1;
    const envelope = (frames: TelegramFrame[]): TelegramBatch => ({
      contractVersion: '1',
      gatewaySeq: seq,
      sentAt: iso(now),
      frames,
    });
    const emptyBytes = utf8.encode(JSON.stringify(envelope([]))).length;
    let count = 0;
    let bytes = emptyBytes;
    for (const item of queue) {
      if (count === this.config.maxBatchFrames) break;
      const more = item.bytes + (count > 0 ? 1 : 0);
      if (bytes + more > MAX_BATCH_BYTES) break;
      bytes += more;
      count += 1;
    }
    const items = this.#buffer.take(queue, Math.max(1, count));
    const body = envelope(items.map((i) => i.frame));
    const payload = JSON.stringify(checked('telegram-batch', body));
    this.counters.framesForwarded += items.length;
    return {
      seq,
      payload,
      frames: items.length,
      replayedFrames: items.filter((i) => i.frame.replayed === true).length,
      bytes: utf8.encode(payload).length,
      oldestMs: items[0]!.receivedAtMs,
      published: false,
      acked: false,
    };
  }

  // --- publishing ----------------------------------------------------------

  #send(message: OutMessage, now: number): void {
    const link = this.#link;
    if (message.kind === 'batch') this.#unacked.set(message.batch.seq, message.batch);
    if (link === null) {
      // The connection went while the batch was being numbered: it waits for the next one.
      if (message.kind === 'event') this.#control.unshift(message);
      return;
    }
    let topic: string;
    let payload: string;
    if (message.kind === 'batch') {
      const { batch } = message;
      topic = this.#topics.telegrams;
      payload = batch.payload;
      if (batch.published) this.counters.batchesResent += 1;
      else {
        batch.published = true;
        this.#lastSeq = Math.max(this.#lastSeq, batch.seq);
        this.counters.lastGatewaySeq = this.#lastSeq;
      }
    } else if (message.kind === 'event') {
      topic = topics.event(this.#o.thingName, message.event.event);
      payload = JSON.stringify(checked('gateway-event', message.event));
    } else {
      topic = message.topic;
      payload = message.payload;
    }
    this.#pacer.record(now, message.kind === 'batch');
    this.#o.onPublish?.({
      topic,
      payload: capturePayload(utf8.encode(payload)),
      qos: 1,
      retain: false,
      receivedAt: iso(now),
      clientId: this.#o.thingName,
    });
    this.#inFlight += 1;
    const done = link.publish(topic, payload).then(
      () => this.#acked(message, link),
      (error: unknown) => this.#failed(message, link, error),
    );
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }

  #acked(message: OutMessage, link: Link): void {
    if (this.#link === link) this.#inFlight -= 1;
    switch (message.kind) {
      case 'batch': {
        const { batch } = message;
        this.#unacked.delete(batch.seq);
        if (!batch.acked) {
          batch.acked = true;
          this.counters.batchesAcked += 1;
          this.counters.framesReplayed += batch.replayedFrames;
        }
        this.#recent.delete(batch.seq);
        this.#recent.set(batch.seq, batch);
        if (this.#recent.size > RECENT_BATCHES)
          this.#recent.delete(this.#recent.keys().next().value!);
        break;
      }
      case 'event':
        this.counters.events += 1;
        break;
      case 'status':
        this.counters.statusMessages += 1;
        break;
      case 'shadow-update':
        this.counters.shadowUpdates += 1;
        break;
      case 'shadow-get':
        break;
    }
    this.#changed();
  }

  #failed(message: OutMessage, link: Link, error: unknown): void {
    if (this.#link === link) this.#inFlight -= 1;
    // Batches stay in #unacked for the next connection; events wait for it too.
    if (message.kind === 'event') this.#control.unshift(message);
    if (message.kind === 'shadow-get' || message.kind === 'shadow-update') {
      this.#ownTokens.delete((JSON.parse(message.payload) as { clientToken: string }).clientToken);
    }
    this.#log(`publish on ${message.kind} not acknowledged: ${String(error)}`);
    this.#changed();
  }

  // --- status, events, shadow ----------------------------------------------

  #statusMessage(now: number): OutMessage {
    const status: GatewayStatus = {
      contractVersion: '1',
      sentAt: iso(now),
      firmware: { ...SIMULATOR_FIRMWARE },
      uptimeS: Math.floor((now - this.bootAtMs) / 1000),
      clockSynchronised: true,
      radio: this.radioStats(),
      buffer: this.bufferStats(),
      lastGatewaySeq: this.#lastSeq,
      network: { kind: 'ethernet' },
    };
    return {
      kind: 'status',
      topic: this.#topics.status,
      payload: JSON.stringify(checked('gateway-status', status)),
    };
  }

  #clientToken(): string {
    this.#tokens += 1;
    const token = `${this.#o.clientTokenPrefix}-${this.#tokens}`;
    this.#ownTokens.add(token);
    // Answers that never come (offline there is no broker) must not pile up.
    if (this.#ownTokens.size > MAX_OPEN_TOKENS) {
      this.#ownTokens.delete(this.#ownTokens.values().next().value!);
    }
    return token;
  }

  #shadowGet(): OutMessage {
    const payload = JSON.stringify({ clientToken: this.#clientToken() });
    return { kind: 'shadow-get', topic: this.#topics.get, payload };
  }

  /** Clause 11.4: the whole reported state, every configuration key as applied. */
  #shadowUpdate(now: number): OutMessage {
    const c = this.config;
    const reported: ShadowReported = {
      contractVersion: '1',
      configVersion: c.configVersion,
      uploadIntervalS: c.uploadIntervalS,
      maxBatchFrames: c.maxBatchFrames,
      statusIntervalS: c.statusIntervalS,
      radioModes: [...c.radioModes],
      forwardAllMeters: c.forwardAllMeters,
      ...(c.meterAllowList === undefined ? {} : { meterAllowList: [...c.meterAllowList] }),
      firmware: { ...SIMULATOR_FIRMWARE },
      uptimeS: Math.floor((now - this.bootAtMs) / 1000),
      radio: this.radioStats(),
      buffer: this.bufferStats(),
      lastGatewaySeq: this.#lastSeq,
    };
    this.#nextReportAtMs = now + c.statusIntervalS * 1000;
    const payload = JSON.stringify({
      state: { reported: checked('shadow-reported', reported) },
      clientToken: this.#clientToken(),
    });
    return { kind: 'shadow-update', topic: this.#topics.update, payload };
  }

  /** One report in the queue is enough: a newer one replaces it. */
  #queueReport(now: number): void {
    const waiting = this.#control.findIndex((m) => m.kind === 'shadow-update');
    if (waiting >= 0) this.#control.splice(waiting, 1);
    this.#control.push(this.#shadowUpdate(now));
  }

  #reportAfterGetAnswer(): void {
    if (!this.#reportAfterGet || this.#link === null) return;
    this.#reportAfterGet = false;
    this.#queueReport(this.#o.clock());
  }

  /**
   * Clause 6.3: a gateway that lost its counter continues above what it last
   * reported, with a margin for batches sent after that report. A reported
   * state of -1 is a previous life too (it may have published since); only a
   * thing that never reported starts from 0.
   */
  #learnSeq(reported: unknown): void {
    if (this.#seqKnown) return;
    this.#seqKnown = true;
    if (typeof reported === 'number' && Number.isSafeInteger(reported) && reported >= -1) {
      const next = reported + 1 + LOST_COUNTER_MARGIN;
      if (next > this.#nextSeq) {
        this.#log(`gatewaySeq continues at ${next}, above the ${reported} the shadow reported`);
        this.#nextSeq = next;
        this.#seqReservedThrough = Math.max(this.#seqReservedThrough, next - 1);
      }
      // Reported on from here, so that the shadow's number never goes back.
      this.#lastSeq = Math.max(this.#lastSeq, reported);
      this.counters.lastGatewaySeq = this.#lastSeq;
    }
  }

  #apply(desired: unknown, source: 'get' | 'delta'): void {
    if (this.#link === null) return;
    const version = (desired as { configVersion?: unknown } | null | undefined)?.configVersion;
    if (source === 'delta' && version === undefined) {
      // IoT Core keeps a delta of keys that were refused; the cloud bumps configVersion on change.
      return;
    }
    const result = applyDesired(this.config, desired);
    if (result.ok) {
      const before = this.config;
      this.config = result.config;
      if (result.changed) this.#log(`applied configuration ${result.config.configVersion}`);
      if (this.config.statusIntervalS !== before.statusIntervalS) {
        const now = this.#o.clock();
        this.#nextStatusAtMs = Math.min(
          this.#nextStatusAtMs,
          now + this.config.statusIntervalS * 1000,
        );
      }
    } else if (result.configVersion !== null && result.configVersion >= 1) {
      if (!this.#rejectedVersions.has(result.configVersion)) {
        this.#rejectedVersions.add(result.configVersion);
        this.#log(`rejected configuration ${result.configVersion}: ${result.reason}`);
        this.#queueEvent({
          contractVersion: '1',
          event: 'config-rejected',
          occurredAt: iso(this.#o.clock()),
          details: { configVersion: result.configVersion, reason: result.reason },
        });
      }
    } else {
      this.#log(`ignored a desired state without a usable configVersion: ${result.reason}`);
    }
    this.#reportAfterGet = false;
    this.#queueReport(this.#o.clock());
  }

  #errorResponse(document: unknown): void {
    const checkedDoc = validate('error-response', document);
    if (!checkedDoc.ok) {
      this.#log('ignored an error response that breaks its schema');
      return;
    }
    const error = checkedDoc.value;
    this.counters.errorResponses += 1;
    this.#log(
      `the cloud rejected ${error.topic}${error.gatewaySeq === undefined ? '' : ` seq ${error.gatewaySeq}`}: ${error.code} ${error.message}`,
    );
    // Clause 13.3: only a retryable answer is worth sending the same batch again.
    if (error.retry !== true || error.gatewaySeq === undefined) return;
    const batch = this.#recent.get(error.gatewaySeq);
    if (batch === undefined || this.#retries.some((r) => r.batch === batch)) return;
    this.#recent.delete(batch.seq);
    this.#retries.push({ batch, atMs: this.#o.clock() + 5000 + Math.floor(Math.random() * 5000) });
  }

  #queueEvent(event: GatewayEvent): void {
    const events = this.#control.filter((m) => m.kind === 'event').length;
    if (events >= MAX_QUEUED_EVENTS) return;
    this.#control.push({ kind: 'event', event: checked('gateway-event', event) });
  }

  #queueOverflow(episode: OverflowEpisode): void {
    this.#log(`buffer full: dropped ${episode.framesDropped} of the oldest frames`);
    this.#queueEvent({
      contractVersion: '1',
      event: 'buffer-overflow',
      occurredAt: iso(episode.startedAtMs),
      details: {
        framesDropped: episode.framesDropped,
        oldestDroppedAt: iso(episode.oldestDroppedMs),
        newestDroppedAt: iso(episode.newestDroppedMs),
      },
    });
  }

  #log(message: string): void {
    this.#o.log?.(message);
  }

  #changed(): void {
    this.#o.onChange?.();
  }
}

function pendingBatch(batch: TelegramBatch, payload: string): PendingBatch {
  return {
    seq: batch.gatewaySeq,
    payload,
    frames: batch.frames.length,
    replayedFrames: batch.frames.filter((f) => f.replayed === true).length,
    bytes: utf8.encode(payload).length,
    oldestMs: Date.parse(batch.frames[0]?.receivedAt ?? batch.sentAt),
    published: true,
    acked: false,
  };
}

/**
 * The payload, if it keeps the contract; otherwise the simulator has a bug,
 * and publishing it would teach vendors the wrong thing.
 */
function checked<K extends PayloadKind, T>(kind: K, payload: T): T {
  const result = validate(kind, payload);
  if (!result.ok) {
    const issues = result.issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ');
    throw new Error(`the simulator made a ${kind} that breaks the contract: ${issues}`);
  }
  return payload;
}
