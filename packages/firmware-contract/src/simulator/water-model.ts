import { prefixCache } from './daily-prefix.js';
import { lastDueDate } from './heating-model.js';
import {
  localDate,
  localDay,
  localDayStart,
  MODEL_EPOCH_MS,
  MS_PER_DAY,
  MS_PER_SLOT,
  SLOTS_PER_DAY,
} from './meter-clock.js';
import { hash32, unitHash } from './prng.js';
import { isWarmWater, type WaterMeter } from './virtual-meter.js';

/**
 * Water use of a dwelling in 15-minute slots: a daily volume by residents,
 * weekday and chance, spread over the day in bursts around the morning and
 * evening peaks, almost nothing at night, the odd week away, and now and then
 * a leak: a running toilet or dripping tap that flows day and night until it
 * is fixed. Pure functions of (meter, time).
 */

const EPOCH_DAY = localDay(MODEL_EPOCH_MS);
const SALT = {
  daily: 11,
  away: 12,
  night: 13,
  burst: 14,
  share: 15,
  leak: 16,
  leakShape: 17,
  offset: 18,
} as const;

/** Litres per resident and day (Germany uses some 125 l, about a third of it warm). */
const LITRES_PER_RESIDENT = { cold: 85, warm: 40 } as const;

/** Relative use by hour of day (local time) outside the night. */
const HOUR_PROFILE = [
  0, 0, 0, 0, 0, 0.2, 1.0, 1.6, 1.1, 0.7, 0.5, 0.5, 0.8, 0.6, 0.4, 0.4, 0.4, 0.6, 0.9, 1.1, 1.0,
  0.8, 0.5, 0.2,
] as const;

/** The night: slots before 05:00 get only the odd flush or glass of water. */
const NIGHT_SLOTS = 20;
const NIGHT_EVENT = {
  cold: { chance: 0.03, litres: 6 },
  warm: { chance: 0.01, litres: 1 },
} as const;

/** Chance per week that the dwelling stands empty (holidays). */
const AWAY_CHANCE = 0.04;

/** Chance per day that a leak starts, and how long it can run. */
const LEAK = {
  cold: { chance: 1 / 120, litresPerHour: [8, 30] },
  warm: { chance: 1 / 300, litresPerHour: [1, 4] },
  maxDays: 6,
} as const;

function temperature(meter: WaterMeter): 'cold' | 'warm' {
  return isWarmWater(meter) ? 'warm' : 'cold';
}

function away(meter: WaterMeter, day: number): boolean {
  // Weeks start on Monday: 1970-01-01 was a Thursday.
  return unitHash(meter.seed, Math.floor((day + 3) / 7), SALT.away) < AWAY_CHANCE;
}

function nightLitres(meter: WaterMeter, day: number, slot: number): number {
  const event = NIGHT_EVENT[temperature(meter)];
  return unitHash(meter.seed, day, slot, SALT.night) < event.chance ? event.litres : 0;
}

/** The residents' own use of a day (leaks apart), litres. */
function usedLitres(meter: WaterMeter, day: number): number {
  if (away(meter, day)) return 0;
  let night = 0;
  for (let slot = 0; slot < NIGHT_SLOTS; slot++) night += nightLitres(meter, day, slot);
  const { weekday } = localDate(localDayStart(day));
  const weekend = weekday === 0 || weekday === 6 ? 1.1 : 1;
  const chance = 0.7 + 0.6 * unitHash(meter.seed, day, SALT.daily);
  const planned = meter.residents * LITRES_PER_RESIDENT[temperature(meter)] * weekend * chance;
  return Math.max(planned, night);
}

export interface LeakEpisode {
  startMs: number;
  endMs: number;
  litresPerHour: number;
}

/** The leak that starts on a day, if one does. */
function leakStartingOn(meter: WaterMeter, day: number): LeakEpisode | null {
  const kind = LEAK[temperature(meter)];
  if (unitHash(meter.seed, day, SALT.leak) >= kind.chance) return null;
  const shape = hash32(meter.seed, day, SALT.leakShape);
  const startMs = localDayStart(day) + (shape % SLOTS_PER_DAY) * MS_PER_SLOT;
  const days = 1 + ((shape >>> 8) % LEAK.maxDays);
  const [low, high] = kind.litresPerHour;
  return {
    startMs,
    endMs: startMs + days * MS_PER_DAY - ((shape >>> 16) % SLOTS_PER_DAY) * MS_PER_SLOT,
    litresPerHour: low + ((shape >>> 24) % (high - low + 1)),
  };
}

/** Leaks running at some time during [fromMs, toMs). */
export function leaksBetween(meter: WaterMeter, fromMs: number, toMs: number): LeakEpisode[] {
  const episodes: LeakEpisode[] = [];
  for (let day = localDay(fromMs) - LEAK.maxDays; day <= localDay(toMs); day++) {
    const leak = leakStartingOn(meter, day);
    if (leak !== null && leak.startMs < toMs && leak.endMs > fromMs) episodes.push(leak);
  }
  return episodes;
}

function leakLitres(
  meter: WaterMeter,
  fromMs: number,
  toMs: number,
  leaks = leaksBetween(meter, fromMs, toMs),
): number {
  let litres = 0;
  for (const leak of leaks) {
    if (leak.startMs >= toMs || leak.endMs <= fromMs) continue;
    const overlap = Math.min(toMs, leak.endMs) - Math.max(fromMs, leak.startMs);
    litres += (leak.litresPerHour * overlap) / 3_600_000;
  }
  return litres;
}

/**
 * A day's water in 15-minute slots, litres, leaks included: the series the
 * platform derives from the meter's register, here as the model has it.
 */
export function waterSlotsLitres(meter: WaterMeter, day: number): number[] {
  const slots = new Array<number>(SLOTS_PER_DAY).fill(0);
  const used = usedLitres(meter, day);
  let night = 0;
  if (used > 0) {
    for (let slot = 0; slot < NIGHT_SLOTS; slot++) {
      slots[slot] = nightLitres(meter, day, slot);
      night += slots[slot]!;
    }
  }
  // The rest comes in bursts: a slot is used or not, and how much varies.
  const weights = slots.map((_, slot) => {
    if (slot < NIGHT_SLOTS) return 0;
    const used = unitHash(meter.seed, day, slot, SALT.burst) < 0.55;
    const share = 0.3 + 1.4 * unitHash(meter.seed, day, slot, SALT.share);
    return used ? HOUR_PROFILE[Math.floor(slot / 4)]! * share : 0;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const daytime = used - night;
  for (let slot = NIGHT_SLOTS; slot < SLOTS_PER_DAY; slot++) {
    slots[slot] =
      total > 0 ? (daytime * weights[slot]!) / total : daytime / (SLOTS_PER_DAY - NIGHT_SLOTS);
  }
  const start = localDayStart(day);
  const leaks = leaksBetween(meter, start, start + MS_PER_DAY);
  for (let slot = 0; slot < SLOTS_PER_DAY && leaks.length > 0; slot++) {
    const from = start + slot * MS_PER_SLOT;
    slots[slot]! += leakLitres(meter, from, from + MS_PER_SLOT, leaks);
  }
  return slots;
}

const waterPrefix = prefixCache<WaterMeter>(EPOCH_DAY, (meter, day) => {
  const start = localDayStart(day);
  return usedLitres(meter, day) + leakLitres(meter, start, start + MS_PER_DAY);
});

/** Water since the model epoch, litres, not rounded: continuous and never decreasing. */
export function waterSinceEpochLitres(meter: WaterMeter, utcMs: number): number {
  if (utcMs <= MODEL_EPOCH_MS) return 0;
  const day = localDay(utcMs);
  const slots = waterSlotsLitres(meter, day);
  const sinceMidnight = utcMs - localDayStart(day);
  const current = Math.min(SLOTS_PER_DAY - 1, Math.floor(sinceMidnight / MS_PER_SLOT));
  let litres = waterPrefix(meter).before(day);
  for (let slot = 0; slot < current; slot++) litres += slots[slot]!;
  return litres + (slots[current]! * (sinceMidnight - current * MS_PER_SLOT)) / MS_PER_SLOT;
}

export interface WaterReading {
  kind: 'water-meter';
  /** Cumulative volume, m³ to the litre. */
  volumeM3: number;
  dueDate: string;
  /** The register at the due date, m³. */
  dueDateVolumeM3: number;
}

/** What the meter showed when it was installed. */
function offsetLitres(meter: WaterMeter): number {
  const scale = isWarmWater(meter) ? 150_000 : 400_000;
  return Math.floor(scale * unitHash(meter.seed, SALT.offset));
}

function volumeM3(meter: WaterMeter, utcMs: number): number {
  return Math.floor(offsetLitres(meter) + waterSinceEpochLitres(meter, utcMs)) / 1000;
}

export function readWater(meter: WaterMeter, utcMs: number): WaterReading {
  const due = lastDueDate(utcMs);
  return {
    kind: 'water-meter',
    volumeM3: volumeM3(meter, utcMs),
    dueDate: due.text,
    dueDateVolumeM3: volumeM3(meter, due.endMs),
  };
}
