import { invalid } from '../tenancy/validation.js';

/**
 * Calendar days and months as the property lives them: a reading belongs to
 * the day of its property's time zone (an IANA name, `Europe/Berlin`), so a
 * day has 23, 24 or 25 hours and a month starts at local midnight. Days are
 * `YYYY-MM-DD`, months `YYYY-MM`: strings that sort as they follow.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** One formatter per zone: building one costs far more than formatting with it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
    } catch {
      throw invalid('timeZone', 'format', `'${timeZone}' is not an IANA time zone`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The property's calendar day (`YYYY-MM-DD`) of an instant, in its IANA time zone. */
export function localDay(instant: string, timeZone: string): string {
  const ms = Date.parse(instant);
  if (!Number.isFinite(ms)) throw invalid('instant', 'format', `'${instant}' is not a time`);
  let year = '';
  let month = '';
  let day = '';
  for (const part of formatterOf(timeZone).formatToParts(ms)) {
    if (part.type === 'year') year = part.value;
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
  }
  return `${year.padStart(4, '0')}-${month}-${day}`;
}

/** Days since 1970-01-01 of a valid `YYYY-MM-DD`; refuses 2026-02-30 and the like. */
function dayNumber(day: string, field = 'day'): number {
  const m = DAY.exec(day);
  if (m !== null) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().slice(0, 10) === day) return ms / MS_PER_DAY;
  }
  throw invalid(field, 'format', `'${day}' is not a calendar day (YYYY-MM-DD)`);
}

function dayOfNumber(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

export function isDay(value: string): boolean {
  try {
    dayNumber(value);
    return true;
  } catch {
    return false;
  }
}

/** The day `n` days after `day` (before it for negative `n`). */
export function addDays(day: string, n: number): string {
  return dayOfNumber(dayNumber(day) + n);
}

/** Days from `from` to `to`: 1 for consecutive days, negative when `to` is earlier. */
export function dayDistance(from: string, to: string): number {
  return dayNumber(to, 'end') - dayNumber(from, 'start');
}

/** Every day from `from` to `to`, both included; empty when `to` is before `from`. */
export function daysBetween(from: string, to: string): string[] {
  const first = dayNumber(from, 'start');
  const last = dayNumber(to, 'end');
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(dayOfNumber(n));
  return out;
}

/** The month (`YYYY-MM`) of a day. */
export function monthOf(day: string): string {
  dayNumber(day);
  return day.slice(0, 7);
}

/** Every day of a month (`YYYY-MM`), in order. */
export function daysOfMonth(month: string): string[] {
  const m = MONTH.exec(month);
  const monthIndex = m === null ? -1 : Number(m[2]) - 1;
  if (m === null || monthIndex < 0 || monthIndex > 11) {
    throw invalid('month', 'format', `'${month}' is not a month (YYYY-MM)`);
  }
  const year = Number(m[1]);
  const length = new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
  return Array.from({ length }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/** The month `n` months after `month` (before it for negative `n`): `2025-03` −12 is `2024-03`. */
export function addMonths(month: string, n: number): string {
  const first = daysOfMonth(month)[0]!;
  const index = Number(first.slice(0, 4)) * 12 + Number(first.slice(5, 7)) - 1 + n;
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String(index - year * 12 + 1).padStart(2, '0')}`;
}
