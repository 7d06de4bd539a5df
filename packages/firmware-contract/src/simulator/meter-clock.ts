/**
 * Time as the simulated meters see it. Meters in Germany keep standard time
 * (CET, UTC+1) all year: they have no daylight-saving rule, and the codec
 * writes their date-time records with the summer-time bit clear. Days, due
 * dates and the day/night profiles of the consumption models therefore use
 * UTC+1 throughout; an hour's shift of habits in summer does not matter to a
 * consumption profile.
 */

export const METER_UTC_OFFSET_MS = 3_600_000;

export const MS_PER_DAY = 86_400_000;

/** Consumption models work on 15-minute slots, the resolution of the water series. */
export const SLOTS_PER_DAY = 96;
export const MS_PER_SLOT = MS_PER_DAY / SLOTS_PER_DAY;

/**
 * Meters start counting their modelled consumption here (meter local time):
 * registers hold their installation offset before it. Far enough back that
 * any useful simulated time lies after it, near enough that the daily sums
 * the models cache stay small.
 */
export const MODEL_EPOCH_MS = Date.UTC(2020, 0, 1) - METER_UTC_OFFSET_MS;

/** The meter-local day a UTC time falls in, counted from 1970-01-01. */
export function localDay(utcMs: number): number {
  return Math.floor((utcMs + METER_UTC_OFFSET_MS) / MS_PER_DAY);
}

/** UTC time at which a meter-local day starts. */
export function localDayStart(day: number): number {
  return day * MS_PER_DAY - METER_UTC_OFFSET_MS;
}

/** Hours since the meter-local midnight, fractional. */
export function localHour(utcMs: number): number {
  const local = utcMs + METER_UTC_OFFSET_MS;
  return (local - Math.floor(local / MS_PER_DAY) * MS_PER_DAY) / 3_600_000;
}

/** Calendar fields of a meter-local time. */
export function localDate(utcMs: number): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday. */
  weekday: number;
} {
  const d = new Date(utcMs + METER_UTC_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  };
}

/** The UTC time of meter-local midnight at the start of 1 January of `year`. */
export function localYearStart(year: number): number {
  return Date.UTC(year, 0, 1) - METER_UTC_OFFSET_MS;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DD` in meter-local time, as date records carry it. */
export function localDateText(utcMs: number): string {
  const d = localDate(utcMs);
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** `YYYY-MM-DD HH:MM` in meter-local time, as type F date-time records carry it. */
export function localDateTimeText(utcMs: number): string {
  const d = localDate(utcMs);
  return `${localDateText(utcMs)} ${pad(d.hour)}:${pad(d.minute)}`;
}
