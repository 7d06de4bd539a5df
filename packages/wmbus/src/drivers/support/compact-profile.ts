/**
 * Compact profiles (EN 13757-3 Annex F): one record holding values of one quantity at equal
 * spacings, e.g. a meter's monthly history. The record's data: a spacing control byte, a
 * spacing value, then the elements.
 */
import {
  readBcd,
  readSigned,
  readUnsigned,
  scaleByPowerOfTen,
} from '../../application/data-field.js';
import type { DataRecord } from '../../types.js';
import { recordHeader } from './record-header.js';

export interface CompactProfile {
  /** Bits 7–6 of the spacing control byte: 0 absolute values, 1 increments, 2 decrements, 3 signed differences. */
  mode: number;
  /** Bits 5–4: 0 seconds, 1 minutes, 2 hours, 3 days. */
  spacingUnit: number;
  /** The spacing value byte, 0–250 spacing units; with days, 0xFE is one month and 0xFD half a month. */
  spacingValue: number;
  /** Spacing of one calendar month (spacing value 0xFE with unit days). */
  monthly: boolean;
  /**
   * The elements in the order sent; null where the meter sent no value. Read from a record,
   * scaled by its VIF; read from hex, as sent.
   */
  values: (number | null)[];
}

/** Element codings by the control byte's low nibble (the DIF data field codes). */
const ELEMENT: Record<number, { size: number; bcd: boolean }> = {
  0x1: { size: 1, bcd: false },
  0x2: { size: 2, bcd: false },
  0x3: { size: 3, bcd: false },
  0x4: { size: 4, bcd: false },
  0x6: { size: 6, bcd: false },
  0x9: { size: 1, bcd: true },
  0xa: { size: 2, bcd: true },
  0xb: { size: 3, bcd: true },
  0xc: { size: 4, bcd: true },
  0xe: { size: 6, bcd: true },
};

/** Decimal exponent of the primary VIFs a profile record may carry: volume and HCA units. */
function vifExponent(vif: number): number | null {
  const v = vif & 0x7f;
  if (v >= 0x10 && v <= 0x17) return (v & 0x07) - 6; // volume, 10^(n−6) m³
  if (v === 0x6e) return 0; // units for heat cost allocation
  return null;
}

/**
 * One element. Meters mark "no value" with all ones and, in 2 bytes or more, with a 1
 * followed by zeros (the signed minimum, e.g. 0x80000000); in BCD with non-decimal digits.
 */
function element(data: Uint8Array, at: number, size: number, bcd: boolean, mode: number) {
  if (bcd) {
    const v = readBcd(data, at, size);
    return Number.isNaN(v) ? null : v;
  }
  const unsigned = readUnsigned(data, at, size);
  const top = 2 ** (8 * size - 1);
  if (unsigned === 2 * top - 1 || (size > 1 && unsigned === top)) return null;
  return mode === 3 ? readSigned(data, at, size) : unsigned;
}

function profileOf(data: Uint8Array, exponent: number): CompactProfile | null {
  if (data.length < 2) return null;
  const control = data[0]!;
  const coding = ELEMENT[control & 0x0f];
  if (!coding) return null;
  const mode = control >> 6;
  const spacingUnit = (control >> 4) & 0x03;
  const spacingValue = data[1]!;
  const values: (number | null)[] = [];
  for (let at = 2; at + coding.size <= data.length; at += coding.size) {
    const v = element(data, at, coding.size, coding.bcd, mode);
    values.push(v === null ? null : scaleByPowerOfTen(v, exponent));
  }
  return {
    mode,
    spacingUnit,
    spacingValue,
    monthly: spacingUnit === 3 && spacingValue === 0xfe,
    values,
  };
}

/** The profile bytes of a variable-length record, and the exponent of its VIF; null if none. */
function recordData(record: DataRecord): { data: Uint8Array; exponent: number } | null {
  if (record.kind !== 'bytes') return null;
  const { vif, end } = recordHeader(record.raw);
  // After the header: the LVAR byte (0x00–0xBF: that many bytes), then the profile.
  const lvar = record.raw[end];
  const start = end + 1;
  if (lvar === undefined || lvar > 0xbf || start + lvar > record.raw.length) return null;
  const exponent = vif < record.raw.length ? vifExponent(record.raw[vif]!) : null;
  if (exponent === null) return null;
  return { data: record.raw.subarray(start, start + lvar), exponent };
}

/**
 * Reads a compact profile from a profile record (elements scaled by its VIF, volume or HCA
 * units), or from a profile record's value, the data bytes as hex (elements as sent). null
 * when there is none, or its layout is not one this reads.
 */
export function readCompactProfile(
  source: DataRecord | string | number | null | undefined,
): CompactProfile | null {
  if (source === null || source === undefined || typeof source === 'number') return null;
  if (typeof source === 'string') {
    if (!/^(?:[0-9A-Fa-f]{2}){2,}$/.test(source)) return null;
    const bytes = Uint8Array.from(source.match(/../g)!, (b) => Number.parseInt(b, 16));
    return profileOf(bytes, 0);
  }
  const found = recordData(source);
  return found && profileOf(found.data, found.exponent);
}
