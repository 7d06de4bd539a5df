/**
 * The head that Techem's proprietary payloads (manufacturer TCH, CI
 * 0xA0–0xA2) share:
 *
 *   p[0]       status/format byte
 *   p[1..2]    previous period's end date: day bits 0–4, month bits 5–8,
 *              years since 2000 bits 9–15 (uint16 LE)
 *   p[3..4]    value at that date (uint16 LE, unit per device)
 *   p[5..6]    current date: day bits 4–8, month bits 9–12, no year
 *   p[7..8]    value of the current period (uint16 LE)
 *
 * The current date has no year: it is the first date after the previous
 * period's end with that month and day.
 */
import type { NamedValue, Unit } from '../../types.js';
import { requireLength, u16le } from '../support/bytes.js';
import { formatDate, isValidDate, packedDate16 } from '../support/dates.js';

export interface TechemHead {
  previousDate: string | null;
  previousValue: number;
  currentDate: string | null;
  currentValue: number;
}

export function currentDateAfter(
  previous: { year: number; month: number; day: number },
  month: number,
  day: number,
): string | null {
  if (!isValidDate(previous.year, previous.month, previous.day)) return null;
  const later = month > previous.month || (month === previous.month && day > previous.day);
  const year = later ? previous.year : previous.year + 1;
  return formatDate(year, month, day);
}

/** Reads the shared head; the caller has checked that p holds 9 bytes. */
export function readTechemHead(p: Uint8Array): TechemHead {
  const previous = packedDate16(u16le(p, 1));
  const current = u16le(p, 5);
  return {
    previousDate: formatDate(previous.year, previous.month, previous.day),
    previousValue: u16le(p, 3),
    currentDate: currentDateAfter(previous, (current >> 9) & 0x0f, (current >> 4) & 0x1f),
    currentValue: u16le(p, 7),
  };
}

/**
 * Techem heat meters (compact V, vario 4): the same head, but the two energy
 * values are 24 bits wide (p[3..5], p[7..9]); the current date is not read
 * since its bytes carry the values' high bytes. The total is their sum.
 */
export function readTechemEnergy(p: Uint8Array): {
  previousDate: string | null;
  previous: number;
  current: number;
} {
  const previous = packedDate16(u16le(p, 1));
  return {
    previousDate: formatDate(previous.year, previous.month, previous.day),
    previous: u16le(p, 3) + (p[5]! << 16),
    current: u16le(p, 7) + (p[9]! << 16),
  };
}

/**
 * The named values of a Techem heat meter telegram: both meters count whole
 * units of their own (kWh for compact V, MJ for vario 4), scaled here into
 * `unit` by `factor`.
 */
export function techemEnergyValues(
  p: Uint8Array,
  what: string,
  unit: Unit,
  factor: number,
): Record<string, NamedValue> {
  requireLength(p, 10, what);
  const e = readTechemEnergy(p);
  return {
    totalEnergy: { value: (e.previous + e.current) * factor, unit },
    currentEnergy: { value: e.current * factor, unit },
    previousEnergy: { value: e.previous * factor, unit },
    previousDate: { value: e.previousDate, unit: '' },
  };
}
