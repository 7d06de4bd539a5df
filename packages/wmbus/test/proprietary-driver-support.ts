/**
 * What the tests of the proprietary drivers (src/drivers/proprietary) add to
 * driver-test-support.ts: a DriverInput built from a corpus telegram with a
 * manufacturer-specific CI, comparison of everything a case expects with the
 * decoded values, and fast-check properties over random and mutated payloads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/hex.js';
import { parseLinkHeader } from '../src/link-header.js';
import type { Driver, DriverInput, MeterAddress, NamedValue, OpenedFrame } from '../src/types.js';
import { isWmbusError } from '../src/wmbus-error.js';
import type { CorpusCase } from './corpus.js';
import { corpusCases } from './driver-test-support.js';
import { close, expectedFields, unitFactor } from './expected-values.js';

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

export interface Comparison {
  matched: string[];
  failed: string[];
  total: number;
}

/**
 * Compares every number and date of `expected` with the decoded value named
 * `names[key]` (our name for wmbusmeters' field): dates exactly, numbers once
 * converted to the unit of the field's suffix.
 */
export function compareExpected(
  expected: Record<string, unknown>,
  decoded: Record<string, NamedValue>,
  names: Record<string, string>,
): Comparison {
  const result: Comparison = { matched: [], failed: [], total: 0 };
  for (const want of expectedFields(expected)) {
    result.total++;
    const ours = names[want.field];
    const got = ours === undefined ? undefined : decoded[ours];
    let ok = false;
    if (got !== undefined && want.kind === 'date') {
      ok = got.value === want.value;
    } else if (got !== undefined && want.kind === 'number' && typeof got.value === 'number') {
      const factor = unitFactor(want.suffix, got.unit);
      ok = factor !== undefined && close(got.value * factor, want.value);
    }
    (ok ? result.matched : result.failed).push(
      ok ? want.field : `${want.field}: want ${String(want.value)}, got ${JSON.stringify(got)}`,
    );
  }
  return result;
}

/**
 * The standard suite: every corpus case of `corpusDrivers` matches `driver`
 * and decodes to every expected number and date; random and mutated input
 * throws nothing but WmbusError. `check` adds assertions of its own to each case.
 */
export function corpusSuite(
  driver: Driver,
  corpusDrivers: string[],
  count: number,
  names: Record<string, string>,
  check?: (c: CorpusCase, decoded: Record<string, NamedValue>) => void,
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
        const decoded = driver.decode(input);
        const result = compareExpected(c.expected, decoded, names);
        expect(result.failed).toEqual([]);
        expect(result.matched.length).toBe(result.total);
        check?.(c, decoded);
      });
    }

    it('throws nothing but WmbusError on random and mutated input', () => {
      assertOnlyWmbusErrors(driver);
      for (const c of cases) assertMutationsSafe(driver, inputFromCase(c), 200);
    });
  });
}

const arbAddress = fc.record({
  manufacturer: fc.oneof(
    fc.constantFrom('SAP', 'DME', 'HYD', 'TCH', 'APA', 'APT', '@0000', 'XYZ', ''),
    fc.string({ maxLength: 5 }),
  ),
  id: fc.oneof(fc.stringMatching(/^[0-9A-F]{8}$/), fc.string({ maxLength: 10 })),
  version: fc.integer({ min: -1, max: 300 }),
  deviceType: fc.integer({ min: -1, max: 300 }),
});

export const arbInput: fc.Arbitrary<DriverInput> = fc
  .record({
    link: arbAddress,
    control: fc.integer({ min: 0, max: 255 }),
    ci: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 80 }),
    key: fc.option(fc.uint8Array({ maxLength: 20 })),
  })
  .map(({ link, control, ci, payload, key }) => ({
    frame: {
      medium: 'wireless',
      control,
      link,
      meter: link,
      payloadCi: ci,
      payload,
    } as unknown as OpenedFrame,
    records: [],
    manufacturerData: null,
    key,
  }));

/** decode either returns or throws a WmbusError, for any input. */
export function assertOnlyWmbusErrors(driver: Driver, runs = 2000): void {
  fc.assert(
    fc.property(arbInput, (input) => {
      try {
        driver.decode(input);
      } catch (err) {
        if (!isWmbusError(err)) throw err;
      }
    }),
    { numRuns: runs },
  );
}

/** Same, for payloads that keep the corpus telegram's header but vary its bytes and length. */
export function assertMutationsSafe(driver: Driver, base: DriverInput, runs = 500): void {
  fc.assert(
    fc.property(
      fc.nat({ max: base.frame.payload.length }),
      fc.uint8Array({ maxLength: base.frame.payload.length + 4 }),
      (cut, noise) => {
        const payload = new Uint8Array(Math.max(cut, noise.length));
        payload.set(base.frame.payload.subarray(0, cut));
        noise.forEach((v, i) => {
          if (i >= cut) payload[i] = v;
        });
        const input = { ...base, frame: { ...base.frame, payload } };
        try {
          driver.decode(input);
        } catch (err) {
          if (!isWmbusError(err)) throw err;
        }
      },
    ),
    { numRuns: runs },
  );
}
