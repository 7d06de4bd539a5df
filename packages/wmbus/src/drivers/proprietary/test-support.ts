/**
 * Test helpers for the proprietary drivers (imported by the *.test.ts files
 * only): build a DriverInput from a corpus telegram, and compare a decoded
 * record with the corpus' expected JSON by value and unit.
 */
import { describe, expect, it } from 'vitest';
import { readCorpus, type CorpusCase } from '../../../test/corpus.js';
import { hexToBytes } from '../../hex.js';
import { parseLinkHeader } from '../../link-header.js';
import type {
  Driver,
  DriverInput,
  MeterAddress,
  NamedValue,
  OpenedFrame,
  Unit,
} from '../../types.js';
import { assertMutationsSafe, assertOnlyWmbusErrors } from './fuzz-support.js';

export function corpusCases(...drivers: string[]): CorpusCase[] {
  return readCorpus().filter((c) => drivers.includes((c as unknown as { driver: string }).driver));
}

export function keyOf(c: CorpusCase): Uint8Array | null {
  return c.key === null ? null : hexToBytes(c.key);
}

/** What the link and transport layers would hand over for a frame with a manufacturer-specific CI. */
export function inputFromTelegram(hex: string, key: Uint8Array | null = null): DriverInput {
  const bytes = hexToBytes(hex);
  const link = parseLinkHeader(bytes);
  const address: MeterAddress = {
    manufacturer: link.manufacturer,
    id: link.id,
    version: link.version,
    deviceType: link.deviceType,
  };
  const frame = {
    medium: 'wireless',
    control: link.control,
    link: address,
    meter: address,
    ciChain: [bytes[10]!],
    accessNumber: null,
    status: null,
    configuration: null,
    payloadCi: bytes[10]!,
    payload: bytes.subarray(11),
  } as unknown as OpenedFrame;
  return { frame, records: [], manufacturerData: null, key };
}

export function inputFromCase(c: CorpusCase): DriverInput {
  return inputFromTelegram(c.telegram_hex, keyOf(c));
}

const IGNORED = new Set(['_', 'id', 'name', 'meter', 'media', 'timestamp']);
const DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

/** Value of 1 of our unit in a base unit, per dimension. */
const OUR_UNITS: Partial<Record<Unit, [string, number]>> = {
  Wh: ['energy', 3600],
  J: ['energy', 1],
  m3: ['volume', 1],
  '°C': ['temperature', 1],
  K: ['temperature', 1],
  s: ['time', 1],
  min: ['time', 60],
  h: ['time', 3600],
  d: ['time', 86400],
  year: ['time', 365 * 86400],
  HCA: ['hca', 1],
  '': ['plain', 1],
};

/** Expected-name endings (README table) → dimension and size in the base unit. */
const SUFFIXES: [string, string, number][] = [
  ['_kwh', 'energy', 3.6e6],
  ['_mwh', 'energy', 3.6e9],
  ['_gj', 'energy', 1e9],
  ['_mj', 'energy', 1e6],
  ['_m3', 'volume', 1],
  ['_l', 'volume', 1e-3],
  ['_c', 'temperature', 1],
  ['_k', 'temperature', 1],
  ['_hca', 'hca', 1],
  ['_min', 'time', 60],
  ['_s', 'time', 1],
  ['_h', 'time', 3600],
  ['_d', 'time', 86400],
  ['_y', 'time', 365 * 86400],
  ['_counter', 'plain', 1],
  ['_factor', 'plain', 1],
];

export function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 5e-7 || Math.abs(a - b) <= 1e-6 * Math.abs(b);
}

export interface Comparison {
  matched: string[];
  failed: string[];
  total: number;
}

/**
 * Compares every number and date of `expected` with the decoded value named
 * `names[key]` (our name for wmbusmeters' field), converting units.
 */
export function compareExpected(
  expected: Record<string, unknown>,
  decoded: Record<string, NamedValue>,
  names: Record<string, string>,
): Comparison {
  const result: Comparison = { matched: [], failed: [], total: 0 };
  for (const [key, want] of Object.entries(expected)) {
    if (IGNORED.has(key)) continue;
    const isNumber = typeof want === 'number';
    const isDate = typeof want === 'string' && DATE.test(want);
    if (!isNumber && !isDate) continue;
    result.total++;
    const ours = names[key];
    const got = ours === undefined ? undefined : decoded[ours];
    let ok = false;
    if (got !== undefined && isDate) {
      ok = got.value === want;
    } else if (got !== undefined && typeof got.value === 'number') {
      const suffix = SUFFIXES.find(([s]) => key.endsWith(s));
      const unit = OUR_UNITS[got.unit];
      if (suffix && unit && suffix[1] === unit[0]) {
        ok = close((got.value * unit[1]) / suffix[2], want as number);
      }
    }
    (ok ? result.matched : result.failed).push(
      ok ? key : `${key}: want ${String(want)}, got ${JSON.stringify(got)}`,
    );
  }
  return result;
}

/**
 * The standard suite: every corpus case of `corpusDrivers` matches `driver`
 * and decodes to every expected number and date; random and mutated input
 * throws nothing but WmbusError.
 */
export function corpusSuite(
  driver: Driver,
  corpusDrivers: string[],
  count: number,
  names: Record<string, string>,
): void {
  describe(driver.name, () => {
    const cases = corpusCases(...corpusDrivers);

    it(`has the ${count} corpus cases`, () => {
      expect(cases.length).toBe(count);
    });

    for (const c of cases) {
      it(`decodes ${c.id}`, () => {
        const input = inputFromCase(c);
        expect(driver.matches(input.frame.link, input.frame.payloadCi)).toBe(true);
        const result = compareExpected(c.expected, driver.decode(input), names);
        expect(result.failed).toEqual([]);
        expect(result.matched.length).toBe(result.total);
      });
    }

    it('throws nothing but WmbusError on random and mutated input', () => {
      assertOnlyWmbusErrors(driver);
      for (const c of cases) assertMutationsSafe(driver, inputFromCase(c), 200);
    });
  });
}
