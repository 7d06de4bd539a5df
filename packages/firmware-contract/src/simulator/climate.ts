import {
  localDate,
  localDay,
  localDayStart,
  localHour,
  MS_PER_SLOT,
  SLOTS_PER_DAY,
} from './meter-clock.js';
import { normalHash } from './prng.js';

/**
 * The weather of the simulated building and the heat it calls for. All
 * meters of one gateway share a site, so none of this depends on a meter.
 * Pure functions of time; the daily sums are cached because every cumulative
 * register adds them up from the model epoch.
 */

/** Monthly means of the air temperature in Germany, 1991–2020 (DWD), rounded, °C. */
const MONTHLY_MEAN_C = [0.9, 1.5, 4.6, 8.9, 12.9, 16.3, 18.3, 17.9, 14.0, 9.3, 5.0, 1.9] as const;

/** Heating runs on days whose mean outdoor temperature is below this (Heizgrenze). */
export const HEATING_LIMIT_C = 15;
/** Outdoor temperature a dwelling's heat load is rated for (DIN EN 12831, much of Germany). */
export const DESIGN_OUTDOOR_C = -12;
export const ROOM_DAY_C = 20;
/** Night setback, 22:00–06:00. */
export const ROOM_NIGHT_C = 16;
/** Design temperature difference: the heat load at DESIGN_OUTDOOR_C is reached at this many kelvin. */
export const DESIGN_DIFFERENCE_K = ROOM_DAY_C - DESIGN_OUTDOOR_C;

const SITE = 0x51e;
/** Weather spells: anomalies are smooth over this many days. */
const SPELL_DAYS = 4;
const SPELL_SIGMA_C = 2.6;
const DAY_SIGMA_C = 0.8;
/** Half the day-night swing of the outdoor temperature; warmest at 15:00. */
const DIURNAL_AMPLITUDE_C = 3.5;

const DAYS_IN_MONTH = (year: number, month: number) =>
  new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The climatological mean for a local day: months' means placed mid-month, joined linearly. */
function seasonalMeanC(day: number): number {
  const { year, month, day: dom } = localDate(localDayStart(day));
  // Position in months, where k + 0.5 is the middle of month k (0-based).
  const position = month - 1 + (dom - 0.5) / DAYS_IN_MONTH(year, month) - 0.5;
  const lower = Math.floor(position);
  const f = position - lower;
  const a = MONTHLY_MEAN_C[(lower + 12) % 12]!;
  const b = MONTHLY_MEAN_C[(lower + 13) % 12]!;
  return a + (b - a) * f;
}

/** Weather: a smooth anomaly of several days plus a little of each day's own. */
function anomalyC(day: number): number {
  const knot = Math.floor(day / SPELL_DAYS);
  const f = (day - knot * SPELL_DAYS) / SPELL_DAYS;
  const s = f * f * (3 - 2 * f);
  const a = normalHash(SITE, knot);
  const b = normalHash(SITE, knot + 1);
  return SPELL_SIGMA_C * (a + (b - a) * s) + DAY_SIGMA_C * normalHash(SITE, day, 1);
}

const dailyMeans = new Map<number, number>();

/** Mean outdoor temperature of a meter-local day, °C. */
export function dailyMeanOutdoorC(day: number): number {
  let mean = dailyMeans.get(day);
  if (mean === undefined) {
    mean = seasonalMeanC(day) + anomalyC(day);
    dailyMeans.set(day, mean);
  }
  return mean;
}

/** Outdoor temperature at a moment, °C. */
export function outdoorTemperatureC(utcMs: number): number {
  const hour = localHour(utcMs);
  return (
    dailyMeanOutdoorC(localDay(utcMs)) +
    DIURNAL_AMPLITUDE_C * Math.cos((2 * Math.PI * (hour - 15)) / 24)
  );
}

/** Room temperature the heating aims for: setback at night, a warm-up hour in the morning. */
export function roomSetpointC(hour: number): number {
  if (hour < 6 || hour >= 22) return ROOM_NIGHT_C;
  if (hour < 7) return ROOM_DAY_C + 1;
  return ROOM_DAY_C;
}

/** Days whose slots are kept: a reading needs its own day's, the prefix sums need each once. */
const SLOT_CACHE_DAYS = 64;
const slotCache = new Map<number, Float64Array>();

/**
 * What the heating has to cover in each 15-minute slot of a day, as the
 * difference between set point and outdoor temperature, K (0 outside the
 * heating season and whenever it is warm enough outside).
 */
export function slotDemandsK(day: number): Float64Array {
  let slots = slotCache.get(day);
  if (slots !== undefined) return slots;
  slots = new Float64Array(SLOTS_PER_DAY);
  if (dailyMeanOutdoorC(day) < HEATING_LIMIT_C) {
    const start = localDayStart(day);
    for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
      const middle = start + (slot + 0.5) * MS_PER_SLOT;
      slots[slot] = Math.max(0, roomSetpointC(localHour(middle)) - outdoorTemperatureC(middle));
    }
  }
  if (slotCache.size >= SLOT_CACHE_DAYS) slotCache.delete(slotCache.keys().next().value!);
  slotCache.set(day, slots);
  return slots;
}

const dailyDemand = new Map<number, number>();

/** A day's heating demand, K·h: the sum of its slots. */
export function dailyDemandKh(day: number): number {
  let sum = dailyDemand.get(day);
  if (sum === undefined) {
    sum = 0;
    for (const demand of slotDemandsK(day)) sum += demand;
    sum *= MS_PER_SLOT / 3_600_000;
    dailyDemand.set(day, sum);
  }
  return sum;
}
