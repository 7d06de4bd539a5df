import { readFileSync } from 'node:fs';
import {
  decode,
  emptyDecoderState,
  encode,
  isWmbusError,
  type DecodedTelegram,
  type RecordSpec,
} from '@zaehlwerk/wmbus';
import { describe, expect, it } from 'vitest';
import type { MeterKind } from '../domain/tenancy/meter.js';
import { readRegister } from './consumption-register.js';

/** One case of the shared wM-Bus corpus (its README); only the fields read here. */
interface CorpusCase {
  id: string;
  derived_from?: string;
  scope?: 'target' | 'other';
  meter_type?: string;
  media: string;
  key: string | null;
  telegram_hex: string;
  preceding_telegrams: string[];
  expected: Record<string, unknown>;
}

/** The shared corpus sits beside the repository. */
const CORPUS = new URL('../../../../../shared/corpus/wmbus/', import.meta.url);
const read = (file: string): CorpusCase[] =>
  readFileSync(new URL(file, CORPUS), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusCase);

const original = read('corpus.jsonl');
const byId = new Map(original.map((c) => [c.id, c]));
/** The re-encrypted cases carry scope and meter type of the case they derive from. */
const cases = [
  ...original,
  ...read('corpus-reencrypted.jsonl').map((c) => {
    const from = byId.get(c.derived_from!)!;
    return { ...c, scope: from.scope, meter_type: from.meter_type };
  }),
].filter((c) => c.scope === 'target');

/** Our meter kind for a wmbusmeters meter type. */
function kindOf(c: CorpusCase): MeterKind {
  switch (c.meter_type) {
    case 'HeatCostAllocationMeter':
      return 'heat-cost-allocator';
    case 'HeatMeter':
    case 'HeatCoolingMeter':
      return 'heat-meter';
    case 'WaterMeter':
      return c.media === 'warm water' ? 'warm-water-meter' : 'water-meter';
    default:
      throw new Error(`no kind for ${c.meter_type} (${c.id})`);
  }
}

/** wmbusmeters' fields for the register billing sums, per kind, and their factor into our unit. */
const TOTALS: Record<MeterKind, Array<[field: string, toOurs: number]>> = {
  'heat-meter': [
    ['total_energy_consumption_kwh', 1],
    ['total_energy_kwh', 1],
    ['total_heat_energy_kwh', 1],
    ['total_heating_kwh', 1],
    ['total_kwh', 1],
  ],
  'water-meter': [['total_m3', 1]],
  'warm-water-meter': [['total_m3', 1]],
  'heat-cost-allocator': [
    ['current_consumption_hca', 1],
    ['current_hca', 1],
    ['consumption_hca', 1],
  ],
};

function expectedTotal(c: CorpusCase): number | undefined {
  for (const [field, factor] of TOTALS[kindOf(c)]) {
    const value = c.expected[field];
    if (typeof value === 'number') return value * factor;
  }
  return undefined;
}

function decodeCase(c: CorpusCase): DecodedTelegram | string {
  const key = c.key !== null && c.key.length === 32 ? c.key : null;
  let state = emptyDecoderState();
  try {
    for (const hex of c.preceding_telegrams) {
      try {
        state = decode(hex, { key, state }).state;
      } catch (err) {
        if (!isWmbusError(err)) throw err;
      }
    }
    return decode(c.telegram_hex, { key, state }).telegram;
  } catch (err) {
    if (!isWmbusError(err)) throw err;
    return err.code;
  }
}

/** wmbusmeters prints six decimals at most. */
const close = (a: number, b: number) => Math.abs(a - b) <= Math.max(5e-7, 1e-6 * Math.abs(b));

/**
 * Cases the codec cannot open (its README, "Cases not matched"): DES, a
 * mode-5 telegram without its key, the makers' own security modes.
 */
const UNDECODABLE = ['actislink-001', 'hydrus-003', 'rfmtx1-001', 'sharky-001', 'sharky-004'];

describe('readRegister over the corpus (scope: target)', () => {
  const withTotal = cases.filter((c) => expectedTotal(c) !== undefined);

  it('covers every kind', () => {
    const kinds = new Set(withTotal.map(kindOf));
    expect([...kinds].sort()).toEqual([
      'heat-cost-allocator',
      'heat-meter',
      'warm-water-meter',
      'water-meter',
    ]);
    expect(withTotal.length).toBeGreaterThan(180);
  });

  it('fails to decode only the cases the codec documents', () => {
    const failed = cases.filter((c) => typeof decodeCase(c) === 'string').map((c) => c.id);
    expect(failed.sort()).toEqual([...UNDECODABLE].sort());
  });

  it.each(
    withTotal.filter((c) => !UNDECODABLE.includes(c.id)).map((c) => [c.id, kindOf(c), c] as const),
  )('%s (%s): the register is the total wmbusmeters expects', (_id, kind, c) => {
    const telegram = decodeCase(c) as DecodedTelegram;
    const register = readRegister(kind, telegram);
    expect(register).not.toBeNull();
    expect(register!.unit).toBe(
      { 'heat-cost-allocator': 'units', 'heat-meter': 'kWh' }[kind as string] ?? 'm3',
    );
    const expected = expectedTotal(c)!;
    expect(close(register!.value, expected), `${register!.value} vs ${expected}`).toBe(true);
  });

  it('gives the meter time where wmbusmeters has one', () => {
    let compared = 0;
    for (const c of cases) {
      const expected = c.expected.meter_datetime;
      const telegram = decodeCase(c);
      if (typeof expected !== 'string' || typeof telegram === 'string') continue;
      const register = readRegister(kindOf(c), telegram);
      if (register === null) continue;
      // relhca-001 sends its date-time with the "invalid" bit set: the codec gives null.
      if (c.id === 'relhca-001') {
        expect(register.meterTime).toBeUndefined();
        continue;
      }
      expect(register.meterTime, c.id).toBe(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('is null where the telegram has no current register (history only)', () => {
    const vario411 = cases.find((c) => c.id === 'vario411-001')!;
    expect(readRegister('heat-meter', decodeCase(vario411) as DecodedTelegram)).toBeNull();
    const faw = cases.find((c) => c.id === 'engelmann_faw-001')!;
    expect(readRegister('water-meter', decodeCase(faw) as DecodedTelegram)).toBeNull();
  });
});

const HEAT = { manufacturer: 'ABC', id: '12345678', version: 1, deviceType: 4 };
const WATER = { ...HEAT, deviceType: 7 };
const HCA = { ...HEAT, deviceType: 8 };
const telegramOf = (meter: typeof HEAT, records: RecordSpec[]) =>
  decode(encode({ meter, accessNumber: 1, records, security: { mode: 0 } })).telegram;

describe('readRegister: units and edge cases', () => {
  it('converts a heat meter total in Wh, kWh, MWh, J, GJ into kWh', () => {
    const cases: Array<[RecordSpec, number]> = [
      [{ quantity: 'energy', unit: 'Wh', value: 123456, coding: 'int32' }, 123.456],
      [{ quantity: 'energy', unit: 'Wh', value: 7_500_000, coding: 'bcd8' }, 7500],
      [{ quantity: 'energy', unit: 'Wh', value: 2.5e9, coding: 'int32' }, 2_500_000],
      [{ quantity: 'energy', unit: 'J', value: 3.6e9, coding: 'int32' }, 1000],
      [{ quantity: 'energy', unit: 'J', value: 1.8e9, coding: 'int48' }, 500],
    ];
    for (const [spec, kWh] of cases) {
      const register = readRegister('heat-meter', telegramOf(HEAT, [spec]));
      expect(register, JSON.stringify(spec)).toEqual({ value: kWh, unit: 'kWh' });
    }
  });

  it('reads water in m³ and an allocator in units, with the meter time', () => {
    const water = telegramOf(WATER, [
      { quantity: 'volume', unit: 'm3', value: 12.345, coding: 'int32' },
      { quantity: 'volume', unit: 'm3', value: 10, coding: 'int32', storage: 1 },
      { quantity: 'dateTime', value: '2026-03-01 10:15', coding: 'dateTimeF' },
    ]);
    expect(readRegister('water-meter', water)).toEqual({
      value: 12.345,
      unit: 'm3',
      meterTime: '2026-03-01 10:15',
    });
    expect(readRegister('warm-water-meter', water)?.value).toBe(12.345);
    const hca = telegramOf(HCA, [
      { quantity: 'hcaUnits', unit: 'HCA', value: 321, coding: 'int16' },
    ]);
    expect(readRegister('heat-cost-allocator', hca)).toEqual({ value: 321, unit: 'units' });
  });

  it('rates allocator units with Kq × Kc (× Kt)', () => {
    const hca = telegramOf(HCA, [
      { quantity: 'hcaUnits', unit: 'HCA', value: 200, coding: 'int16' },
    ]);
    expect(readRegister('heat-cost-allocator', hca, { kq: 1.5, kc: 0.9 })).toEqual({
      value: 200,
      unit: 'units',
      rated: 270,
    });
    expect(readRegister('heat-cost-allocator', hca, { kq: 1.5, kc: 0.9, kt: 1.2 })?.rated).toBe(
      324,
    );
  });

  it('is null for a telegram of another kind, "no data" or a negative register', () => {
    const water = telegramOf(WATER, [
      { quantity: 'volume', unit: 'm3', value: 1, coding: 'int32' },
    ]);
    expect(readRegister('heat-meter', water)).toBeNull();
    expect(readRegister('heat-cost-allocator', water)).toBeNull();
    const noData = telegramOf(WATER, [
      { quantity: 'volume', unit: 'm3', value: null, coding: 'none' },
    ]);
    expect(readRegister('water-meter', noData)).toBeNull();
    const negative = telegramOf(WATER, [
      { quantity: 'volume', unit: 'm3', value: -0.001, coding: 'int32' },
    ]);
    expect(readRegister('water-meter', negative)).toBeNull();
  });
});
