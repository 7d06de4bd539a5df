/**
 * The gateway's publish rate (contract clause 5.3): at most 10 publishes in
 * any second, counted over everything it sends, and telegram batches at
 * least a second apart, which is also the replay rate of clause 7.3.
 */
export const MAX_PUBLISHES_PER_SECOND = 10;
export const BATCH_GAP_MS = 1000;
/** Clause 5.4 allows 20 unacknowledged QoS 1 publishes. */
export const MAX_IN_FLIGHT = 20;

/**
 * A sliding window over the last publishes. Its second is taken as 1001 ms
 * so that a checker counting "within any second" on millisecond timestamps,
 * either end included, never sees eleven.
 */
const WINDOW_MS = 1001;

export class PublishPacer {
  readonly #times: number[] = [];
  lastBatchAtMs = -Infinity;

  /** The earliest time at or after `nowMs` at which one more publish keeps within the rate. */
  nextSlot(nowMs: number): number {
    if (this.#times.length < MAX_PUBLISHES_PER_SECOND) return nowMs;
    return Math.max(nowMs, this.#times[0]! + WINDOW_MS);
  }

  /** The earliest time a telegram batch may go. */
  nextBatchSlot(nowMs: number): number {
    return Math.max(this.nextSlot(nowMs), this.lastBatchAtMs + BATCH_GAP_MS);
  }

  record(nowMs: number, batch: boolean): void {
    this.#times.push(nowMs);
    if (this.#times.length > MAX_PUBLISHES_PER_SECOND) this.#times.shift();
    if (batch) this.lastBatchAtMs = nowMs;
  }
}
