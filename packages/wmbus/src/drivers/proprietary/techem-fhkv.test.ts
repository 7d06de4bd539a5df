import { describe, expect, it } from 'vitest';
import { techemFhkvDriver } from './techem-fhkv.js';
import { assertMutationsSafe, assertOnlyWmbusErrors } from './fuzz-support.js';
import { compareExpected, corpusCases, inputFromCase } from './test-support.js';

const NAMES: Record<string, string> = {
  current_hca: 'currentConsumption',
  current_date: 'currentDate',
  previous_hca: 'previousConsumption',
  previous_date: 'previousDate',
  temp_room_c: 'roomTemperature',
  temp_radiator_c: 'radiatorTemperature',
};

describe('techem-fhkv-data-iii', () => {
  const cases = corpusCases('fhkvdataiii');

  it('has the corpus cases', () => {
    expect(cases.length).toBe(4);
  });

  for (const c of cases) {
    it(`decodes ${c.id}`, () => {
      const input = inputFromCase(c);
      expect(techemFhkvDriver.matches(input.frame.link, input.frame.payloadCi)).toBe(true);
      const result = compareExpected(c.expected, techemFhkvDriver.decode(input), NAMES);
      expect(result.failed).toEqual([]);
      expect(result.matched.length).toBe(result.total);
    });
  }

  it('throws nothing but WmbusError on random input', () => {
    assertOnlyWmbusErrors(techemFhkvDriver);
    for (const c of cases) assertMutationsSafe(techemFhkvDriver, inputFromCase(c), 200);
  });
});
