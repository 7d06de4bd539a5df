import { describe, expect, it } from 'vitest';
import { bmetersHydroclima } from './bmeters-hydroclima.js';
import {
  assertNeverThrows,
  decodeCase,
  expectCorpusFields,
  expectValues,
  familyCases,
} from '../../../../test/driver-test-support.js';

const NAMES: Record<string, string> = {
  consumption_hca: 'currentConsumption',
  current_consumption_hca: 'currentConsumption',
  target_date: 'setDate',
  target_hca: 'consumptionAtSetDate',
  total_consumption_hca: 'totalConsumption',
  average_ambient_temperature_c: 'averageAmbientTemperature',
  max_ambient_temperature_c: 'maxAmbientTemperature',
  average_ambient_temperature_last_month_c: 'averageAmbientTemperatureLastMonth',
  average_heater_temperature_c: 'averageHeaterTemperature',
  average_heater_temperature_last_month_c: 'averageHeaterTemperatureLastMonth',
};
for (let k = 1; k <= 4; k++) NAMES[`consumption_at_set_date_${k}_hca`] = `historyConsumption${k}`;
for (let k = 1; k <= 3; k++) {
  NAMES[`ambient_temperature_at_set_date_${k}_c`] = `historyAmbientTemperature${k}`;
}

describe('bmeters-hydroclima', () => {
  const cases = [...familyCases('hydroclima'), ...familyCases('hydroclimav2')];

  it('has the 7 corpus cases', () => {
    expect(cases.length).toBe(7);
  });

  for (const c of cases) {
    it(`decodes ${c.id}`, () => {
      const t = decodeCase(c);
      expect(t.driver).toBe('bmeters-hydroclima');
      const listed = Object.keys(NAMES).filter((f) => f in c.expected).length;
      expect(expectCorpusFields(c, t.values, NAMES)).toBe(listed);
    });
  }

  it('names the current value, the set day and the history of layout 0x11', () => {
    const t = decodeCase(familyCases('hydroclimav2').find((c) => c.id === 'hydroclimav2-002')!);
    expectValues(t.values, {
      layout: [0x11],
      statusFlags: [0],
      currentConsumption: [596, 'HCA'],
      setDate: ['2025-12-31'],
      consumptionAtSetDate: [2265, 'HCA'],
      historyConsumption1: [468, 'HCA'],
      historyConsumption2: [2265, 'HCA'],
      historyAmbientTemperature2: [23.12, '°C'],
      totalConsumption: [2435, 'HCA'],
    });
  });

  it('reads 0x8000 as no temperature', () => {
    const t = decodeCase(familyCases('hydroclimav2').find((c) => c.id === 'hydroclimav2-003')!);
    expectValues(t.values, { historyAmbientTemperature3: [null, '°C'], statusFlags: [0x100] });
  });

  it('leaves an unknown layout alone (hydroclima-002)', () => {
    const t = decodeCase(familyCases('hydroclima').find((c) => c.id === 'hydroclima-002')!);
    expect(t.values.layout).toBeUndefined();
    expect(t.values.totalConsumption).toBeUndefined();
  });

  it('never throws on any records and manufacturer data', () => {
    const meter = { manufacturer: 'BMP', id: '93000952', version: 0x85, deviceType: 0x08 };
    assertNeverThrows(bmetersHydroclima, meter, 0x7a);
    assertNeverThrows(bmetersHydroclima, meter, 0x7a, new Uint8Array(0), Uint8Array.of(0x11));
    assertNeverThrows(bmetersHydroclima, meter, 0x7a, new Uint8Array(0), Uint8Array.of(0x10));
  });
});
