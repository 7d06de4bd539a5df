import { describe, expect, it } from 'vitest';
import { isWmbusError } from '../../wmbus-error.js';
import { apatorNa1Driver } from './apator-na1.js';
import { assertMutationsSafe, assertOnlyWmbusErrors } from './fuzz-support.js';
import { compareExpected, corpusCases, inputFromCase } from './test-support.js';

const NAMES: Record<string, string> = {
  total_m3: 'totalVolume',
  historic_m3: 'historicVolume',
  historic_age_h: 'historicAge',
  historic_datetime: 'historicDateTime',
  meter_datetime: 'meterDateTime',
};

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isWmbusError(err) ? err.code : `not a WmbusError: ${String(err)}`;
  }
  return undefined;
}

describe('apator-na1', () => {
  const cases = corpusCases('apatorna1');

  it('has the corpus cases', () => {
    expect(cases.length).toBe(10);
  });

  for (const c of cases) {
    it(`decodes ${c.id}`, () => {
      const input = inputFromCase(c);
      expect(apatorNa1Driver.matches(input.frame.link, input.frame.payloadCi)).toBe(true);
      const decoded = apatorNa1Driver.decode(input);
      const result = compareExpected(c.expected, decoded, NAMES);
      expect(result.failed).toEqual([]);
      expect(result.matched.length).toBe(result.total);
      expect(decoded.summerTime!.value).toBe(c.expected.frame_status === 'SUMMER_TIME');
      expect(decoded.historicMinimumFlow!.value).toBe(
        c.expected.historic_status === 'MINIMUM_FLOW',
      );
    });
  }

  it('asks for a key, and rejects a wrong one', () => {
    const input = inputFromCase(cases[0]!);
    expect(code(() => apatorNa1Driver.decode({ ...input, key: null }))).toBe('KEY_REQUIRED');
    expect(code(() => apatorNa1Driver.decode({ ...input, key: new Uint8Array(16).fill(1) }))).toBe(
      'DECRYPTION_FAILED',
    );
    expect(code(() => apatorNa1Driver.decode({ ...input, key: new Uint8Array(8) }))).toBe(
      'DECRYPTION_FAILED',
    );
  });

  it('throws nothing but WmbusError on random input', () => {
    assertOnlyWmbusErrors(apatorNa1Driver);
    for (const c of cases) assertMutationsSafe(apatorNa1Driver, inputFromCase(c), 200);
  });
});
