import { describe, expect, it } from 'vitest';
import { dataRecord as record } from '../../test/driver-test-support.js';
import { findRecord, nameAllRecords, recordName } from './record-names.js';

describe('record names', () => {
  it('says what sets a record apart from the current value', () => {
    expect(recordName(record({}))).toBe('volume');
    expect(recordName(record({ storage: 1 }))).toBe('volumeStorage1');
    expect(recordName(record({ quantity: 'volumeFlow', function: 'maximum' }))).toBe(
      'volumeFlowMaximum',
    );
    expect(recordName(record({ quantity: 'energy', tariff: 2, subunit: 1 }))).toBe(
      'energyTariff2Subunit1',
    );
    expect(recordName(record({ modifiers: ['backwardFlow'] }))).toBe('volumeBackwardFlow');
  });

  it('keeps every record when two share a name', () => {
    const named = nameAllRecords([record({ value: 1 }), record({ value: 2 })]);
    expect(named).toEqual({
      volume: { value: 1, unit: 'm3' },
      'volume#2': { value: 2, unit: 'm3' },
    });
  });

  it('finds the plain current value, not a history entry or a maximum', () => {
    const records = [
      record({ storage: 1, value: 5 }),
      record({ function: 'maximum', value: 9 }),
      record({ value: 7 }),
    ];
    expect(findRecord(records, { quantity: 'volume' })?.value).toBe(7);
    expect(findRecord(records, { quantity: 'volume', storage: 1 })?.value).toBe(5);
  });
});
