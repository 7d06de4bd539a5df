import { describe, expect, it } from 'vitest';
import {
  byRegister,
  contributingUnits,
  landlordReport,
  meterReport,
  meterSeries,
  pointsOf,
  rangeWindow,
  sumReport,
  totalOf,
  unitTotals,
} from './consumption-report.js';
import type { StoredMeterDay } from './ingest-store.js';

/** A meter-day whose register stood at `first` and `last` (rated × 2 for allocators with factors). */
function day(
  meterId: string,
  d: string,
  first: number,
  last: number,
  more: Partial<StoredMeterDay> = {},
): StoredMeterDay {
  return {
    partnerId: 'p',
    propertyId: 'prop',
    unitId: 'u1',
    meterId,
    kind: 'water-meter',
    unit: 'm3',
    day: d,
    firstAt: `${d}T06:00:00.000Z`,
    firstValue: first,
    lastAt: `${d}T20:00:00.000Z`,
    lastValue: last,
    readings: 4,
    version: 1,
    ...more,
  };
}

describe('meterSeries', () => {
  it('counts each day from the last reading of the day before, the baseline before the range included', () => {
    const series = meterSeries(
      [
        day('m1', '2025-01-01', 10, 11),
        day('m1', '2025-01-02', 11, 12.5),
        day('m1', '2025-01-04', 13, 14),
      ],
      [rangeWindow('2025-01-02', '2025-01-05')],
    );
    expect(series).toHaveLength(1);
    expect(series[0]!.days).toEqual([
      { day: '2025-01-02', consumption: 1.5 },
      { day: '2025-01-03', consumption: null },
      { day: '2025-01-04', consumption: 1.5, gapDays: 1, estimated: true },
      { day: '2025-01-05', consumption: null },
    ]);
  });

  it('never takes a baseline from before the floor: the first day then counts from its first reading', () => {
    const stored = [day('m1', '2024-12-01', 0, 50), day('m1', '2025-01-10', 100, 101)];
    const [series] = meterSeries(stored, [
      { from: '2025-01-10', to: '2025-01-10', floor: '2025-01-09' },
    ]);
    expect(series!.days).toEqual([{ day: '2025-01-10', consumption: 1, estimated: true }]);
  });

  it('gives allocators with rating factors a second, rated series', () => {
    const hca = (d: string, first: number, last: number) =>
      day('h1', d, first, last, {
        kind: 'heat-cost-allocator',
        unit: 'units',
        firstRated: first * 2,
        lastRated: last * 2,
      });
    const series = meterSeries(
      [hca('2025-01-01', 10, 12), hca('2025-01-02', 12, 15)],
      [rangeWindow('2025-01-02', '2025-01-02')],
    );
    expect(series.map((s) => [s.key, s.days[0]!.consumption])).toEqual([
      [{ kind: 'heat-cost-allocator', unit: 'units', rated: false }, 3],
      [{ kind: 'heat-cost-allocator', unit: 'units', rated: true }, 6],
    ]);
  });

  it('leaves out meters without data in the windows', () => {
    const stored = [day('m1', '2024-12-30', 1, 2), day('m2', '2025-01-02', 1, 2)];
    expect(
      meterSeries(stored, [rangeWindow('2025-01-01', '2025-01-03')]).map((s) => s.meterId),
    ).toEqual(['m2']);
  });

  it('reports disjoint windows one after the other, each with its own baseline', () => {
    const stored = [
      day('m1', '2025-01-01', 0, 1),
      day('m1', '2025-01-02', 1, 2),
      day('m1', '2025-01-03', 2, 30), // someone else's day: not in any window
      day('m1', '2025-01-05', 31, 32),
    ];
    const [series] = meterSeries(stored, [
      { from: '2025-01-02', to: '2025-01-02', floor: '2025-01-01' },
      { from: '2025-01-05', to: '2025-01-05', floor: '2025-01-04' },
    ]);
    expect(series!.days).toEqual([
      { day: '2025-01-02', consumption: 1 },
      { day: '2025-01-05', consumption: 1, estimated: true },
    ]);
  });
});

describe('reports', () => {
  const window = rangeWindow('2025-01-30', '2025-02-02');
  const stored = [
    day('w1', '2025-01-29', 0, 1),
    day('w1', '2025-01-30', 1, 2),
    day('w1', '2025-01-31', 2, 4),
    day('w1', '2025-02-01', 4, 5),
    day('w1', '2025-02-02', 5, 7),
    day('w2', '2025-01-30', 10, 10.5, { unitId: 'u2' }),
    day('w2', '2025-02-01', 10.5, 11, { unitId: 'u2' }),
    day('h1', '2025-01-30', 100, 110, { kind: 'heat-meter', unit: 'kWh', unitId: undefined }),
  ];
  const series = meterSeries(stored, [window]);

  it('groups by register, heat first, and sums the meters of one', () => {
    const groups = byRegister(series);
    expect(groups.map((g) => g.key.kind)).toEqual(['heat-meter', 'water-meter']);
    const water = sumReport(groups[1]!.key, groups[1]!.series, 'day');
    // w2 has no day before the range (estimated) and none on 31 January (the sum is incomplete).
    expect(water.series.map((p) => p.consumption)).toEqual([1.5, 2, 1.5, 2]);
    expect(water.series[0]).toEqual({ period: '2025-01-30', consumption: 1.5, estimated: true });
    expect(water.total).toBe(7);
  });

  it('sums months over the days asked for', () => {
    const water = byRegister(series)[1]!;
    const months = sumReport(water.key, water.series, 'month');
    expect(months.series).toEqual([
      { period: '2025-01', consumption: 3.5, estimated: true },
      { period: '2025-02', consumption: 3.5, estimated: true },
    ]);
    expect(months.total).toBe(7);
    expect(meterReport(water.series[0]!, 'month')).toEqual({
      meterId: 'w1',
      total: 6,
      series: [
        { period: '2025-01', consumption: 3 },
        { period: '2025-02', consumption: 3 },
      ],
    });
  });

  it('counts the units with data, and gives managers each unit’s total', () => {
    expect(contributingUnits(series)).toBe(2);
    const water = byRegister(series)[1]!;
    expect(unitTotals(water.key, water.series, 'day')).toEqual([
      { unitId: 'u1', total: 6 },
      { unitId: 'u2', total: 1 },
    ]);
  });

  it('withholds a landlord’s register below the minimum, and days with too few units', () => {
    const water = byRegister(series)[1]!;
    expect(landlordReport(water.key, water.series, 3, 'day')).toBeNull();
    const shown = landlordReport(water.key, water.series, 2, 'day');
    expect(shown?.units).toBe(2);
    // On 31 January only u1 had data: that day's total would be one household's.
    expect(shown?.series.map((p) => [p.period, p.consumption, p.withheld])).toEqual([
      ['2025-01-30', 1.5, undefined],
      ['2025-01-31', null, true],
      ['2025-02-01', 1.5, undefined],
      ['2025-02-02', null, true],
    ]);
    expect(shown?.total).toBe(3);
    const months = landlordReport(water.key, water.series, 2, 'month');
    expect(months?.series.map((p) => [p.period, p.withheld])).toEqual([
      ['2025-01', true],
      ['2025-02', true],
    ]);
  });

  it('totals only the points that have a value', () => {
    expect(totalOf([])).toBeNull();
    expect(totalOf(pointsOf([{ day: '2025-01-01', consumption: null }], 'day'))).toBeNull();
    expect(
      totalOf([
        { period: 'a', consumption: 0.1 },
        { period: 'b', consumption: 0.2 },
        { period: 'c', consumption: null },
      ]),
    ).toBe(0.3);
  });
});
