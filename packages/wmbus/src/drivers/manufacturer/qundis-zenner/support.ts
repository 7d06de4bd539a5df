/**
 * Helpers the drivers of this folder share: reading a record's data bytes, BCD and
 * dates of manufacturer layouts, compact profiles (EN 13757-3 Annex F) and month steps.
 */
import { decodeDateG } from '../../../application/date-time.js';
import { readBcd, readSigned, readUnsigned } from '../../../application/data-field.js';
import type { NamedValue, Unit } from '../../../types.js';

export function named(value: NamedValue['value'], unit: Unit = ''): NamedValue {
  return { value, unit };
}

/** Length of a record's DIF+DIFEs+VIF+VIFEs, read from the extension bits of `raw`. */
export function headerLength(raw: Uint8Array): number {
  let i = 0;
  while (i < raw.length && (raw[i]! & 0x80) !== 0) i++; // DIF and DIFEs
  i++;
  while (i < raw.length && (raw[i]! & 0x80) !== 0) i++; // VIF and VIFEs
  return Math.min(i + 1, raw.length);
}

/** BCD of `length` bytes at `offset`, scaled; null for the meter's "no value" (non-decimal digits). */
export function bcdAt(
  bytes: Uint8Array,
  offset: number,
  length: number,
  scale: number,
): number | null {
  if (offset + length > bytes.length) return null;
  const v = readBcd(bytes, offset, length);
  return Number.isNaN(v) ? null : v * scale;
}

/** Type G date at `offset`, or null (0x0000, 0xFFFF, out of range, or past the end). */
export function dateAt(bytes: Uint8Array, offset: number): string | null {
  if (offset + 2 > bytes.length) return null;
  return decodeDateG(bytes, offset);
}

export function uintAt(bytes: Uint8Array, offset: number, length: number): number | null {
  return offset + length > bytes.length ? null : readUnsigned(bytes, offset, length);
}

export function intAt(bytes: Uint8Array, offset: number, length: number): number | null {
  return offset + length > bytes.length ? null : readSigned(bytes, offset, length);
}

/** Milli-units to units without binary noise: 1234 → 1.234. */
export function milli(raw: number): number {
  return raw / 1000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * `YYYY-MM-DD` moved by `months` (negative: back). A day past the end of the target month
 * becomes its last day, and a base on the last day of its month stays on month ends
 * (2019-10-31 + 4 months = 2020-02-29), as billing dates do.
 */
export function addMonths(date: string, months: number): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const monthEnd = d === daysIn(y, mo);
  const index = y * 12 + (mo - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = daysIn(year, month);
  const day = monthEnd ? last : Math.min(d, last);
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** A compact profile (EN 13757-3 Annex F): values of one quantity at equal spacings. */
export interface CompactProfile {
  /** Bits 7–6 of the spacing control byte: 0 absolute values, 1 increments, 2 decrements, 3 signed differences. */
  mode: number;
  /** Bits 5–4: 0 seconds, 1 minutes, 2 hours, 3 days. */
  spacingUnit: number;
  /** 0–250 spacing units; with days, 0xFE means one month and 0xFD half a month. */
  spacingValue: number;
  /** Monthly spacing (spacing value 0xFE with unit days). */
  monthly: boolean;
  /** The elements in the order sent; null where the meter marks no value. */
  values: (number | null)[];
}

/** Element sizes of the data field codings a profile may use (DIF low nibble). */
const ELEMENT: Record<number, { length: number; bcd: boolean }> = {
  0x1: { length: 1, bcd: false },
  0x2: { length: 2, bcd: false },
  0x3: { length: 3, bcd: false },
  0x4: { length: 4, bcd: false },
  0x6: { length: 6, bcd: false },
  0x9: { length: 1, bcd: true },
  0xa: { length: 2, bcd: true },
  0xb: { length: 3, bcd: true },
  0xc: { length: 4, bcd: true },
  0xe: { length: 6, bcd: true },
};

/**
 * Reads a compact profile from the hex value of a profile record (spacing control byte,
 * spacing value, elements). null when the layout is not one this reads. Element values are
 * raw (not scaled by the VIF); all-FF integers and non-decimal BCD are null.
 */
export function readCompactProfile(hex: string | number | null): CompactProfile | null {
  if (typeof hex !== 'string' || !/^(?:[0-9A-Fa-f]{2}){2,}$/.test(hex)) return null;
  const bytes = Uint8Array.from(hex.match(/../g)!, (b) => Number.parseInt(b, 16));
  const control = bytes[0]!;
  const element = ELEMENT[control & 0x0f];
  if (!element) return null;
  const mode = control >> 6;
  const spacingUnit = (control >> 4) & 0x03;
  const spacingValue = bytes[1]!;
  const values: (number | null)[] = [];
  for (let i = 2; i + element.length <= bytes.length; i += element.length) {
    if (element.bcd) {
      const v = readBcd(bytes, i, element.length);
      values.push(Number.isNaN(v) ? null : v);
    } else {
      const allOnes = bytes.subarray(i, i + element.length).every((b) => b === 0xff);
      values.push(allOnes ? null : readUnsigned(bytes, i, element.length));
    }
  }
  return {
    mode,
    spacingUnit,
    spacingValue,
    monthly: spacingUnit === 3 && spacingValue === 0xfe,
    values,
  };
}
