/**
 * Small readers shared by the proprietary layouts: bounds-checked little-endian
 * integers and the date packings the manufacturers use.
 */
import type { MeterAddress } from '../../types.js';
import { WmbusError } from '../../wmbus-error.js';

/** Throws FRAME_TOO_SHORT unless `bytes` holds at least `length` bytes. */
export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length < length) {
    throw new WmbusError(
      'FRAME_TOO_SHORT',
      `${what} needs ${length} bytes after the CI field, got ${bytes.length}`,
    );
  }
}

export function u8(b: Uint8Array, offset: number): number {
  const v = b[offset];
  if (v === undefined) {
    throw new WmbusError('FRAME_TOO_SHORT', `no byte at offset ${offset}`, offset);
  }
  return v;
}

export function u16le(b: Uint8Array, offset: number): number {
  return u8(b, offset) | (u8(b, offset + 1) << 8);
}

export function u24le(b: Uint8Array, offset: number): number {
  return u16le(b, offset) | (u8(b, offset + 2) << 16);
}

export function u32le(b: Uint8Array, offset: number): number {
  return (u24le(b, offset) | (u8(b, offset + 3) << 24)) >>> 0;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isValidDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < 1 || year > 9999) return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const max = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return Number.isInteger(day) && day >= 1 && day <= max;
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
 * 12–15 (high).
 */
export function dateTypeG(lo: number, hi: number): string | null {
  const day = lo & 0x1f;
  const month = hi & 0x0f;
  const year = ((lo & 0xe0) >> 5) | ((hi & 0xf0) >> 1);
  return formatDate(2000 + year, month, day);
}

/** `YYYY-MM-DD HH:MM` of a count of seconds since 2000-01-01 00:00 (meter local time). */
export function datetimeFromSeconds2000(seconds: number): string {
  const d = new Date(Date.UTC(2000, 0, 1) + seconds * 1000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  );
}

/** The link-layer bytes M(2) A(4) version type, as sent, from the parsed address. */
export function linkBytes(link: MeterAddress): Uint8Array {
  let m: number;
  const odd = /^@([0-9A-Fa-f]{4})$/.exec(link.manufacturer);
  if (odd) {
    m = parseInt(odd[1]!, 16);
  } else if (/^[A-Z]{3}$/.test(link.manufacturer)) {
    const c = link.manufacturer;
    m = ((c.charCodeAt(0) - 64) << 10) | ((c.charCodeAt(1) - 64) << 5) | (c.charCodeAt(2) - 64);
  } else {
    throw new WmbusError(
      'INVALID_MANUFACTURER',
      `cannot encode manufacturer '${link.manufacturer}'`,
    );
  }
  if (!/^[0-9A-Fa-f]{8}$/.test(link.id)) {
    throw new WmbusError(
      'DECRYPTION_FAILED',
      `keys and IVs need the 8-digit address, got '${link.id}'`,
    );
  }
  const out = new Uint8Array(8);
  out[0] = m & 0xff;
  out[1] = (m >> 8) & 0xff;
  for (let i = 0; i < 4; i++) out[2 + i] = parseInt(link.id.slice(6 - 2 * i, 8 - 2 * i), 16);
  out[6] = link.version & 0xff;
  out[7] = link.deviceType & 0xff;
  return out;
}
