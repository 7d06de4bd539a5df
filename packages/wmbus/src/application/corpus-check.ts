import { close, expectedFields, unitFactor } from '../../test/expected-values.js';
import type { DataRecord } from '../types.js';

/*
 * Test support for the shared corpus (../shared/corpus, see its README): walks a telegram to
 * its plaintext application payload without the transport layer (which lives elsewhere) and
 * checks decoded records against a case's `expected` values, with the one comparison of
 * corpus values by value and unit in test/expected-values.ts. Not part of the codec's API.
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

/** The numbers and date strings of `expected`, metadata and other strings left out. */
export function expectedValues(expected: Record<string, unknown>): ExpectedValue[] {
  return expectedFields(expected).map((e) =>
    e.kind === 'date'
      ? { field: e.field, value: e.value, suffix: 'date' }
      : { field: e.field, value: e.value, suffix: e.suffix },
  );
}

/** Whether a record's value, converted to the field's unit, equals the expected value. */
export function matches(expected: ExpectedValue, record: DataRecord): boolean {
  if (expected.suffix === 'date') {
    // wmbusmeters leaves out ":00" seconds of a type I date-time; the instant is the same.
    return record.value === expected.value || record.value === `${expected.value}:00`;
  }
  if (typeof record.value !== 'number' || typeof expected.value !== 'number') return false;
  // Battery lives in days against years: some drivers count the Gregorian year, not 365 days.
  if (expected.suffix === 'y' && record.unit === 'd') {
    return (
      close(record.value / 365, expected.value) || close(record.value / 365.2425, expected.value)
    );
  }
  const factor = unitFactor(expected.suffix, record.unit);
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
