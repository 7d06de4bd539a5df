import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../../hex.js';
import { techemFhkvDataIv, zennerCaltos } from './hca-history.js';
import {
  assertNeverThrows,
  decodeCase,
  expectValues,
} from '../../../../test/driver-test-support.js';

describe('zenner-caltos', () => {
  it('reads the monthly readings of the inverse compact profile (caltose-001)', () => {
    const t = decodeCase('caltose-001');
    expect(t.driver).toBe('zenner-caltos');
    expectValues(t.values, {
      currentConsumption: [225, 'HCA'],
      consumptionAtSetDate: [99, 'HCA'],
      setDate: ['2026-01-01'],
      historyBaseConsumption: [203, 'HCA'],
      historyBaseDate: ['2026-02-01'],
      historyConsumption1: [99, 'HCA'],
      historyDate1: ['2026-01-01'],
      historyConsumption2: [52, 'HCA'],
      historyDate2: ['2025-12-01'],
      historyConsumption3: [10, 'HCA'],
      historyDate3: ['2025-11-01'],
      historyConsumption4: [0, 'HCA'],
      historyDate4: ['2025-10-01'],
      historyConsumption5: [null, 'HCA'],
    });
  });

  it('decodes every Caltos case', () => {
    for (const id of ['caltose-002', 'caltose-003', 'caltose-004']) {
      expect(decodeCase(id).values.historyDate4?.value, id).toBe('2025-10-01');
    }
    expectValues(decodeCase('caltose-003').values, {
      historyConsumption1: [627],
      historyConsumption2: [395],
      historyConsumption3: [176],
      historyConsumption4: [7],
    });
  });
});

describe('techem-fhkv-data-iv', () => {
  it('reads the monthly increments, newest first, dated from the base date', () => {
    const t = decodeCase('fhkvdataiv-001');
    expect(t.driver).toBe('techem-fhkv-data-iv');
    expectValues(t.values, {
      currentConsumption: [2, 'HCA'],
      consumptionAtSetDate: [25, 'HCA'],
      setDate: ['2020-12-31'],
      historyBaseDate: ['2019-10-31'],
      historyConsumption14: [22, 'HCA'],
      historyDate14: ['2019-11-30'],
      historyConsumption13: [3, 'HCA'],
      historyDate13: ['2019-12-31'],
      historyDate10: ['2020-03-31'],
      historyDate11: ['2020-02-29'],
      historyConsumption1: [0, 'HCA'],
      historyDate1: ['2020-12-31'],
    });
  });
});

describe('zenner-caltos and techem-fhkv-data-iv robustness', () => {
  it('never throws on any records', () => {
    const payload = hexToBytes('82046C41328D04EE132C');
    assertNeverThrows(
      zennerCaltos,
      { manufacturer: 'ZRI', id: '1', version: 0xfc, deviceType: 8 },
      0x7a,
      payload,
    );
    const techem = hexToBytes('82046C7F2A8D04EE1F1E');
    assertNeverThrows(
      techemFhkvDataIv,
      { manufacturer: 'TCH', id: '1', version: 0x94, deviceType: 8 },
      0x7a,
      techem,
    );
  });
});
