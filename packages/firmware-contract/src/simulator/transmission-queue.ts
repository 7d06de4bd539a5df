import { transmissionAtOrAfter, transmissionTime } from './transmission-schedule.js';
import type { VirtualMeter } from './virtual-meter.js';

/** One transmission on the air: which meter, its index k, and when it ends. */
export interface Transmission {
  meter: VirtualMeter;
  /** Position of the meter in the fleet: ties at the same millisecond go by it. */
  index: number;
  k: number;
  atMs: number;
}

/**
 * The fleet's transmissions in time order, from a start time on: a binary
 * heap holding each meter's next one, so that a building of ten thousand
 * meters costs a logarithm per frame, not a scan.
 */
export class TransmissionQueue {
  readonly #heap: Transmission[] = [];
  readonly #intervalMs: (meter: VirtualMeter) => number;

  constructor(
    meters: readonly VirtualMeter[],
    fromMs: number,
    intervalMs: (meter: VirtualMeter) => number,
  ) {
    this.#intervalMs = intervalMs;
    meters.forEach((meter, index) => {
      const interval = intervalMs(meter);
      const k = transmissionAtOrAfter(meter, fromMs, interval);
      this.#push({ meter, index, k, atMs: transmissionTime(meter, k, interval) });
    });
  }

  /** When the next transmission ends; Infinity for an empty fleet. */
  peekTime(): number {
    return this.#heap[0]?.atMs ?? Infinity;
  }

  /** Takes the next transmission and puts that meter's following one in line. */
  pop(): Transmission | undefined {
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    const interval = this.#intervalMs(top.meter);
    const k = top.k + 1;
    this.#heap[0] = { ...top, k, atMs: transmissionTime(top.meter, k, interval) };
    this.#down(0);
    return top;
  }

  #before(a: Transmission, b: Transmission): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.index < b.index);
  }

  #push(item: Transmission): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.#before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && this.#before(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}
