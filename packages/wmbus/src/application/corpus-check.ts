import type { DataRecord, Unit } from '../types.js';

/*
 * Test support for the shared corpus (../shared/corpus, see its README): walks a telegram to
 * its plaintext application payload without the transport layer (which lives elsewhere) and
 * checks decoded records against a case's `expected` values. Not part of the codec's API.
 */

export interface CorpusPayload {
  /** The CI in front of the payload: 0x72, 0x78, 0x7A (records) or 0x79 (compact frame). */
  ci: number;
  payload: Uint8Array;
}

/**
 * The application payload of a telegram whose payload is plaintext (unencrypted, or stored
 * already decrypted): DLL, then ELL (0x8C–0x8F), AFL (0x90) and TPL headers skipped.
 * null for manufacturer-specific CIs and for what the walk does not know.
 */
export function corpusPayload(telegram: Uint8Array): CorpusPayload | null {
  let i: number;
  let end = telegram.length;
  if (telegram[0] === 0x68 && telegram[3] === 0x68) {
    // Wired long frame: 68 L L 68 C A CI …, checksum and 16 after L bytes.
    i = 6;
    end = Math.min(end, 4 + telegram[1]!);
  } else {
    // Wireless. The L field is not trusted: some test telegrams were edited without it.
    i = 10;
  }
  while (i < end) {
    const ci = telegram[i]!;
    switch (ci) {
      case 0x8c:
        i += 3;
        break;
      case 0x8d:
        i += 9;
        break;
      case 0x8e:
        i += 11;
        break;
      case 0x8f:
        i += 17;
        break;
      case 0x90:
        i += 2 + (telegram[i + 1] ?? 0);
        break;
      case 0x78:
      case 0x79:
        return { ci, payload: telegram.subarray(i + 1, end) };
      case 0x7a:
      case 0x72: {
        const header = ci === 0x7a ? 4 : 12;
        const configuration = telegram[i + header - 1]! | (telegram[i + header]! << 8);
        // Security modes 7 and 13 add a configuration field extension byte.
        const mode = (configuration >> 8) & 0x1f;
        const extension = mode === 7 || mode === 13 ? 1 : 0;
        return { ci, payload: telegram.subarray(i + 1 + header + extension, end) };
      }
      default:
        return null;
    }
  }
  return null;
}

/** A value of a case's `expected` that the decoder must reproduce. */
export interface ExpectedValue {
  field: string;
  value: number | string;
  /** The unit suffix of the field name (`kwh`, `m3`, …), or 'date' for date strings. */
  suffix: string;
}

const METADATA = new Set(['_', 'id', 'name', 'meter', 'media', 'timestamp']);
const DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

/** Factors from a record's unit to the unit a field-name suffix names (corpus README, step 3). */
const SUFFIX_UNITS: Record<string, Partial<Record<Unit, number>>> = {
  kwh: { Wh: 1e-3, J: 1 / 3.6e6 },
  mwh: { Wh: 1e-6, J: 1 / 3.6e9 },
  gj: { J: 1e-9, Wh: 3.6e-6 },
  mj: { J: 1e-6, Wh: 3.6e-3 },
  m3: { m3: 1 },
  l: { m3: 1000 },
  m3h: { 'm3/h': 1, 'm3/min': 60, 'm3/s': 3600 },
  lh: { 'm3/h': 1000, 'm3/min': 60_000, 'm3/s': 3_600_000 },
  kw: { W: 1e-3, 'J/h': 1 / 3.6e6 },
  w: { W: 1, 'J/h': 1 / 3600 },
  c: { '°C': 1, K: 1 },
  k: { K: 1 },
  hca: { HCA: 1 },
  h: { s: 1 / 3600, min: 1 / 60, h: 1, d: 24 },
  min: { s: 1 / 60, min: 1, h: 60, d: 1440 },
  s: { s: 1, min: 60, h: 3600, d: 86_400 },
  d: { s: 1 / 86_400, min: 1 / 1440, h: 1 / 24, d: 1 },
  // Days: see matches(), some drivers count the Gregorian year instead of 365 days.
  y: { h: 1 / 8760, month: 1 / 12, year: 1 },
  v: { V: 1 },
  bar: { bar: 1 },
  rh: { '%RH': 1 },
  pct: { '%': 1 },
  m3c: { 'm3·°C': 1 },
  counter: { '': 1 },
  factor: { '': 1 },
};

/** The numbers and date strings of `expected`, metadata and other strings left out. */
export function expectedValues(expected: Record<string, unknown>): ExpectedValue[] {
  const out: ExpectedValue[] = [];
  for (const [field, value] of Object.entries(expected)) {
    if (METADATA.has(field)) continue;
    if (typeof value === 'number') {
      out.push({ field, value, suffix: field.slice(field.lastIndexOf('_') + 1) });
    } else if (typeof value === 'string' && DATE.test(value)) {
      out.push({ field, value, suffix: 'date' });
    }
  }
  return out;
}

/** wmbusmeters prints at most six decimals (README step 4). */
function close(a: number, b: number): boolean {
  const diff = Math.abs(a - b);
  return diff <= 5e-7 || diff <= 1e-6 * Math.abs(b);
}

/** Whether a record's value, converted to the field's unit, equals the expected value. */
export function matches(expected: ExpectedValue, record: DataRecord): boolean {
  if (expected.suffix === 'date') {
    // wmbusmeters leaves out ":00" seconds of a type I date-time; the instant is the same.
    return record.value === expected.value || record.value === `${expected.value}:00`;
  }
  if (typeof record.value !== 'number' || typeof expected.value !== 'number') return false;
  if (expected.suffix === 'y' && record.unit === 'd') {
    return (
      close(record.value / 365, expected.value) || close(record.value / 365.2425, expected.value)
    );
  }
  const factor = SUFFIX_UNITS[expected.suffix]?.[record.unit];
  return factor !== undefined && close(record.value * factor, expected.value);
}

export interface MatchReport {
  total: number;
  matched: number;
  missing: ExpectedValue[];
}

export function matchExpected(
  records: readonly DataRecord[],
  expected: Record<string, unknown>,
): MatchReport {
  const wanted = expectedValues(expected);
  const missing = wanted.filter((e) => !records.some((r) => matches(e, r)));
  return { total: wanted.length, matched: wanted.length - missing.length, missing };
}
