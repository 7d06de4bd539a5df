import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import {
  aggregateOverUnits,
  dailyConsumption,
  monthlyConsumption,
  sumSeries,
  type ConsumptionSeries,
  type DayConsumption,
} from './consumption.js';
import { daysBetween, localDay } from './day.js';
import { foldReading, type MeterDay } from './meter-day.js';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return isDomainError(err) ? err.code : 'not a DomainError';
  }
}

/** A day whose first and last readings are given (times are not looked at by the sums). */
const md = (day: string, firstValue: number, lastValue = firstValue, readings = 2): MeterDay => ({
  day,
  firstAt: `${day}T01:00:00Z`,
  firstValue,
  lastAt: `${day}T22:00:00Z`,
  lastValue,
  readings,
});

const values = (days: DayConsumption[]) => days.map((d) => d.consumption);

describe('dailyConsumption', () => {
  it('is the distance between the last values of consecutive days', () => {
    const days = [
      md('2026-03-01', 90, 100),
      md('2026-03-02', 101, 104.5),
      md('2026-03-03', 105, 110),
    ];
    expect(dailyConsumption(days, '2026-03-02', '2026-03-03')).toEqual([
      { day: '2026-03-02', consumption: 4.5 },
      { day: '2026-03-03', consumption: 5.5 },
    ]);
  });

  it('counts the night: readings between last of one day and first of the next belong to the next', () => {
    const days = [md('2026-03-01', 90, 100), md('2026-03-02', 103, 103)];
    expect(values(dailyConsumption(days, '2026-03-02', '2026-03-02'))).toEqual([3]);
  });

  it('leaves a day without data null and lets the next day with data carry the gap', () => {
    const days = [md('2026-03-01', 0, 10), md('2026-03-04', 20, 25)];
    expect(dailyConsumption(days, '2026-03-01', '2026-03-05')).toEqual([
      { day: '2026-03-01', consumption: 10, estimated: true },
      { day: '2026-03-02', consumption: null },
      { day: '2026-03-03', consumption: null },
      { day: '2026-03-04', consumption: 15, estimated: true, gapDays: 2 },
      { day: '2026-03-05', consumption: null },
    ]);
  });

  it('takes the baseline from the last day with data before the range, however far back', () => {
    const days = [md('2026-02-20', 50, 60), md('2026-03-01', 70, 75)];
    expect(dailyConsumption(days, '2026-03-01', '2026-03-01')).toEqual([
      { day: '2026-03-01', consumption: 15, estimated: true, gapDays: 8 },
    ]);
  });

  it('counts the first day of a meter from its first reading, estimated', () => {
    expect(dailyConsumption([md('2026-03-01', 12, 13.25)], '2026-03-01', '2026-03-01')).toEqual([
      { day: '2026-03-01', consumption: 1.25, estimated: true },
    ]);
  });

  it('takes a register that went down overnight as a reset and counts from the new value', () => {
    // A heat cost allocator at its set day: 812 units, then 0 and counting.
    const days = [md('2026-12-31', 805, 812), md('2027-01-01', 0, 3), md('2027-01-02', 4, 7)];
    expect(dailyConsumption(days, '2027-01-01', '2027-01-02')).toEqual([
      { day: '2027-01-01', consumption: 3, reset: true },
      { day: '2027-01-02', consumption: 4 },
    ]);
  });

  it('counts what is known of a reset during the day: up to the first reading, nothing after', () => {
    // A device swapped at noon: the old one read 510 in the morning, the new one 2 in the evening.
    const days = [md('2026-03-01', 500, 505), md('2026-03-02', 510, 2), md('2026-03-03', 3, 6)];
    expect(dailyConsumption(days, '2026-03-02', '2026-03-03')).toEqual([
      { day: '2026-03-02', consumption: 5, reset: true },
      { day: '2026-03-03', consumption: 4 },
    ]);
  });

  it('never gives a negative consumption, even with two resets on one day', () => {
    const days = [md('2026-03-01', 500, 505), md('2026-03-02', 100, 50)];
    expect(dailyConsumption(days, '2026-03-02', '2026-03-02')).toEqual([
      { day: '2026-03-02', consumption: 0, reset: true },
    ]);
  });

  it('rounds away floating-point residue', () => {
    const days = [md('2026-03-01', 465.96, 465.96), md('2026-03-02', 466.472, 466.472)];
    expect(values(dailyConsumption(days, '2026-03-02', '2026-03-02'))).toEqual([0.512]);
  });

  it('does not depend on the order of the items and ignores days after the range', () => {
    const days = [
      md('2026-03-03', 105, 110),
      md('2026-03-01', 90, 100),
      md('2026-03-02', 101, 104),
      md('2026-03-09', 200),
    ];
    expect(values(dailyConsumption(days, '2026-03-02', '2026-03-03'))).toEqual([4, 6]);
  });

  it('refuses a range that ends before it starts, and a day given twice', () => {
    expect(codeOf(() => dailyConsumption([], '2026-03-02', '2026-03-01'))).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      codeOf(() =>
        dailyConsumption([md('2026-03-01', 1), md('2026-03-01', 2)], '2026-03-01', '2026-03-01'),
      ),
    ).toBe('VALIDATION_FAILED');
  });

  it('follows the hours of Berlin DST days: 23 and 25 hours of a steady flow', () => {
    // One unit per hour, read every hour on the hour (UTC), folded into Berlin days.
    const start = Date.parse('2026-03-27T00:00:00Z');
    const byDay = new Map<string, MeterDay>();
    const fold = (hours: number) => {
      for (let h = 0; h <= hours; h++) {
        const at = new Date(start + h * 3_600_000).toISOString();
        const day = localDay(at, 'Europe/Berlin');
        byDay.set(day, foldReading(byDay.get(day), { at, value: h }, day));
      }
    };
    fold(24 * 4);
    const spring = dailyConsumption([...byDay.values()], '2026-03-28', '2026-03-30');
    expect(values(spring)).toEqual([24, 23, 24]);

    byDay.clear();
    const autumnStart = Date.parse('2026-10-23T00:00:00Z');
    for (let h = 0; h <= 24 * 4; h++) {
      const at = new Date(autumnStart + h * 3_600_000).toISOString();
      const day = localDay(at, 'Europe/Berlin');
      byDay.set(day, foldReading(byDay.get(day), { at, value: h }, day));
    }
    const autumn = dailyConsumption([...byDay.values()], '2026-10-24', '2026-10-26');
    expect(values(autumn)).toEqual([24, 25, 24]);
  });
});

describe('monthlyConsumption', () => {
  it('sums days by month across the month edge', () => {
    const days = [
      md('2026-01-30', 0, 10),
      md('2026-01-31', 12, 15),
      md('2026-02-01', 16, 20),
      md('2026-02-02', 22, 22),
    ];
    const daily = dailyConsumption(days, '2026-01-31', '2026-02-02');
    expect(monthlyConsumption(daily)).toEqual([
      { month: '2026-01', consumption: 5, daysWithData: 1 },
      { month: '2026-02', consumption: 7, daysWithData: 2 },
    ]);
  });

  it('puts a gap over the month edge into the month of the day that carries it, both estimated', () => {
    const days = [md('2026-01-30', 0, 10), md('2026-02-02', 14, 16)];
    const daily = dailyConsumption(days, '2026-01-30', '2026-02-02');
    expect(monthlyConsumption(daily)).toEqual([
      { month: '2026-01', consumption: 10, daysWithData: 1, estimated: true },
      { month: '2026-02', consumption: 6, daysWithData: 1, estimated: true },
    ]);
  });

  it('gives null to a month without data, and carries reset flags', () => {
    const daily: DayConsumption[] = [
      { day: '2026-03-31', consumption: null },
      { day: '2026-04-01', consumption: 2, reset: true },
    ];
    expect(monthlyConsumption(daily)).toEqual([
      { month: '2026-03', consumption: null, daysWithData: 0 },
      { month: '2026-04', consumption: 2, daysWithData: 1, reset: true },
    ]);
  });
});

const series = (
  unit: ConsumptionSeries['unit'],
  ...consumption: Array<number | null>
): ConsumptionSeries => ({
  unit,
  days: consumption.map((c, i) => ({ day: `2026-03-0${i + 1}`, consumption: c })),
});

describe('sumSeries', () => {
  it('adds series of one unit day by day', () => {
    expect(sumSeries([series('m3', 1, 2, 3), series('m3', 0.5, 0.25, 0)])).toEqual({
      unit: 'm3',
      days: [
        { day: '2026-03-01', consumption: 1.5, contributors: 2 },
        { day: '2026-03-02', consumption: 2.25, contributors: 2 },
        { day: '2026-03-03', consumption: 3, contributors: 2 },
      ],
    });
  });

  it('marks a day estimated when a series lacked data, and null when all did', () => {
    const sum = sumSeries([series('kWh', 1, null, null), series('kWh', 2, 3, null)]);
    expect(sum.days).toEqual([
      { day: '2026-03-01', consumption: 3, contributors: 2 },
      { day: '2026-03-02', consumption: 3, contributors: 1, estimated: true },
      { day: '2026-03-03', consumption: null, contributors: 0 },
    ]);
  });

  it('never adds kWh, m³ and allocator units', () => {
    expect(codeOf(() => sumSeries([series('kWh', 1), series('m3', 1)]))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => sumSeries([series('units', 1), series('kWh', 1)]))).toBe(
      'VALIDATION_FAILED',
    );
    expect(codeOf(() => sumSeries([]))).toBe('VALIDATION_FAILED');
  });
});

describe('aggregateOverUnits', () => {
  const flats = (n: number, unit: ConsumptionSeries['unit'] = 'kWh') =>
    Array.from({ length: n }, (_, i) => ({ unitId: `u${i}`, series: [series(unit, i + 1, 1)] }));

  it('gives the total over all units and how many contributed, never a unit’s own numbers', () => {
    const result = aggregateOverUnits(flats(5), 3);
    expect(result).toEqual({
      ok: true,
      unit: 'kWh',
      units: 5,
      days: [
        { day: '2026-03-01', consumption: 15 },
        { day: '2026-03-02', consumption: 5 },
      ],
    });
    expect(JSON.stringify(result)).not.toContain('u0');
  });

  it('sums a unit’s several meters as one unit', () => {
    const units = [
      { unitId: 'a', series: [series('m3', 1), series('m3', 2)] },
      { unitId: 'b', series: [series('m3', 4)] },
    ];
    expect(aggregateOverUnits(units, 2)).toMatchObject({
      ok: true,
      units: 2,
      days: [{ consumption: 7 }],
    });
    expect(aggregateOverUnits(units, 3)).toEqual({
      ok: false,
      reason: 'too-few-units',
      units: 2,
      minUnits: 3,
    });
  });

  it('refuses when fewer than minUnits units had data in the period', () => {
    const units = [
      ...flats(2),
      { unitId: 'silent', series: [series('kWh', null, null)] },
      { unitId: 'none', series: [] },
    ];
    expect(aggregateOverUnits(units, 3)).toEqual({
      ok: false,
      reason: 'too-few-units',
      units: 2,
      minUnits: 3,
    });
    expect(aggregateOverUnits([], 1)).toEqual({
      ok: false,
      reason: 'too-few-units',
      units: 0,
      minUnits: 1,
    });
  });

  it('withholds a day on which fewer than minUnits units had data', () => {
    const units = [
      { unitId: 'a', series: [series('kWh', 1, 1, 1)] },
      { unitId: 'b', series: [series('kWh', 2, 2, null)] },
      { unitId: 'c', series: [series('kWh', 3, null, null)] },
    ];
    const result = aggregateOverUnits(units, 2);
    expect(result).toEqual({
      ok: true,
      unit: 'kWh',
      units: 3,
      days: [
        { day: '2026-03-01', consumption: 6 },
        { day: '2026-03-02', consumption: 3, estimated: true },
        { day: '2026-03-03', consumption: null, withheld: true },
      ],
    });
  });

  it('refuses mixed consumption units, a unit given twice and a minUnits below 1', () => {
    expect(
      codeOf(() =>
        aggregateOverUnits([...flats(2, 'kWh'), { unitId: 'x', series: [series('m3', 1)] }], 1),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(codeOf(() => aggregateOverUnits([...flats(2), ...flats(1)], 1))).toBe(
      'VALIDATION_FAILED',
    );
    expect(codeOf(() => aggregateOverUnits(flats(2), 0))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => aggregateOverUnits(flats(2), 1.5))).toBe('VALIDATION_FAILED');
  });

  it('works on whole months of daily series from MeterDay items', () => {
    const meterDays = (scale: number) =>
      daysBetween('2026-01-31', '2026-02-28').map((day, i) =>
        md(day, i * scale, i * scale + scale / 2),
      );
    const units = [1, 2, 3].map((scale) => ({
      unitId: `flat-${scale}`,
      series: [
        {
          unit: 'm3' as const,
          days: dailyConsumption(meterDays(scale), '2026-02-01', '2026-02-28'),
        },
      ],
    }));
    const result = aggregateOverUnits(units, 3);
    if (!result.ok) throw new Error('refused');
    expect(result.days).toHaveLength(28);
    expect(monthlyConsumption(result.days)).toEqual([
      { month: '2026-02', consumption: 6 * 28, daysWithData: 28 },
    ]);
  });
});
