import type { DataRecord, ValueKind } from '../types.js';
import { decodeDateG, decodeDateTimeF, decodeDateTimeI, decodeTimeJ } from './date-time.js';
import { readBcd, readReal32, readSigned, readUnsigned, scaleByPowerOfTen } from './data-field.js';
import { CODING_VARIABLE, DATA_LENGTHS, type DataInformation } from './dif.js';
import { invalidRecord, truncated } from './record-errors.js';
import { hexOf, reversedLatin1 } from './text.js';
import type { ValueInformation } from './vif.js';

const CODING_REAL = 0x05;
/** Data field codings 9, A, B, C, E: BCD of 2, 4, 6, 8, 12 digits. */
const IS_BCD: readonly boolean[] = DATA_LENGTHS.map((_, coding) =>
  [0x09, 0x0a, 0x0b, 0x0c, 0x0e].includes(coding),
);

/**
 * Bytes of data after an LVAR byte (EN 13757-3 Table 5): text 0x00–0xBF, positive BCD
 * 0xC0–0xC9, negative BCD 0xD0–0xD9, binary 0xE0–0xEF, large binary 0xF0–0xF6; -1 reserved.
 */
function lvarLength(lvar: number): number {
  if (lvar <= 0xbf) return lvar;
  if (lvar <= 0xc9) return lvar - 0xc0;
  if (lvar >= 0xd0 && lvar <= 0xd9) return lvar - 0xd0;
  if (lvar >= 0xe0 && lvar <= 0xef) return lvar - 0xe0;
  if (lvar >= 0xf0 && lvar <= 0xf4) return 4 * (lvar - 0xec);
  if (lvar === 0xf5) return 48;
  if (lvar === 0xf6) return 64;
  return -1;
}

/** Offset after a record's data that starts at `start`, checked against `limit`. */
export function dataEnd(
  coding: number,
  bytes: Uint8Array,
  start: number,
  limit: number,
  recordOffset: number,
): number {
  let length = DATA_LENGTHS[coding]!;
  let first = start;
  if (coding === CODING_VARIABLE) {
    if (start >= limit) throw truncated('the LVAR byte', recordOffset);
    const lvar = bytes[start]!;
    length = lvarLength(lvar);
    if (length < 0) {
      throw invalidRecord(`LVAR 0x${lvar.toString(16).toUpperCase()} is reserved`, recordOffset);
    }
    first = start + 1;
  }
  const end = first + length;
  if (end > limit) throw truncated(`a record of ${end - start} data bytes`, recordOffset);
  return end;
}

function scaled(raw: number, info: ValueInformation): number {
  const value = scaleByPowerOfTen(raw, info.exponent);
  return info.factor === 1 && info.offset === 0 ? value : (value + info.offset) * info.factor;
}

/**
 * The record whose data is bytes[start..end) (end from dataEnd). `raw` is handed in because
 * a compact frame's record is its format's header plus its own data.
 */
export function buildRecord(
  di: DataInformation,
  vi: ValueInformation,
  bytes: Uint8Array,
  start: number,
  end: number,
  raw: Uint8Array,
  offset: number,
): DataRecord {
  const coding = di.coding;
  const length = end - start;
  const timePoint = vi.reading === 'timePoint';
  // The kind of a record without data follows its VIF; a record with data sets it below.
  let kind: ValueKind = timePoint
    ? vi.quantity === 'date'
      ? 'date'
      : 'datetime'
    : vi.reading === 'bytes'
      ? 'bytes'
      : 'number';
  let value: number | string | null = null;

  if (coding === CODING_VARIABLE) {
    const lvar = bytes[start]!;
    if (lvar <= 0xbf && vi.reading !== 'bytes') {
      kind = 'text';
      value = reversedLatin1(bytes, start + 1, end);
    } else if (lvar >= 0xc0 && lvar <= 0xd9) {
      kind = 'number';
      const bcd = readBcd(bytes, start + 1, length - 1);
      value = Number.isNaN(bcd) ? null : scaled(lvar >= 0xd0 ? -bcd : bcd, vi);
    } else {
      // Binary LVARs, and text-length LVARs that hold a profile or compound type.
      kind = 'bytes';
      value = hexOf(bytes, start + 1, end);
    }
  } else if (length === 0) {
    // "No data" and "selection for readout": the record names a quantity without a value.
  } else if (vi.reading === 'bytes') {
    kind = 'bytes';
    value = hexOf(bytes, start, end);
  } else if (coding === CODING_REAL) {
    kind = 'number';
    const real = readReal32(bytes, start);
    value = Number.isFinite(real) ? scaled(real, vi) : null;
  } else if (IS_BCD[coding]) {
    kind = 'number';
    const bcd = readBcd(bytes, start, length);
    value = Number.isNaN(bcd) ? null : scaled(bcd, vi);
  } else if (timePoint && length === 2) {
    value = decodeDateG(bytes, start);
    kind = 'date';
  } else if (timePoint && length === 4) {
    value = decodeDateTimeF(bytes, start);
    kind = 'datetime';
  } else if (timePoint && length === 6) {
    value = decodeDateTimeI(bytes, start);
    kind = 'datetime';
  } else if (timePoint && length === 3) {
    // A time of day without a date: ValueKind has no 'time', and 'datetime' promises a date.
    value = decodeTimeJ(bytes, start);
    kind = 'text';
  } else if (vi.reading === 'binary' || timePoint) {
    kind = 'number';
    value = readUnsigned(bytes, start, length);
  } else {
    value = scaled(readSigned(bytes, start, length), vi);
  }

  const record: DataRecord = {
    quantity: vi.quantity,
    unit: vi.unit,
    kind,
    value,
    storage: di.storage,
    tariff: di.tariff,
    subunit: di.subunit,
    function: di.function,
    modifiers: vi.modifiers,
    raw,
    offset,
  };
  if (vi.vifText !== undefined) record.vifText = vi.vifText;
  return record;
}
