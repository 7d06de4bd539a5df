import { describe, expect, it } from 'vitest';
import { readCompactProfile } from '../../support/compact-profile.js';
import { zennerUiws } from './zenner-uiws.js';
import {
  assertNeverThrows,
  decodeCase,
  expectCorpusFields,
  expectValues,
  familyCases,
} from '../../../../test/driver-test-support.js';

const NAMES: Record<string, string> = {
  total_m3: 'totalVolume',
  meter_datetime: 'meterDateTime',
  flow_temperature_c: 'flowTemperature',
  external_temperature_c: 'externalTemperature',
  target_date: 'historyBaseDate',
  target_m3: 'historyBaseVolume',
  unknown_m3: 'targetVolume',
};
for (let k = 1; k <= 10; k++) {
  NAMES[`target_${k}_date`] = `historyDate${k}`;
  NAMES[`target_${k}_m3`] = `historyVolume${k}`;
}

describe('zenner-uiws', () => {
  const cases = familyCases('uiws');

  it('has the corpus case and its re-encrypted twin', () => {
    expect(cases.map((c) => c.id)).toEqual(['uiws-001', 'uiws-001-reenc']);
  });

  for (const c of cases) {
    it(`decodes ${c.id}: the inverse compact profile, one month per element`, () => {
      const t = decodeCase(c);
      expect(t.driver).toBe('zenner-uiws');
      expect(expectCorpusFields(c, t.values, NAMES)).toBe(Object.keys(NAMES).length);
      // The profile has 11 elements; the 11th month is named too.
      expectValues(t.values, {
        historyVolume1: [0, 'm3'],
        historyVolume11: [null, 'm3'],
        historyDate11: ['2025-07-01'],
      });
    });
  }

  it('reads no profile from a record that is not one', () => {
    const t = decodeCase(familyCases('uiws')[0]!);
    expect(readCompactProfile(t.records.find((r) => r.quantity === 'dateTime'))).toBeNull();
    expect(readCompactProfile(undefined)).toBeNull();
  });

  it('never throws on any records', () => {
    const meter = { manufacturer: 'ZRI', id: '61330764', version: 0x99, deviceType: 0x07 };
    assertNeverThrows(zennerUiws, meter, 0x7a, Uint8Array.of(0x82, 0x0f, 0x6c, 0x41, 0x36));
    assertNeverThrows(zennerUiws, meter, 0x7a, Uint8Array.of(0x8d, 0x0f, 0x93, 0x13));
  });
});
