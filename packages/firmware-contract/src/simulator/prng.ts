/**
 * Seeded randomness for the simulator. Two flavours, because the simulation
 * needs both: a stream (mulberry32) to draw a fleet once, and a stateless hash
 * of integers so that consumption and radio noise are pure functions of
 * (meter, time) and come out the same however the simulation is stepped.
 * Not for cryptography: meter keys drawn here are test keys.
 */

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(count: number): Uint8Array;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
    bytes: (count) => Uint8Array.from({ length: count }, () => int(0, 255)),
  };
}

/** Mixes 32 bits thoroughly (the murmur3 finaliser). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit hash of integers. Parts may be any safe integers (slot numbers,
 * day numbers, seeds): the high bits are folded in, so they are not lost.
 */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const low = part >>> 0;
    const high = Math.floor(part / 0x1_0000_0000) >>> 0;
    h = mix(h ^ mix(low + 0x7f4a7c15));
    h = mix(h ^ mix(high + 0x2545f491));
  }
  return h;
}

/** A hash of integers as a number in [0, 1). */
export function unitHash(...parts: number[]): number {
  return hash32(...parts) / 0x1_0000_0000;
}

/**
 * Roughly normal noise (mean 0, standard deviation 1) as a pure function of
 * integers: the sum of four uniforms, which is close enough for fading and
 * weather and never produces the extreme tails a radio could not show.
 */
export function normalHash(...parts: number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += unitHash(...parts, i);
  return (sum - 2) * Math.sqrt(3);
}
