/**
 * Helpers the history drivers share: finding plain records by storage, stepping dates by
 * months, the heat cost allocator names the platform reads, and the compact profiles of
 * EN 13757-3 Annex F.
 */
import { readSigned, readUnsigned, scaleByPowerOfTen } from '../../../application/data-field.js';
import type { DataRecord, NamedValue, Unit } from '../../../types.js';

export function named(value: NamedValue['value'], unit: Unit = ''): NamedValue {
  return { value, unit };
}

/** The first plain record (tariff 0, subunit 0, no modifiers) of a quantity in a storage. */
export function plainRecord(
  records: readonly DataRecord[],
  quantity: string,
  storage: number,
  fn: DataRecord['function'] = 'instantaneous',
): DataRecord | undefined {
  return records.find(
    (r) =>
      r.quantity === quantity &&
      r.storage === storage &&
      r.tariff === 0 &&
      r.subunit === 0 &&
      r.function === fn &&
      r.modifiers.length === 0,
  );
}

/** Plain records of a quantity in storages ≥ `from`, by ascending storage number (first of each). */
export function plainRecordsFrom(
  records: readonly DataRecord[],
  quantity: string,
  from: number,
): DataRecord[] {
  const byStorage = new Map<number, DataRecord>();
  for (const r of records) {
    if (r.storage < from || byStorage.has(r.storage)) continue;
    if (plainRecord([r], quantity, r.storage)) byStorage.set(r.storage, r);
  }
  return [...byStorage.values()].sort((a, b) => a.storage - b.storage);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A `YYYY-MM-DD` date moved by whole months (negative: back). A date on the last day of its
 * month stays on month ends (2020-12-31 − 10 months = 2020-02-29); any other day is kept,
 * clipped to the length of the target month. null for anything that is not such a date.
 */
export function addMonths(date: unknown, months: number): string | null {
  if (typeof date !== 'string' || !Number.isInteger(months)) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return null;
  const index = y * 12 + (mo - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  if (year < 0 || year > 9999) return null;
  const last = daysIn(year, month);
  const day = d === daysIn(y, mo) ? last : Math.min(d, last);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/**
 * The names the platform reads from every heat cost allocator: the current value, the value
 * and date at the set day (storage 1), the meter's clock. History entries are named by the
 * drivers that know their dates: `historyConsumption{k}` and `historyDate{k}`, k = 1 newest.
 */
export function hcaSetDayValues(records: readonly DataRecord[]): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  const current = plainRecord(records, 'hcaUnits', 0);
  const setDate = plainRecord(records, 'date', 1);
  const atSetDate = plainRecord(records, 'hcaUnits', 1);
  const clock = plainRecord(records, 'dateTime', 0);
  if (current) out.currentConsumption = named(current.value, current.unit);
  if (setDate) out.setDate = named(setDate.value);
  if (atSetDate) out.consumptionAtSetDate = named(atSetDate.value, atSetDate.unit);
  if (clock) out.meterDateTime = named(clock.value);
  return out;
}

/** A compact profile (EN 13757-3 Annex F) read from a variable-length record. */
export interface CompactProfile {
  /** Bits 7–6 of the spacing control byte: 0 absolute values, 1 increments, 2 decrements, 3 signed differences. */
  mode: number;
  /** Bits 5–4: 0 seconds, 1 minutes, 2 hours, 3 days. */
  spacingUnit: number;
  /** The spacing value byte; with days, 0xFE is one month (and 0xFD half a month). */
  spacingValue: number;
  /** Spacing of one calendar month. */
  monthly: boolean;
  /** Elements in the order sent, scaled by the record's VIF; null where the meter sent no value. */
  values: (number | null)[];
}

/** Offsets of the VIF and of the first byte after the VIFEs, read from the extension bits. */
function headerOffsets(raw: Uint8Array): { vif: number; end: number } {
  let i = 0;
  while (i < raw.length && (raw[i]! & 0x80) !== 0) i++;
  const vif = i + 1; // after the last DIF(E)
  i = vif;
  while (i < raw.length && (raw[i]! & 0x80) !== 0) i++;
  return { vif, end: i + 1 }; // after the last VIF(E)
}

/** Decimal exponent of the primary VIFs a profile of ours may carry: volume and HCA units. */
function vifExponent(vif: number): number | null {
  const v = vif & 0x7f;
  if (v >= 0x10 && v <= 0x17) return (v & 0x07) - 6; // volume, 10^(n−6) m³
  if (v === 0x6e) return 0; // units for heat cost allocation
  return null;
}

/**
 * Reads the compact profile a record holds (spacing control byte, spacing value, then the
 * elements, little-endian integers of the size the control byte's low nibble gives: 1, 2, 3,
 * 4 or 6 bytes). Elements of all ones, and of 2 bytes or more a 1 followed by zeros (the
 * signed minimum some meters send for "no value"), are null. undefined when the record is not such a profile.
 */
export function readCompactProfile(record: DataRecord | undefined): CompactProfile | undefined {
  if (!record || record.kind !== 'bytes') return undefined;
  const { vif, end } = headerOffsets(record.raw);
  // After the header: the LVAR byte (0x00–0xBF: that many bytes), then the profile.
  const lvar = record.raw[end];
  const start = end + 1;
  if (lvar === undefined || lvar > 0xbf || lvar < 2 || start + lvar > record.raw.length) {
    return undefined;
  }
  const exponent = vif < record.raw.length ? vifExponent(record.raw[vif]!) : null;
  if (exponent === null) return undefined;
  const data = record.raw.subarray(start, start + lvar);
  const control = data[0]!;
  const size = control & 0x0f;
  if (![1, 2, 3, 4, 6].includes(size)) return undefined;
  const spacingUnit = (control >> 4) & 0x03;
  const spacingValue = data[1]!;
  const mode = control >> 6;
  const values: (number | null)[] = [];
  for (let at = 2; at + size <= data.length; at += size) {
    const unsigned = readUnsigned(data, at, size);
    const top = 2 ** (8 * size - 1);
    if (unsigned === 2 * top - 1 || (size > 1 && unsigned === top)) values.push(null);
    else {
      const raw = mode === 3 ? readSigned(data, at, size) : unsigned;
      values.push(scaleByPowerOfTen(raw, exponent));
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
