import { describe, expect, it } from 'vitest';
import { dataRecord, decodeCase, expectValues } from '../../../test/driver-test-support.js';
import type { DataRecord, DriverInput } from '../../types.js';
import { genericHeatCostAllocator } from './generic-drivers.js';

function hca(storage: number, value: number, more: Partial<DataRecord> = {}): DataRecord {
  return dataRecord({ quantity: 'hcaUnits', unit: 'HCA', storage, value, ...more });
}

function date(storage: number, value: string): DataRecord {
  return dataRecord({ quantity: 'date', unit: '', kind: 'date', storage, value });
}

function decodeRecords(records: DataRecord[]) {
  const frame = { status: null } as unknown as DriverInput['frame'];
  return genericHeatCostAllocator.decode({ frame, records, manufacturerData: null, key: null });
}

describe('generic-heat-cost-allocator', () => {
  it('names the history by storage number, newest (storage 2) first, dated by its storage', () => {
    const values = decodeRecords([
      hca(0, 40),
      date(1, '2024-12-31'),
      hca(1, 300),
      hca(5, 90),
      date(2, '2024-11-30'),
      hca(2, 250),
      hca(3, 200),
      // Not plain, so not history: a tariff, a subunit, a maximum, a modifier.
      hca(2, 1, { tariff: 1 }),
      hca(3, 2, { subunit: 1 }),
      hca(4, 3, { function: 'maximum' }),
      hca(4, 4, { modifiers: ['compactProfile'] }),
      date(5, '2024-08-31'),
    ]);
    expectValues(values, {
      currentConsumption: [40, 'HCA'],
      setDate: ['2024-12-31'],
      consumptionAtSetDate: [300, 'HCA'],
      historyConsumption1: [250, 'HCA'],
      historyDate1: ['2024-11-30'],
      historyConsumption2: [200, 'HCA'],
      historyDate2: [null],
      historyConsumption3: [90, 'HCA'],
      historyDate3: ['2024-08-31'],
    });
    expect(values.historyConsumption4).toBeUndefined();
    expect(values.historyDate4).toBeUndefined();
    // Every record keeps its own name as well.
    expectValues(values, { hcaUnitsStorage2: [250, 'HCA'], hcaUnitsStorage2Tariff1: [1, 'HCA'] });
  });

  it('names no history without storages from 2 on', () => {
    const values = decodeRecords([hca(0, 40), date(1, '2024-12-31'), hca(1, 300)]);
    expect(Object.keys(values).filter((name) => name.startsWith('history'))).toEqual([]);
  });

  it('names the sixteen storages of eurisii-001, undated', () => {
    const t = decodeCase('eurisii-001');
    expect(t.driver).toBe('generic-heat-cost-allocator');
    expectValues(t.values, {
      historyConsumption1: [529, 'HCA'],
      historyDate1: [null],
      historyConsumption8: [2321, 'HCA'],
      historyConsumption16: [5905, 'HCA'],
      historyDate16: [null],
    });
    expect(t.values.historyConsumption17).toBeUndefined();
  });
});
