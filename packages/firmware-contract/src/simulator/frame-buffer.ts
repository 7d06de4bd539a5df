import type { TelegramFrame } from '../types.js';

/** A frame waiting to be batched, with what the buffer needs to know about it. */
export interface QueuedFrame {
  frame: TelegramFrame;
  receivedAtMs: number;
  /** UTF-8 bytes of its JSON: what it takes up in the store and in a batch. */
  bytes: number;
}

/** Frames dropped in one overflow, reported as one buffer-overflow event (clause 7.4). */
export interface OverflowEpisode {
  startedAtMs: number;
  framesDropped: number;
  oldestDroppedMs: number;
  newestDroppedMs: number;
}

const utf8 = new TextEncoder();

export function queuedFrame(frame: TelegramFrame, receivedAtMs: number): QueuedFrame {
  return { frame, receivedAtMs, bytes: utf8.encode(JSON.stringify(frame)).length };
}

/**
 * The gateway's store and forward (clause 7): frames received while
 * connected wait in `live` for their batch; frames received while offline
 * wait in `backlog` to be replayed, so that live traffic need not queue
 * behind a day's backlog (clause 7.3). Both count against one capacity with
 * the batches published but not yet acknowledged (`heldBytes`); when it is
 * full, the oldest frame goes first (clause 7.4).
 */
export class FrameBuffer {
  readonly live: QueuedFrame[] = [];
  readonly backlog: QueuedFrame[] = [];
  framesDropped = 0;
  #bytes = 0;
  #episode: OverflowEpisode | null = null;

  constructor(readonly capacityBytes: number) {}

  /** Bytes of queued frames, without the unacknowledged batches. */
  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.live.length + this.backlog.length;
  }

  /**
   * Queues a frame, dropping the oldest ones while the store (with
   * `heldBytes` of unacknowledged batches) would be over capacity. Drops
   * add up in one overflow until `endOverflow()`.
   */
  add(item: QueuedFrame, offline: boolean, heldBytes: number): void {
    while (this.#bytes + heldBytes + item.bytes > this.capacityBytes) {
      const oldest = this.#takeOldest();
      if (oldest === undefined) {
        // Nothing of ours left to drop: the unacknowledged batches hold it all.
        this.#drop(item.receivedAtMs, item.receivedAtMs);
        return;
      }
      this.#drop(oldest.receivedAtMs, item.receivedAtMs);
    }
    (offline ? this.backlog : this.live).push(item);
    this.#bytes += item.bytes;
  }

  /** Removes and returns up to `count` frames from the head of a queue. */
  take(queue: QueuedFrame[], count: number): QueuedFrame[] {
    const taken = queue.splice(0, count);
    for (const item of taken) this.#bytes -= item.bytes;
    return taken;
  }

  /** Puts frames back at the head of a queue (a batch that came out too large). */
  putBack(queue: QueuedFrame[], items: QueuedFrame[]): void {
    queue.unshift(...items);
    for (const item of items) this.#bytes += item.bytes;
  }

  /** Whether an overflow is going on (frames were dropped and it was not reported yet). */
  get overflowing(): boolean {
    return this.#episode !== null;
  }

  /** The overflow in progress, if any, closed: the caller reports it. */
  endOverflow(): OverflowEpisode | null {
    const episode = this.#episode;
    this.#episode = null;
    return episode;
  }

  oldestReceivedMs(): number | undefined {
    const a = this.live[0]?.receivedAtMs;
    const b = this.backlog[0]?.receivedAtMs;
    if (a === undefined) return b;
    return b === undefined ? a : Math.min(a, b);
  }

  #takeOldest(): QueuedFrame | undefined {
    const a = this.live[0];
    const b = this.backlog[0];
    const queue =
      a === undefined
        ? this.backlog
        : b === undefined || a.receivedAtMs <= b.receivedAtMs
          ? this.live
          : this.backlog;
    return this.take(queue, 1)[0];
  }

  /** `nowMs`: frames are dropped as new ones arrive, so the arrival is when it happened. */
  #drop(receivedAtMs: number, nowMs: number): void {
    this.framesDropped += 1;
    const episode = (this.#episode ??= {
      startedAtMs: nowMs,
      framesDropped: 0,
      oldestDroppedMs: receivedAtMs,
      newestDroppedMs: receivedAtMs,
    });
    episode.framesDropped += 1;
    episode.oldestDroppedMs = Math.min(episode.oldestDroppedMs, receivedAtMs);
    episode.newestDroppedMs = Math.max(episode.newestDroppedMs, receivedAtMs);
  }
}
