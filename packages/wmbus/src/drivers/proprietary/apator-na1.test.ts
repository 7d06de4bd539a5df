import { describe, expect, it } from 'vitest';
import { corpusCases } from '../../../test/driver-test-support.js';
import { corpusSuite, inputFromCase } from '../../../test/proprietary-driver-support.js';
import { isWmbusError } from '../../wmbus-error.js';
import { apatorNa1Driver } from './apator-na1.js';

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

corpusSuite(apatorNa1Driver, ['apatorna1'], 10, NAMES, (c, decoded) => {
  expect(decoded.summerTime!.value).toBe(c.expected.frame_status === 'SUMMER_TIME');
  expect(decoded.historicMinimumFlow!.value).toBe(c.expected.historic_status === 'MINIMUM_FLOW');
});

describe('apator-na1 keys', () => {
  it('asks for a key, and rejects a wrong one', () => {
    const input = inputFromCase(corpusCases('apatorna1')[0]!);
    expect(code(() => apatorNa1Driver.decode({ ...input, key: null }))).toBe('KEY_REQUIRED');
    expect(code(() => apatorNa1Driver.decode({ ...input, key: new Uint8Array(16).fill(1) }))).toBe(
      'DECRYPTION_FAILED',
    );
    expect(code(() => apatorNa1Driver.decode({ ...input, key: new Uint8Array(8) }))).toBe(
      'DECRYPTION_FAILED',
    );
  });
});
