import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordFunction, Unit } from '../types.js';
import { bytesToHex } from '../hex.js';
import { scaleByPowerOfTen } from './data-field.js';
import {
  encodeRecord,
  encodeRecords,
  type RecordCoding,
  type RecordSpec,
} from './encode-records.js';
import { parseRecords } from './records.js';
import { vifCodings } from './vif-tables.js';

const hex = (spec: RecordSpec) => bytesToHex(encodeRecord(spec));

describe('encodeRecord', () => {
  it('chooses the VIF whose exponent carries the value exactly', () => {
    expect(hex({ quantity: 'volume', unit: 'm3', value: 0.5, coding: 'int32' })).toBe(
      '041505000000',
    );
    expect(hex({ quantity: 'volume', unit: 'm3', value: 6.408, coding: 'int32' })).toBe(
      '041308190000',
    );
    expect(hex({ quantity: 'energy', unit: 'Wh', value: 5_249_170, coding: 'bcd12' })).toBe(
      '0E04174952000000',
    );
    expect(hex({ quantity: 'flowTemperature', unit: '°C', value: -1.2, coding: 'int16' })).toBe(
      '025AF4FF',
    );
  });

  it('uses the 0xFB table only for values the primary table cannot carry', () => {
    expect(hex({ quantity: 'energy', unit: 'Wh', value: 1e8, coding: 'int8' })).toBe('01FB0164');
    expect(hex({ quantity: 'volume', unit: 'm3', value: 0, coding: 'int8' })).toBe('011700');
  });

  it('writes storage, tariff, subunit and function into DIF and DIFEs', () => {
    const volume = { quantity: 'volume', unit: 'm3', value: 0, coding: 'int32' } as const;
    expect(hex({ ...volume, storage: 17 })).toBe('C408' + '17' + '00000000');
    expect(hex({ ...volume, subunit: 2 })).toBe('848040' + '17' + '00000000');
    expect(
      hex({
        quantity: 'volumeFlow',
        unit: 'm3/h',
        value: 1,
        coding: 'bcd6',
        function: 'error',
        tariff: 1,
      }),
    ).toBe('BB10' + '3E' + '010000');
  });

  it('takes an explicit VIF, dates, text and bytes', () => {
    expect(hex({ vif: [0xfd, 0x17], value: 0x0102, coding: 'int16' })).toBe('02FD170201');
    expect(hex({ value: '2021-12-31', coding: 'dateG', storage: 1 })).toBe('426CBF2C');
    expect(hex({ value: '2023-03-04 18:54', coding: 'dateTimeF' })).toBe('046D3612E423');
    expect(hex({ quantity: 'firmwareVersion', unit: '', value: 'B1.28.0', coding: 'text' })).toBe(
      '0DFD0E07302E38322E3142',
    );
    expect(hex({ vif: [0x7f], value: 'A1B2', coding: 'bytes' })).toBe('0D7FE2A1B2');
    expect(hex({ quantity: 'volume', unit: 'm3', value: null, coding: 'none' })).toBe('0017');
  });

  it('refuses what no VIF and coding can carry', () => {
    expect(() =>
      encodeRecord({ quantity: 'volume', unit: 'm3', value: 1e-9, coding: 'int32' }),
    ).toThrow(RangeError);
    expect(() =>
      encodeRecord({ quantity: 'volume', unit: 'm3', value: 301, coding: 'bcd2' }),
    ).toThrow(RangeError);
    expect(() =>
      encodeRecord({ quantity: 'volume', unit: 'kg', value: 1, coding: 'int32' }),
    ).toThrow(RangeError);
    expect(() =>
      encodeRecord({ quantity: 'volume', unit: 'm3', value: null, coding: 'int32' }),
    ).toThrow(RangeError);
    expect(() =>
      encodeRecord({ quantity: 'volume', unit: 'm3', value: 1, coding: 'int32', storage: 2 ** 41 }),
    ).toThrow(RangeError);
  });
});

/** Every decimal, signed quantity/unit of the tables, with the exponents that code it. */
const decimalUnits = (() => {
  const byKey = new Map<string, { quantity: string; unit: Unit; exponents: number[] }>();
  for (const { entry } of vifCodings()) {
    if (entry.reading !== 'number' || entry.factor !== 1 || entry.offset !== 0) continue;
    const key = `${entry.quantity}|${entry.unit}`;
    const found = byKey.get(key) ?? { quantity: entry.quantity, unit: entry.unit, exponents: [] };
    found.exponents.push(entry.exponent);
    byKey.set(key, found);
  }
  return [...byKey.values()];
})();

const INTEGER_CODINGS: [RecordCoding, number, number][] = [
  ['int8', -128, 127],
  ['int16', -32768, 32767],
  ['int24', -(2 ** 23), 2 ** 23 - 1],
  ['int32', -(2 ** 31), 2 ** 31 - 1],
  ['int48', -(2 ** 47), 2 ** 47 - 1],
  ['int64', -(2 ** 50), 2 ** 50],
  ['bcd2', -9, 99],
  ['bcd4', -999, 9999],
  ['bcd6', -99_999, 999_999],
  ['bcd8', -9_999_999, 99_999_999],
  ['bcd12', -99_999_999_999, 999_999_999_999],
];

const place = fc.record({
  storage: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 41 - 1 })),
  tariff: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 ** 10 - 1 })),
  subunit: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 2 ** 10 - 1 })),
  function: fc.constantFrom<RecordFunction>('instantaneous', 'maximum', 'minimum', 'error'),
});

const numberSpec = fc
  .tuple(fc.constantFrom(...decimalUnits), fc.constantFrom(...INTEGER_CODINGS), place)
  .chain(([u, [coding, min, max], where]) =>
    fc
      .tuple(fc.constantFrom(...u.exponents), fc.integer({ min, max }))
      .map(([exponent, raw]): RecordSpec => ({
        quantity: u.quantity,
        unit: u.unit,
        coding,
        value: scaleByPowerOfTen(raw, exponent),
        ...where,
      })),
  );

const realSpec = fc
  .tuple(fc.constantFrom(...decimalUnits.filter((u) => u.exponents.includes(0))), place)
  .chain(([u, where]) =>
    fc.float({ noNaN: true, noDefaultInfinity: true }).map((value): RecordSpec => ({
      quantity: u.quantity,
      unit: u.unit,
      coding: 'real32',
      value: value === 0 ? 0 : value,
      ...where,
    })),
  );

const pad = (n: number) => String(n).padStart(2, '0');
const dateSpec = fc
  .tuple(
    fc.integer({ min: 2000, max: 2127 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
    fc.constantFrom<RecordCoding>('dateG', 'dateTimeF', 'dateTimeI', 'timeJ'),
    place,
  )
  .map(([y, mo, d, h, mi, s, coding, where]): RecordSpec => {
    const date = `${y}-${pad(mo)}-${pad(d)}`;
    const value = {
      dateG: date,
      dateTimeF: `${date} ${pad(h)}:${pad(mi)}`,
      dateTimeI: `${date} ${pad(h)}:${pad(mi)}:${pad(s)}`,
      timeJ: `${pad(h)}:${pad(mi)}:${pad(s)}`,
    }[coding as 'dateG'];
    return {
      quantity: coding === 'dateG' ? 'date' : 'dateTime',
      unit: '',
      coding,
      value,
      ...where,
    };
  });

const textSpec = fc
  .tuple(fc.string({ maxLength: 40, unit: 'grapheme-ascii' }), place)
  .map(([value, where]): RecordSpec => ({
    quantity: 'customer',
    unit: '',
    coding: 'text',
    value,
    ...where,
  }));

const noDataSpec = fc
  .tuple(fc.constantFrom(...decimalUnits), place)
  .map(([u, where]): RecordSpec => ({
    quantity: u.quantity,
    unit: u.unit,
    coding: 'none',
    value: null,
    ...where,
  }));

describe('encodeRecords ∘ parseRecords', () => {
  it('gives back quantity, unit, value, storage, tariff, subunit and function', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(numberSpec, realSpec, dateSpec, textSpec, noDataSpec), { maxLength: 12 }),
        (specs) => {
          const { records, manufacturerData } = parseRecords(encodeRecords(specs));
          expect(manufacturerData).toBeNull();
          expect(records).toHaveLength(specs.length);
          records.forEach((record, i) => {
            const spec = specs[i]!;
            expect(record).toMatchObject({
              quantity: spec.quantity,
              unit: spec.unit,
              storage: spec.storage,
              tariff: spec.tariff,
              subunit: spec.subunit,
              function: spec.function,
              modifiers: [],
            });
            if (spec.coding === 'real32') {
              expect(record.value as number).toBeCloseTo(spec.value as number, 5);
            } else {
              expect(record.value).toBe(spec.value);
            }
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
