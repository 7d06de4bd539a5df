import { invalid } from '../tenancy/validation.js';

/**
 * One meter's day: the first and the last reading of its register heard on
 * that day (the property's calendar day, see day.ts). The day's consumption
 * is the distance between last values of consecutive days (consumption.ts),
 * so the first and last reading are all a day needs to keep, however many
 * telegrams the meter sends.
 */
export interface MeterDay {
  /** `YYYY-MM-DD` in the property's time zone. */
  day: string;
  firstAt: string;
  firstValue: number;
  lastAt: string;
  lastValue: number;
  /** Readings folded in: how well the meter was heard, for display; never summed. */
  readings: number;
}

export interface RegisterReading {
  /** ISO-8601 instant of the reading (the transmission's first-seen time). */
  at: string;
  /** The cumulative register (kWh, m³ or units). */
  value: number;
}

function instant(at: string): number {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) throw invalid('at', 'format', `'${at}' is not a time`);
  return ms;
}

/** Readings ordered by time, and at the same instant by value (a register only grows). */
function compare(aAt: string, aValue: number, bAt: string, bValue: number): number {
  return instant(aAt) - instant(bAt) || aValue - bValue;
}

/**
 * Folds one reading into its meter's day. Order-independent: the earliest
 * reading is `first` and the latest `last`, whatever order they arrive in (a
 * gateway's buffer delivers late; several workers fold concurrently and
 * retry). At the same instant, the smaller value counts as the earlier one,
 * so ties resolve the same way in any order.
 *
 * The same reading folded twice (same `at` and value as the day's first or
 * last) changes nothing, so a redelivered telegram is harmless. Only first
 * and last are kept, so a repeat of a reading between them is counted again
 * in `readings`; that count is for display only, never for sums.
 *
 * `day` is the reading's day as the caller derived it (localDay); folding
 * into another day's item is refused.
 */
export function foldReading(
  prev: MeterDay | undefined,
  reading: RegisterReading,
  day: string,
): MeterDay {
  if (!Number.isFinite(reading.value)) {
    throw invalid('value', 'type', 'a register reading must be a finite number');
  }
  instant(reading.at);
  if (prev === undefined) {
    return {
      day,
      firstAt: reading.at,
      firstValue: reading.value,
      lastAt: reading.at,
      lastValue: reading.value,
      readings: 1,
    };
  }
  if (prev.day !== day) {
    throw invalid('day', 'not-allowed', `a reading of ${day} folded into ${prev.day}`);
  }
  const same = (at: string, value: number) => compare(reading.at, reading.value, at, value) === 0;
  if (same(prev.firstAt, prev.firstValue) || same(prev.lastAt, prev.lastValue)) return prev;

  const earlier = compare(reading.at, reading.value, prev.firstAt, prev.firstValue) < 0;
  const later = compare(reading.at, reading.value, prev.lastAt, prev.lastValue) > 0;
  return {
    day,
    firstAt: earlier ? reading.at : prev.firstAt,
    firstValue: earlier ? reading.value : prev.firstValue,
    lastAt: later ? reading.at : prev.lastAt,
    lastValue: later ? reading.value : prev.lastValue,
    readings: prev.readings + 1,
  };
}
