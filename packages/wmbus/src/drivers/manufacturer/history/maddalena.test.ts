import { describe, expect, it } from 'vitest';
import { maddalenaEvo868, maddalenaMicroclima } from './maddalena.js';
import {
  assertNeverThrows,
  decodeCase,
  expectCorpusFields,
  expectValues,
  familyCases,
} from '../../../../test/driver-test-support.js';

const EVO868_NAMES: Record<string, string> = {
  total_m3: 'totalVolume',
  device_datetime: 'meterDateTime',
  consumption_at_set_date_m3: 'targetVolume',
  set_date: 'targetDate',
  consumption_at_set_date_2_m3: 'targetVolume2',
  set_date_2: 'targetDate2',
  max_flow_since_datetime_m3h: 'maxVolumeFlowSinceSetDate',
  max_flow_datetime: 'maxVolumeFlowDateTime',
  history_reference_date: 'historyReferenceDate',
};
for (let k = 1; k <= 12; k++) {
  EVO868_NAMES[`consumption_at_history_${k}_m3`] = `historyVolume${k}`;
  EVO868_NAMES[`history_${k}_date`] = `historyDate${k}`;
}

describe('maddalena-evo868', () => {
  const cases = familyCases('evo868');

  it('has the 2 corpus cases', () => {
    expect(cases.map((c) => c.id)).toEqual(['evo868-001', 'evo868-002']);
  });

  for (const c of cases) {
    it(`decodes ${c.id} with every history month dated`, () => {
      const t = decodeCase(c);
      expect(t.driver).toBe('maddalena-evo868');
      expect(expectCorpusFields(c, t.values, EVO868_NAMES)).toBe(Object.keys(EVO868_NAMES).length);
    });
  }

  it('steps back from the reference month end, keeping month ends (leap year)', () => {
    const t = decodeCase(familyCases('evo868')[1]!);
    expectValues(t.values, {
      historyReferenceDate: ['2024-11-30'],
      historyVolume1: [33.658, 'm3'],
      historyDate1: ['2024-11-30'],
      historyDate10: ['2024-02-29'],
      historyVolume12: [25.296, 'm3'],
      historyDate12: ['2023-12-31'],
    });
  });

  it('names no dates without the storage interval record', () => {
    const c = familyCases('evo868')[0]!;
    // 8104FD2801: storage 8, storage interval 1 month; 8104FD2800 says 0 months.
    const hex = c.telegram_hex.replace('8104FD2801', '8104FD2800');
    const t = decodeCase({ ...c, telegram_hex: hex });
    expectValues(t.values, { historyVolume2: [0.027, 'm3'], historyDate2: [null] });
  });

  it('never throws on any records', () => {
    const meter = { manufacturer: 'MAD', id: '79787776', version: 0x50, deviceType: 0x07 };
    assertNeverThrows(maddalenaEvo868, meter, 0x7a, Uint8Array.of(0x81, 0x04, 0xfd, 0x28, 0x01));
  });
});

describe('maddalena-microclima', () => {
  const cases = familyCases('microclima');

  it('has the 2 corpus cases', () => {
    expect(cases.map((c) => c.id)).toEqual(['microclima-001', 'microclima-002']);
  });

  it('decodes microclima-001 (no history) with the generic heat meter names', () => {
    const t = decodeCase(cases[0]!);
    expect(t.driver).toBe('maddalena-microclima');
    expectValues(t.values, {
      totalEnergy: [1805000, 'Wh'],
      totalVolume: [297.994, 'm3'],
      flowTemperature: [21, '°C'],
      meterDateTime: ['2021-12-22 00:39'],
    });
    expect(t.values.historyEnergy1).toBeUndefined();
  });

  it('decodes microclima-002: storage n dated n − 1 months before the set day', () => {
    const c = cases[1]!;
    const names: Record<string, string> = { total_energy_consumption_kwh: 'totalEnergy' };
    // The meter sends the odd storages 1, 3, … 31: history entries 1 … 16.
    for (let n = 1; n <= 31; n += 2) {
      names[`consumption_at_set_date_${n}_kwh`] = `historyEnergy${(n + 1) / 2}`;
      names[`set_date_${n}_date`] = `historyDate${(n + 1) / 2}`;
    }
    const t = decodeCase(c);
    expect(expectCorpusFields(c, t.values, names)).toBe(33);
    expectValues(t.values, {
      targetDate: ['2020-12-31'],
      targetEnergy: [1222000, 'Wh'],
      historyEnergy1: [1222000, 'Wh'],
      historyDate1: ['2020-12-31'],
      historyDate6: ['2020-02-29'],
    });
  });

  it('never throws on any records', () => {
    const meter = { manufacturer: 'MAD', id: '93573086', version: 0x00, deviceType: 0x04 };
    assertNeverThrows(maddalenaMicroclima, meter, 0x7a, Uint8Array.of(0x42, 0x6c, 0x9f, 0x2c));
  });
});
