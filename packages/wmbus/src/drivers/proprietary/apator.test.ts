import { describe, expect, it } from 'vitest';
import { apator08Driver, apator172Driver, apatorEitnDriver } from './apator.js';
import { corpusCases } from '../../../test/driver-test-support.js';
import {
  assertMutationsSafe,
  assertOnlyWmbusErrors,
  compareExpected,
  corpusSuite,
  inputFromCase,
} from '../../../test/proprietary-driver-support.js';

corpusSuite(apator08Driver, ['apator08'], 2, { total_m3: 'totalVolume' });
corpusSuite(apator172Driver, ['apator172'], 2, { total_m3: 'totalVolume' });

const EITN_NAMES: Record<string, string> = {
  current_hca: 'currentConsumption',
  previous_hca: 'previousConsumption',
  current_date: 'currentDate',
  esb_date: 'sealBrokenDate',
  temp_room_avg_c: 'roomTemperatureAverage',
  temp_room_prev_avg_c: 'previousRoomTemperatureAverage',
  // season_start_date is left out on purpose: see the test below.
};

describe('apator-e-itn-30', () => {
  const cases = corpusCases('apatoreitn');

  it('has the 3 corpus cases', () => {
    expect(cases.length).toBe(3);
  });

  for (const c of cases) {
    it(`decodes ${c.id}`, () => {
      const input = inputFromCase(c);
      expect(apatorEitnDriver.matches(input.frame.link, input.frame.payloadCi)).toBe(true);
      const decoded = apatorEitnDriver.decode(input);
      const result = compareExpected(c.expected, decoded, EITN_NAMES);
      // Every expected number and date but season_start_date.
      expect(result.failed.filter((f) => !f.startsWith('season_start_date'))).toEqual([]);
      expect(result.matched.length).toBe(result.total - 1);
      expect(decoded.sealBroken!.value).toBe(c.expected.status === 'SEAL_BROKEN');
      // The telegram carries the season start as 05-01 with year 0 (every year);
      // wmbusmeters prints 2016-05-01, whose year the bytes do not give us.
      expect(c.expected.season_start_date).toBe('2016-05-01');
      expect(String(decoded.seasonStartDate!.value).slice(5)).toBe('05-01');
    });
  }
});

describe('apator-e-itn-30 robustness', () => {
  it('throws nothing but WmbusError on random and mutated input', () => {
    assertOnlyWmbusErrors(apatorEitnDriver);
    for (const c of corpusCases('apatoreitn')) {
      assertMutationsSafe(apatorEitnDriver, inputFromCase(c), 200);
    }
  });
});
