import { hash32, unitHash } from './prng.js';
import type { VirtualMeter } from './virtual-meter.js';

/**
 * When a meter transmits, and the counters it puts in each frame. A meter
 * sends every interval from its own phase, each time a little late by a
 * random jitter (EN 13757-4 asks for it, so that meters that started together
 * do not keep colliding). The interval is the meter's own unless the
 * simulation packs the air more densely (`framesPerSecond`); the k-th
 * transmission carries access number base + k (mod 256).
 */

/** Transmission 0 of every meter falls in its first interval after this moment. */
export const SCHEDULE_EPOCH_MS = Date.UTC(2000, 0, 1);

/** The jitter is below this share of the interval, so transmissions never swap order. */
const JITTER_SHARE = 0.1;

/**
 * The shortest interval a meter is made to send at. The mode-7 counter counts
 * seconds (below), so two transmissions of one meter must be more than a
 * second apart even after jitter.
 */
export const MIN_TRANSMIT_INTERVAL_MS = 2000;

const SALT = { phase: 21, jitter: 22, access: 23, counter: 24 } as const;

/** The meter's own interval, ms. */
export function ownIntervalMs(meter: VirtualMeter): number {
  return meter.transmitIntervalS * 1000;
}

function phaseMs(meter: VirtualMeter, intervalMs: number): number {
  return Math.floor(unitHash(meter.seed, SALT.phase) * intervalMs);
}

/** When the k-th transmission (k ≥ 0) of a meter ends, UTC ms. */
export function transmissionTime(
  meter: VirtualMeter,
  k: number,
  intervalMs = ownIntervalMs(meter),
): number {
  const jitter = Math.floor(unitHash(meter.seed, k, SALT.jitter) * JITTER_SHARE * intervalMs);
  return SCHEDULE_EPOCH_MS + phaseMs(meter, intervalMs) + k * intervalMs + jitter;
}

/** The index of the first transmission at or after a time. */
export function transmissionAtOrAfter(
  meter: VirtualMeter,
  utcMs: number,
  intervalMs = ownIntervalMs(meter),
): number {
  let k = Math.max(
    0,
    Math.floor((utcMs - SCHEDULE_EPOCH_MS - phaseMs(meter, intervalMs)) / intervalMs) - 1,
  );
  while (transmissionTime(meter, k, intervalMs) < utcMs) k += 1;
  return k;
}

/** The TPL access number of the k-th transmission. */
export function accessNumber(meter: VirtualMeter, k: number): number {
  return (hash32(meter.seed, SALT.access) + k) % 256;
}

/**
 * The mode-7 message counter (AFL MCR) of a transmission at `utcMs`: a base
 * below 2^20 plus the seconds since the schedule epoch. Counting time rather
 * than transmissions keeps it rising across runs whatever interval each run
 * used, so a platform that remembers the last counter never sees it go back
 * (its replay check). It stays within 32 bits until the year 2136.
 */
export function messageCounter(meter: VirtualMeter, utcMs: number): number {
  const seconds = Math.max(0, Math.floor((utcMs - SCHEDULE_EPOCH_MS) / 1000));
  return (hash32(meter.seed, SALT.counter) % 0x10_0000) + seconds;
}
