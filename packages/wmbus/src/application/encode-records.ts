import type { RecordFunction, Unit } from '../types.js';
import { scaleByPowerOfTen } from './data-field.js';
import { encodeDateG, encodeDateTimeF, encodeDateTimeI, encodeTimeJ } from './date-time.js';
import { MAX_DIFES } from './dif.js';
import { readValueInformation, type ValueInformation } from './vif.js';
import { vifCodings, type VifCoding } from './vif-tables.js';

/**
 * Data records from a description of them: the inverse of parseRecords, for simulators,
 * gateways under test and round-trip tests. Input errors (a value no VIF and coding can
 * carry) throw RangeError: they are the caller's bug, not a meter's.
 */

/** How the value is coded on the wire (the data field of the DIF). */
export type RecordCoding =
  | 'none'
  | 'int8'
  | 'int16'
  | 'int24'
  | 'int32'
  | 'int48'
  | 'int64'
  | 'real32'
  | 'bcd2'
  | 'bcd4'
  | 'bcd6'
  | 'bcd8'
  | 'bcd12'
  | 'dateG'
  | 'dateTimeF'
  | 'dateTimeI'
  | 'timeJ'
  | 'text'
  | 'bytes';

export interface RecordSpec {
  /** What is measured, as DataRecord.quantity names it; with `unit`, selects the VIF. */
  quantity?: string;
  unit?: Unit;
  /** VIF and VIFE bytes to send as given (for a plain-text VIF: with its text); overrides quantity and unit. */
  vif?: readonly number[];
  /** In the unit of the VIF; a date string for date codings, text or hex for 'text' and 'bytes'; null for 'none'. */
  value: number | string | null;
  coding: RecordCoding;
  storage?: number;
  tariff?: number;
  subunit?: number;
  function?: RecordFunction;
}

type Shape = 'none' | 'int' | 'real' | 'bcd' | 'date' | 'lvar';

interface CodingInfo {
  /** Data field of the DIF. */
  field: number;
  /** Data bytes (fixed codings). */
  length: number;
  shape: Shape;
}

const CODINGS: Record<RecordCoding, CodingInfo> = {
  none: { field: 0x0, length: 0, shape: 'none' },
  int8: { field: 0x1, length: 1, shape: 'int' },
  int16: { field: 0x2, length: 2, shape: 'int' },
  int24: { field: 0x3, length: 3, shape: 'int' },
  int32: { field: 0x4, length: 4, shape: 'int' },
  int48: { field: 0x6, length: 6, shape: 'int' },
  int64: { field: 0x7, length: 8, shape: 'int' },
  real32: { field: 0x5, length: 4, shape: 'real' },
  bcd2: { field: 0x9, length: 1, shape: 'bcd' },
  bcd4: { field: 0xa, length: 2, shape: 'bcd' },
  bcd6: { field: 0xb, length: 3, shape: 'bcd' },
  bcd8: { field: 0xc, length: 4, shape: 'bcd' },
  bcd12: { field: 0xe, length: 6, shape: 'bcd' },
  dateG: { field: 0x2, length: 2, shape: 'date' },
  dateTimeF: { field: 0x4, length: 4, shape: 'date' },
  dateTimeI: { field: 0x6, length: 6, shape: 'date' },
  timeJ: { field: 0x3, length: 3, shape: 'date' },
  text: { field: 0xd, length: 0, shape: 'lvar' },
  bytes: { field: 0xd, length: 0, shape: 'lvar' },
};

const FUNCTION_BITS: Record<RecordFunction, number> = {
  instantaneous: 0,
  maximum: 1,
  minimum: 2,
  error: 3,
};

/** VIF codings by `${quantity}|${unit}`, built on first use. */
let byQuantity: Map<string, VifCoding[]> | undefined;

function codingsFor(quantity: string, unit: Unit): VifCoding[] {
  if (!byQuantity) {
    byQuantity = new Map();
    for (const coding of vifCodings()) {
      const key = `${coding.entry.quantity}|${coding.entry.unit}`;
      const list = byQuantity.get(key) ?? [];
      list.push(coding);
      byQuantity.set(key, list);
    }
  }
  return byQuantity.get(`${quantity}|${unit}`) ?? [];
}

/**
 * Encodes records in order into one application payload.
 *
 * @example
 * encodeRecords([
 *   { quantity: 'volume', unit: 'm3', value: 6.408, coding: 'int32' },
 *   { value: '2021-12-31', coding: 'dateG', storage: 1 },
 * ]); // 04 13 08190000  42 6C BF2C
 */
export function encodeRecords(specs: readonly RecordSpec[]): Uint8Array {
  const parts = specs.map(encodeRecord);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** One record: DIF, DIFEs, VIF, VIFEs, data. */
export function encodeRecord(spec: RecordSpec): Uint8Array {
  const coding = CODINGS[spec.coding];
  if (coding === undefined) throw new RangeError(`unknown coding ${String(spec.coding)}`);
  if ((spec.value === null) !== (coding.shape === 'none')) {
    throw new RangeError(
      `coding ${spec.coding} needs ${coding.shape === 'none' ? 'a null value' : 'a value'}`,
    );
  }
  const { vif, data } = valueAndData(spec, coding);
  const dib = dataInformation(spec, coding.field);
  const out = new Uint8Array(dib.length + vif.length + data.length);
  out.set(dib);
  out.set(vif, dib.length);
  out.set(data, dib.length + vif.length);
  return out;
}

function dataInformation(spec: RecordSpec, field: number): number[] {
  const storage = wholeNumber(spec.storage ?? 0, 'storage');
  let tariff = wholeNumber(spec.tariff ?? 0, 'tariff');
  let subunit = wholeNumber(spec.subunit ?? 0, 'subunit');
  const bytes = [
    field | (FUNCTION_BITS[spec.function ?? 'instantaneous'] << 4) | ((storage % 2) << 6),
  ];
  let rest = Math.floor(storage / 2);
  while (rest > 0 || tariff > 0 || subunit > 0) {
    if (bytes.length > MAX_DIFES) {
      throw new RangeError('storage, tariff or subunit needs more than 10 DIFEs');
    }
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push((rest % 16) | ((tariff % 4) << 4) | ((subunit % 2) << 6));
    rest = Math.floor(rest / 16);
    tariff = Math.floor(tariff / 4);
    subunit = Math.floor(subunit / 2);
  }
  return bytes;
}

function wholeNumber(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number ≥ 0`);
  return n;
}

/** The VIF bytes and data bytes of a spec. */
function valueAndData(spec: RecordSpec, coding: CodingInfo): { vif: Uint8Array; data: Uint8Array } {
  if (spec.vif) {
    const vif = Uint8Array.from(spec.vif);
    const info = readValueInformation(vif, 0);
    if (info.end !== vif.length) throw new RangeError('vif holds more than one VIF/VIFE chain');
    const data = encodeData(spec, coding, info);
    if (data === null)
      throw new RangeError(`${spec.coding} cannot carry ${String(spec.value)} with this VIF`);
    return { vif, data };
  }
  const defaultQuantity = spec.coding === 'dateG' ? 'date' : 'dateTime';
  const quantity = spec.quantity ?? (coding.shape === 'date' ? defaultQuantity : undefined);
  if (quantity === undefined)
    throw new RangeError('a record spec needs quantity (and unit) or vif');
  const candidates = codingsFor(quantity, spec.unit ?? '');
  // The primary table before the extension tables (shorter, and what meters send); then the
  // coarsest unit for integers (smallest raw number), the exponent closest to 0 for reals.
  const ordered = [...candidates].sort(
    (a, b) =>
      a.bytes.length - b.bytes.length ||
      (coding.shape === 'real'
        ? Math.abs(a.entry.exponent) - Math.abs(b.entry.exponent)
        : b.entry.exponent - a.entry.exponent),
  );
  for (const candidate of ordered) {
    const vif = Uint8Array.from(candidate.bytes);
    const data = encodeData(spec, coding, readValueInformation(vif, 0));
    if (data !== null) return { vif, data };
  }
  throw new RangeError(
    `no VIF for ${quantity} in '${spec.unit ?? ''}' carries ${String(spec.value)} as ${spec.coding}`,
  );
}

/** The data bytes, or null when this VIF and coding cannot carry the value exactly. */
function encodeData(
  spec: RecordSpec,
  coding: CodingInfo,
  info: ValueInformation,
): Uint8Array | null {
  const value = spec.value;
  switch (coding.shape) {
    case 'none':
      return new Uint8Array(0);
    case 'date':
      if (typeof value !== 'string' || info.reading !== 'timePoint') return null;
      if (spec.coding === 'dateG') return encodeDateG(value);
      if (spec.coding === 'dateTimeF') return encodeDateTimeF(value);
      if (spec.coding === 'dateTimeI') return encodeDateTimeI(value);
      return encodeTimeJ(value);
    case 'lvar':
      if (typeof value !== 'string') return null;
      return spec.coding === 'text' ? lvarText(value) : lvarBytes(value);
    case 'real': {
      if (typeof value !== 'number' || info.reading === 'timePoint') return null;
      const raw = Math.fround(unscale(value, info));
      if (convert(raw, info) !== value) return null;
      const out = new Uint8Array(4);
      new DataView(out.buffer).setFloat32(0, raw, true);
      return out;
    }
    case 'int':
    case 'bcd': {
      if (typeof value !== 'number' || info.reading === 'timePoint') return null;
      const binary = info.reading === 'binary';
      const raw = binary ? value : Math.round(unscale(value, info));
      if (!Number.isSafeInteger(raw) || (!binary && convert(raw, info) !== value)) return null;
      return coding.shape === 'int'
        ? integer(raw, coding.length, binary)
        : bcd(raw, coding.length, binary);
    }
  }
}

/** The parser's scaling (see record-value.ts), forwards and backwards. */
function convert(raw: number, info: ValueInformation): number {
  const value = scaleByPowerOfTen(raw, info.exponent);
  return info.factor === 1 && info.offset === 0 ? value : (value + info.offset) * info.factor;
}

function unscale(value: number, info: ValueInformation): number {
  return scaleByPowerOfTen(value / info.factor - info.offset, -info.exponent);
}

const TWO_32 = 0x1_0000_0000;

/** Little-endian two's complement (unsigned for binary readings); null when out of range. */
function integer(raw: number, length: number, unsigned: boolean): Uint8Array | null {
  const span = 2 ** (8 * length);
  const min = unsigned ? 0 : -span / 2;
  const max = unsigned ? span - 1 : span / 2 - 1;
  if (
    raw < Math.max(min, Number.MIN_SAFE_INTEGER) ||
    raw > Math.min(max, Number.MAX_SAFE_INTEGER)
  ) {
    return null;
  }
  const out = new Uint8Array(length);
  // Split into 32-bit halves: the arithmetic stays exact for 8-byte integers too.
  let low = ((raw % TWO_32) + TWO_32) % TWO_32;
  let high = (raw - low) / TWO_32;
  if (high < 0) high += TWO_32;
  for (let i = 0; i < length; i++) {
    if (i === 4) low = high;
    out[i] = low % 256;
    low = Math.floor(low / 256);
  }
  return out;
}

/** BCD, least significant byte first; a negative value gets F in its top digit. */
function bcd(raw: number, length: number, unsigned: boolean): Uint8Array | null {
  const digits = 2 * length;
  const negative = raw < 0;
  if (negative && unsigned) return null;
  let rest = Math.abs(raw);
  if (rest >= 10 ** (negative ? digits - 1 : digits)) return null;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const low = rest % 10;
    const high = Math.floor(rest / 10) % 10;
    out[i] = (high << 4) | low;
    rest = Math.floor(rest / 100);
  }
  if (negative) out[length - 1]! |= 0xf0;
  return out;
}

/** LVAR text: ISO 8859-1, up to 191 characters, sent last character first. */
function lvarText(text: string): Uint8Array | null {
  if (text.length > 0xbf) return null;
  const out = new Uint8Array(1 + text.length);
  out[0] = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return null;
    out[text.length - i] = code;
  }
  return out;
}

/** LVAR binary (0xE0 + length): up to 15 bytes given as hex. */
function lvarBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || hex.length > 30 || !/^[0-9A-Fa-f]*$/.test(hex)) return null;
  const out = new Uint8Array(1 + hex.length / 2);
  out[0] = 0xe0 + hex.length / 2;
  for (let i = 1; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i - 2, 2 * i), 16);
  return out;
}
