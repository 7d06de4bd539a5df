/**
 * Dates of manufacturer layouts, and the month steps of their histories. Every result is
 * `YYYY-MM-DD` (or `YYYY-MM-DD HH:MM`) or null: a field that names no calendar date (unset,
 * all-ones fillers) is no value, not an error.
 */
import { decodeDateG } from '../../application/date-time.js';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days of `month` (1–12) in `year`, Gregorian leap years. */
export function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function isValidDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < 1 || year > 9999) return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  return Number.isInteger(day) && day >= 1 && day <= daysInMonth(year, month);
}

/** `YYYY-MM-DD`, or null when the parts do not make a calendar date (unset fields, all-ones fillers). */
export function formatDate(year: number, month: number, day: number): string | null {
  return isValidDate(year, month, day) ? `${pad(year, 4)}-${pad(month)}-${pad(day)}` : null;
}

/**
 * 16-bit date, little-endian, day in bits 0–4, month in bits 5–8, years since
 * 2000 in bits 9–15 (Techem's previous-period date, Apator E-ITN dates).
 */
export function packedDate16(value: number): { year: number; month: number; day: number } {
  return { year: 2000 + ((value >> 9) & 0x7f), month: (value >> 5) & 0x0f, day: value & 0x1f };
}

/**
 * Date type G of EN 13757-3 (two bytes, least significant first): day in bits
 * 0–4, month in bits 8–11, year (since 2000) split over bits 5–7 (low) and
 * 12–15 (high). Unlike `dateAt`, a day past the month's end gives null.
 */
export function dateTypeG(lo: number, hi: number): string | null {
  const day = lo & 0x1f;
  const month = hi & 0x0f;
  const year = ((lo & 0xe0) >> 5) | ((hi & 0xf0) >> 1);
  return formatDate(2000 + year, month, day);
}

/** Type G date at `offset` as the record layer reads it, or null (0x0000, 0xFFFF, out of range, or past the end). */
export function dateAt(bytes: Uint8Array, offset: number): string | null {
  if (offset + 2 > bytes.length) return null;
  return decodeDateG(bytes, offset);
}

/** `YYYY-MM-DD HH:MM` of a count of seconds since 2000-01-01 00:00 (meter local time). */
export function datetimeFromSeconds2000(seconds: number): string {
  const d = new Date(Date.UTC(2000, 0, 1) + seconds * 1000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  );
}

/**
 * A `YYYY-MM-DD` date moved by whole months (negative: back). A date on the last day of its
 * month stays on month ends (2019-10-31 + 4 months = 2020-02-29), as billing dates do; any
 * other day is kept, clipped to the length of the target month. Takes a record's value as it
 * comes (`unknown`), so callers need not check it first: null for anything that is not such
 * a date, for a fractional month count and for a result outside the years 0–9999.
 */
export function addMonths(date: unknown, months: number): string | null {
  if (typeof date !== 'string' || !Number.isInteger(months)) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  const index = y * 12 + (mo - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  if (year < 0 || year > 9999) return null;
  const last = daysInMonth(year, month);
  const day = d === daysInMonth(y, mo) ? last : Math.min(d, last);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}
