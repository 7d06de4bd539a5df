/**
 * Date and time types of EN 13757-3 Annex A: G (date, 2 bytes), F (date and time to the
 * minute, 4 bytes), I (to the second, 6 bytes) and J (time of day, 3 bytes). Results are
 * meter local time as sent: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS`,
 * `HH:MM:SS`; null when the meter marks the value invalid or it names no calendar date.
 *
 * The year is 7 bits split over the date's two bytes and counts from 2000, with no 1900s
 * window: that is what the wmbusmeters test data shows (a set day sent as year 127, which
 * EN 13757-3 reserves for "every year", reads 2127-01-01). The hundred-year bits of type F
 * are not applied for the same reason.
 */

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, n) => (n < 10 ? '0' : '') + n);

function year(low: number, high: number): number {
  return 2000 + (((high & 0xf0) >> 1) | (low >> 5));
}

/** `YYYY-MM-DD` from the two date bytes shared by types G, F and I, or null. */
function date(low: number, high: number): string | null {
  const day = low & 0x1f;
  const month = high & 0x0f;
  if (day === 0 || month === 0 || month > 12) return null;
  return `${year(low, high)}-${PAD2[month]}-${PAD2[day]}`;
}

/** Type G: day, month and year in 2 bytes. 0x0000 and 0xFFFF (no date) give null. */
export function decodeDateG(bytes: Uint8Array, offset: number): string | null {
  return date(bytes[offset]!, bytes[offset + 1]!);
}

/** Type F: minute, hour, day, month, year; the invalid bit (bit 7 of the minute byte) gives null. */
export function decodeDateTimeF(bytes: Uint8Array, offset: number): string | null {
  const minute = bytes[offset]!;
  const hour = bytes[offset + 1]! & 0x1f;
  if ((minute & 0x80) !== 0 || (minute & 0x3f) > 59 || hour > 23) return null;
  const day = date(bytes[offset + 2]!, bytes[offset + 3]!);
  return day === null ? null : `${day} ${PAD2[hour]}:${PAD2[minute & 0x3f]}`;
}

/** Type I: second, minute (with the invalid bit), hour, date, week; null when invalid. */
export function decodeDateTimeI(bytes: Uint8Array, offset: number): string | null {
  const second = bytes[offset]! & 0x3f;
  const minute = bytes[offset + 1]!;
  const hour = bytes[offset + 2]! & 0x1f;
  if ((minute & 0x80) !== 0 || second > 59 || (minute & 0x3f) > 59 || hour > 23) return null;
  const day = date(bytes[offset + 3]!, bytes[offset + 4]!);
  return day === null ? null : `${day} ${PAD2[hour]}:${PAD2[minute & 0x3f]}:${PAD2[second]}`;
}

/** Type J: second, minute, hour of a day; null when out of range (0xFFFFFF: no time). */
export function decodeTimeJ(bytes: Uint8Array, offset: number): string | null {
  const second = bytes[offset]! & 0x3f;
  const minute = bytes[offset + 1]! & 0x3f;
  const hour = bytes[offset + 2]! & 0x1f;
  if (second > 59 || minute > 59 || hour > 23) return null;
  return `${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}`;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})$/;

/** Parts of a `YYYY-MM-DD[ HH:MM[:SS]]` string that the types can carry, or a RangeError. */
function parse(text: string, parts: 3 | 5 | 6): number[] {
  const match = DATE_TIME.exec(text);
  const values = match?.slice(1, parts + 1).map(Number) ?? [];
  const [y = -1, mo = 0, d = 0, h = 0, mi = 0, s = 0] = values;
  if (
    values.length !== parts ||
    values.some(Number.isNaN) ||
    y < 2000 ||
    y > 2127 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw new RangeError(`not a date EN 13757-3 can carry: ${JSON.stringify(text)}`);
  }
  return values;
}

function writeDate(out: Uint8Array, at: number, y: number, month: number, day: number): void {
  const yy = y - 2000;
  out[at] = ((yy & 0x07) << 5) | day;
  out[at + 1] = ((yy & 0x78) << 1) | month;
}

/** `YYYY-MM-DD` (2000–2127) as type G. */
export function encodeDateG(text: string): Uint8Array {
  const [y, mo, d] = parse(text, 3) as [number, number, number];
  const out = new Uint8Array(2);
  writeDate(out, 0, y, mo, d);
  return out;
}

/** `YYYY-MM-DD HH:MM` as type F (standard time, valid). */
export function encodeDateTimeF(text: string): Uint8Array {
  const [y, mo, d, h, mi] = parse(text, 5) as [number, number, number, number, number];
  const out = new Uint8Array(4);
  out[0] = mi;
  out[1] = h;
  writeDate(out, 2, y, mo, d);
  return out;
}

/** `YYYY-MM-DD HH:MM:SS` as type I (standard time, valid; day of week and week left 0). */
export function encodeDateTimeI(text: string): Uint8Array {
  const [y, mo, d, h, mi, s] = parse(text, 6) as [number, number, number, number, number, number];
  const out = new Uint8Array(6);
  out[0] = s;
  out[1] = mi;
  out[2] = h;
  writeDate(out, 3, y, mo, d);
  return out;
}

/** `HH:MM:SS` as type J. */
export function encodeTimeJ(text: string): Uint8Array {
  const match = TIME.exec(text);
  const [h = 99, mi = 99, s = 99] = match?.slice(1).map(Number) ?? [];
  if (h > 23 || mi > 59 || s > 59) {
    throw new RangeError(`not a time EN 13757-3 can carry: ${JSON.stringify(text)}`);
  }
  return Uint8Array.of(s, mi, h);
}
