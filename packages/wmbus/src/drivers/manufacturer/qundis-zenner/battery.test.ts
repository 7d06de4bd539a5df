import { describe, expect, it } from 'vitest';
import { axiomaWater, batteryInYears, gwfWater } from './battery.js';
import {
  assertNeverThrows,
  decodeCase,
  expectValues,
} from '../../../../test/driver-test-support.js';

describe('axioma-water', () => {
  it('reads battery percent from FD 74', () => {
    for (const [id, pct] of [
      ['q400-002', 98],
      ['q400-003', 97],
      ['q400-004', 99],
      ['q400-005', 91],
      ['q400-006-reenc', 98],
    ] as const) {
      const t = decodeCase(id);
      expect(t.driver, id).toBe('axioma-water');
      expectValues(t.values, { batteryPercent: [pct, '%'] });
    }
    expectValues(decodeCase('q400-005').values, { totalVolume: [38.139, 'm3'] });
    expect(decodeCase('q400-001').values.batteryPercent).toBeUndefined();
  });
});

describe('water-battery-years', () => {
  it('gives the remaining lifetime in mean Gregorian years', () => {
    for (const [id, years] of [
      ['hydrus-001', 4999 / 365.2425],
      ['hydrus-002', 5596 / 365.2425],
      ['hydrus-006', 3375 / 365.2425],
      ['topaseskr-001', 4314 / 365.2425],
      ['topaseskr-002-reenc', 4729 / 365.2425],
    ] as const) {
      const t = decodeCase(id);
      expect(t.driver, id).toBe('water-battery-years');
      expectValues(t.values, { batteryRemainingYears: [years, 'year'] });
    }
    expectValues(decodeCase('hydrus-001').values, { batteryRemainingDays: [4999, 'd'] });
  });
});

describe('gwf-water', () => {
  it('reads the battery years of the manufacturer data', () => {
    expectValues(decodeCase('gwfwater-001').values, {
      batteryRemainingYears: [0, 'year'],
      batteryLow: [true],
      totalVolume: [0.062, 'm3'],
    });
    expectValues(decodeCase('gwfwater-002').values, {
      batteryRemainingYears: [14, 'year'],
      batteryRemainingDays: [5301, 'd'],
      batteryLow: [false],
    });
    // Manufacturer data of an unknown type: the years come from FD 74.
    expectValues(decodeCase('gwfwater-003').values, {
      batteryRemainingYears: [5301 / 365.2425, 'year'],
    });
  });

  it('never throws', () => {
    assertNeverThrows(
      gwfWater,
      { manufacturer: 'GWF', id: '1', version: 1, deviceType: 0x0e },
      0x7a,
    );
    assertNeverThrows(
      batteryInYears,
      { manufacturer: 'DME', id: '1', version: 0x70, deviceType: 7 },
      0x7a,
    );
    assertNeverThrows(
      axiomaWater,
      { manufacturer: 'AXI', id: '1', version: 0x10, deviceType: 7 },
      0x7a,
    );
  });
});
