import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../../hex.js';
import { techemFhkvDataIv, zennerCaltos } from './hca-history.js';
import { addMonths, readCompactProfile } from './support.js';
import { assertNeverThrows, decodeCase, expectValues } from './test-support.js';

describe('zenner-caltos', () => {
  it('reads the monthly readings of the inverse compact profile (caltose-001)', () => {
    const t = decodeCase('caltose-001');
    expect(t.driver).toBe('zenner-caltos');
    expectValues(t.values, {
      currentConsumption: [225, 'HCA'],
      consumptionAtSetDate: [99, 'HCA'],
      setDate: ['2026-01-01'],
      baseConsumption: [203, 'HCA'],
      baseDate: ['2026-02-01'],
      consumptionMonth1: [99, 'HCA'],
      consumptionMonth1Date: ['2026-01-01'],
      consumptionMonth2: [52, 'HCA'],
      consumptionMonth2Date: ['2025-12-01'],
      consumptionMonth3: [10, 'HCA'],
      consumptionMonth3Date: ['2025-11-01'],
      consumptionMonth4: [0, 'HCA'],
      consumptionMonth4Date: ['2025-10-01'],
      consumptionMonth5: [null, 'HCA'],
    });
  });

  it('decodes every Caltos case', () => {
    for (const id of ['caltose-002', 'caltose-003', 'caltose-004']) {
      expect(decodeCase(id).values.consumptionMonth4Date?.value, id).toBe('2025-10-01');
    }
    expectValues(decodeCase('caltose-003').values, {
      consumptionMonth1: [627],
      consumptionMonth2: [395],
      consumptionMonth3: [176],
      consumptionMonth4: [7],
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
      baseDate: ['2019-10-31'],
      consumptionMonth14: [22, 'HCA'],
      consumptionMonth14Date: ['2019-11-30'],
      consumptionMonth13: [3, 'HCA'],
      consumptionMonth13Date: ['2019-12-31'],
      consumptionMonth10Date: ['2020-03-31'],
      consumptionMonth11Date: ['2020-02-29'],
      consumptionMonth1: [0, 'HCA'],
      consumptionMonth1Date: ['2020-12-31'],
    });
  });
});

describe('compact profiles and months', () => {
  it('reads spacing, mode and elements', () => {
    const p = readCompactProfile('3BFE990000FFFFFF');
    expect(p).toEqual({
      mode: 0,
      spacingUnit: 3,
      spacingValue: 0xfe,
      monthly: true,
      values: [99, null],
    });
    expect(readCompactProfile('72FE0300FFFF')?.values).toEqual([3, null]);
    expect(readCompactProfile('7FFE00')).toBeNull();
    expect(readCompactProfile('3B')).toBeNull();
    expect(readCompactProfile(null)).toBeNull();
    expect(readCompactProfile('3BFEZZ')).toBeNull();
  });

  it('steps months, keeping month ends', () => {
    expect(addMonths('2019-10-31', 4)).toBe('2020-02-29');
    expect(addMonths('2019-10-31', 1)).toBe('2019-11-30');
    expect(addMonths('2026-02-01', -5)).toBe('2025-09-01');
    expect(addMonths('2024-01-15', -13)).toBe('2022-12-15');
    expect(addMonths('nonsense', 1)).toBeNull();
  });

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
