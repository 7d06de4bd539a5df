import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import type { MeterKind } from '../tenancy/meter.js';
import type { DayConsumption } from './consumption.js';
import { daysOfMonth } from './day.js';
import {
  changePercent,
  hotWaterKwhPerM3,
  monthlyInformation,
  type GroupUnit,
  type MeterMonth,
  type MonthlyInformationInput,
} from './monthly-information.js';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return isDomainError(err) ? err.code : 'not a DomainError';
  }
}

const MONTH = '2025-03';

interface MeterSpec {
  kind?: MeterKind;
  month?: string;
  perDay: number;
  /** Days of the month (1-based) without data. */
  missing?: number[];
  /** The first day counts from its own first reading (no day before). */
  noBaseline?: boolean;
  /** Only these days (1-based, inclusive) count for the caller. */
  counted?: [number, number];
  rated?: boolean;
}

/** A meter installed all month that consumes `perDay` a day. */
function meter(spec: MeterSpec): MeterMonth {
  const all = daysOfMonth(spec.month ?? MONTH);
  const [first, last] = spec.counted ?? [1, all.length];
  const days = all.slice(first - 1, last).map((day, i): DayConsumption => {
    if (spec.missing?.includes(first + i)) return { day, consumption: null };
    return i === 0 && spec.noBaseline === true
      ? { day, consumption: spec.perDay, estimated: true }
      : { day, consumption: spec.perDay };
  });
  const kind = spec.kind ?? 'heat-meter';
  return {
    kind,
    installedDays: all.length,
    days,
    ...(kind === 'heat-cost-allocator' ? { rated: spec.rated ?? true } : {}),
  };
}

/** The same meter in the month reported, the month before and a year before. */
function months(
  current: MeterSpec[],
  previousMonth: MeterSpec[] = [],
  previousYear: MeterSpec[] = [],
) {
  return {
    current: current.map((s) => meter({ ...s, month: MONTH })),
    previousMonth: previousMonth.map((s) => meter({ ...s, month: '2025-02' })),
    previousYear: previousYear.map((s) => meter({ ...s, month: '2024-03' })),
  };
}

function input(overrides: Partial<MonthlyInformationInput> = {}): MonthlyInformationInput {
  return {
    month: MONTH,
    unit: { heatedAreaM2: 60, livingAreaM2: 70, ...months([]) },
    group: [],
    conversion: { hotWaterCentral: true },
    minimumGroupUnits: 3,
    ...overrides,
  };
}

const other = (meters: MeterSpec[], heatedAreaM2 = 50, livingAreaM2 = 50): GroupUnit => ({
  heatedAreaM2,
  livingAreaM2,
  meters: meters.map((s) => meter(s)),
});

describe('monthlyInformation', () => {
  it('reports a heat meter’s complete months in kWh, with the changes against both', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months([{ perDay: 10 }], [{ perDay: 12 }], [{ perDay: 8 }]),
        },
      }),
    );
    expect(info.month).toBe(MONTH);
    expect(info.heating.unit).toBe('kWh');
    expect(info.heating.conversion).toEqual({ method: 'metered' });
    expect(info.heating.current).toEqual({
      month: '2025-03',
      consumption: 310,
      kwh: 310,
      complete: true,
      coverage: 1,
    });
    expect(info.heating.previousMonth).toMatchObject({ month: '2025-02', kwh: 336 });
    expect(info.heating.previousYear).toMatchObject({ month: '2024-03', kwh: 248 });
    // 310 against 336 and 248.
    expect(info.heating.changePercent).toEqual({ previousMonth: -7.7, previousYear: 25 });
  });

  it('converts rated allocator units with the property’s factor, and keeps the units', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months(
            [
              { kind: 'heat-cost-allocator', perDay: 2 },
              { kind: 'heat-cost-allocator', perDay: 1 },
            ],
            [{ kind: 'heat-cost-allocator', perDay: 4 }],
          ),
        },
        conversion: { hotWaterCentral: true, kwhPerHcaUnit: 0.8 },
      }),
    );
    expect(info.heating.unit).toBe('units');
    expect(info.heating.conversion).toEqual({ method: 'hca-factor', kwhPerHcaUnit: 0.8 });
    expect(info.heating.current).toMatchObject({ consumption: 93, kwh: 74.4, complete: true });
    expect(info.heating.previousMonth).toMatchObject({ consumption: 112, kwh: 89.6 });
    expect(info.heating.changePercent.previousMonth).toBe(-17);
    // No data a year before: no figure, no comparison.
    expect(info.heating.previousYear).toEqual({
      month: '2024-03',
      consumption: null,
      kwh: null,
      complete: false,
      coverage: 0,
    });
    expect(info.heating.changePercent.previousYear).toBeNull();
  });

  it('never makes up a factor: allocators without one have units and no kWh, and say why', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months(
            [{ kind: 'heat-cost-allocator', perDay: 2 }],
            [{ kind: 'heat-cost-allocator', perDay: 4 }],
          ),
        },
      }),
    );
    expect(info.heating.conversion).toEqual({
      method: 'hca-factor',
      kwhUnavailable: 'no-kwh-factor',
    });
    expect(info.heating.current).toMatchObject({ consumption: 62, kwh: null, complete: true });
    // The units still compare with themselves.
    expect(info.heating.changePercent.previousMonth).toBe(-44.6);
  });

  it('does not count an allocator without rating factors (its display units do not compare)', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months([
            { kind: 'heat-cost-allocator', perDay: 2 },
            { kind: 'heat-cost-allocator', perDay: 2, rated: false },
          ]),
        },
        conversion: { hotWaterCentral: true, kwhPerHcaUnit: 1 },
      }),
    );
    expect(info.heating.conversion.kwhUnavailable).toBe('allocator-not-rated');
    expect(info.heating.current).toMatchObject({
      consumption: 62,
      kwh: null,
      complete: false,
      coverage: 0.5,
    });
  });

  it('adds allocators to a heat meter in kWh, and has no sum without the factor', () => {
    const mixed = (kwhPerHcaUnit?: number) =>
      monthlyInformation(
        input({
          unit: {
            heatedAreaM2: 60,
            livingAreaM2: 70,
            ...months([{ perDay: 10 }, { kind: 'heat-cost-allocator', perDay: 5 }]),
          },
          conversion: {
            hotWaterCentral: true,
            ...(kwhPerHcaUnit === undefined ? {} : { kwhPerHcaUnit }),
          },
        }),
      ).heating;
    expect(mixed(2).unit).toBe('kWh');
    expect(mixed(2).current).toMatchObject({ consumption: 620, kwh: 620 });
    expect(mixed().current).toMatchObject({ consumption: null, kwh: null, complete: true });
  });

  it('turns hot water into kWh by §9(2): 2.5 × m³ × (t_w − 10), 125 kWh/m³ at 60 °C', () => {
    expect(hotWaterKwhPerM3()).toBe(125);
    expect(hotWaterKwhPerM3(55)).toBe(112.5);
    expect(codeOf(() => hotWaterKwhPerM3(10))).toBe('VALIDATION_FAILED');
    const hot = (conversion: MonthlyInformationInput['conversion']) =>
      monthlyInformation(
        input({
          unit: {
            heatedAreaM2: 60,
            livingAreaM2: 70,
            ...months(
              [
                { kind: 'warm-water-meter', perDay: 0.1 },
                // Cold water is not energy: it is no part of either section.
                { kind: 'water-meter', perDay: 5 },
              ],
              [{ kind: 'warm-water-meter', perDay: 0.2 }],
            ),
          },
          conversion,
        }),
      );
    const standard = hot({ hotWaterCentral: true });
    expect(standard.hotWater.unit).toBe('m3');
    expect(standard.hotWater.conversion).toEqual({
      method: 'hot-water-formula',
      kwhPerM3: 125,
      hotWaterTemperatureC: 60,
    });
    expect(standard.hotWater.current).toMatchObject({ consumption: 3.1, kwh: 387.5 });
    expect(standard.hotWater.previousMonth).toMatchObject({ consumption: 5.6, kwh: 700 });
    expect(standard.heating.unit).toBeNull();

    const warmer = hot({ hotWaterCentral: true, hotWaterTemperatureC: 55 });
    expect(warmer.hotWater.current.kwh).toBe(348.75);
    expect(warmer.hotWater.conversion.hotWaterTemperatureC).toBe(55);

    // Hot water heated in the flat is not the building's energy: m³ only.
    const decentral = hot({ hotWaterCentral: false });
    expect(decentral.hotWater.conversion.kwhUnavailable).toBe('hot-water-not-central');
    expect(decentral.hotWater.current).toMatchObject({ consumption: 3.1, kwh: null });
    expect(decentral.hotWater.changePercent.previousMonth).toBe(-44.6);
  });

  it('gives no kWh for a month with a day missing, but what was measured and how much', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months([{ perDay: 10, missing: [5, 6] }], [{ perDay: 10 }]),
        },
      }),
    );
    expect(info.heating.current).toEqual({
      month: MONTH,
      consumption: 290,
      kwh: null,
      complete: false,
      coverage: 0.935,
    });
    // A partial month does not compare with a whole one.
    expect(info.heating.changePercent.previousMonth).toBeNull();
  });

  it('counts a month without the reading of the day before as incomplete', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months([{ perDay: 10, noBaseline: true }]),
        },
      }),
    );
    expect(info.heating.current).toMatchObject({ complete: false, coverage: 1, kwh: null });
  });

  it('needs every meter of the section complete', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months([
            { kind: 'heat-cost-allocator', perDay: 1 },
            { kind: 'heat-cost-allocator', perDay: 1, missing: [31] },
          ]),
        },
        conversion: { hotWaterCentral: true, kwhPerHcaUnit: 1 },
      }),
    );
    expect(info.heating.current).toMatchObject({ complete: false, kwh: null, coverage: 0.984 });
  });

  it('counts only the caller’s days: a tenancy from the 16th is a partial month', () => {
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          ...months([{ perDay: 10, counted: [16, 31] }]),
        },
      }),
    );
    expect(info.heating.current).toEqual({
      month: MONTH,
      consumption: 160,
      kwh: null,
      complete: false,
      coverage: 0.516,
    });
  });

  it('counts a meter over the days it was installed on', () => {
    const installedFrom20: MeterMonth = {
      kind: 'heat-meter',
      installedDays: 12,
      days: daysOfMonth(MONTH)
        .slice(19)
        .map((day) => ({ day, consumption: 10 })),
    };
    const removedOn19: MeterMonth = {
      kind: 'heat-meter',
      installedDays: 19,
      days: daysOfMonth(MONTH)
        .slice(0, 19)
        .map((day) => ({ day, consumption: 10 })),
    };
    const info = monthlyInformation(
      input({
        unit: {
          heatedAreaM2: 60,
          livingAreaM2: 70,
          current: [removedOn19, installedFrom20],
          previousMonth: [],
          previousYear: [],
        },
      }),
    );
    expect(info.heating.current).toMatchObject({ complete: true, kwh: 310, coverage: 1 });
    expect(
      codeOf(() =>
        monthlyInformation(
          input({
            unit: {
              heatedAreaM2: 60,
              livingAreaM2: 70,
              current: [{ ...installedFrom20, installedDays: 11 }],
              previousMonth: [],
              previousYear: [],
            },
          }),
        ),
      ),
    ).toBe('VALIDATION_FAILED');
  });

  it('has no unit, no figures and no comparison for a unit without meters of a section', () => {
    const info = monthlyInformation(input());
    expect(info.hotWater.unit).toBeNull();
    expect(info.hotWater.current).toEqual({
      month: MONTH,
      consumption: null,
      kwh: null,
      complete: false,
      coverage: 0,
    });
    expect(info.hotWater.changePercent).toEqual({ previousMonth: null, previousYear: null });
  });

  describe('benchmark: the building’s average user', () => {
    const own = { heatedAreaM2: 60, livingAreaM2: 70, ...months([{ perDay: 10 }]) };

    it('averages the other units’ kWh per heated m² and scales it to this unit', () => {
      const info = monthlyInformation(
        input({
          unit: own,
          group: [
            other([{ perDay: 5 }], 50),
            other([{ perDay: 10 }], 100),
            other([{ kind: 'heat-cost-allocator', perDay: 10 }], 50),
            // Incomplete, or without heated area: not part of the average.
            other([{ perDay: 50, missing: [3] }], 50),
            other([{ perDay: 50 }], 0),
          ],
          conversion: { hotWaterCentral: true, kwhPerHcaUnit: 0.5 },
        }),
      );
      // (155 + 310 + 155) kWh over 200 m² = 3.1 kWh/m²; × 60 m² = 186 kWh; 310 is 66.7 % above.
      expect(info.heating.benchmark).toEqual({
        source: 'building-average',
        areaBasis: 'heatedAreaM2',
        units: 3,
        kwhPerM2: 3.1,
        kwh: 186,
        differencePercent: 66.7,
      });
    });

    it('withholds the average of fewer other units than the minimum', () => {
      const info = monthlyInformation(
        input({
          unit: own,
          group: [other([{ perDay: 5 }]), other([{ perDay: 6 }]), other([{ perDay: 7 }])],
          minimumGroupUnits: 4,
        }),
      );
      expect(info.heating.benchmark).toEqual({
        source: 'building-average',
        areaBasis: 'heatedAreaM2',
        units: 3,
        kwhPerM2: null,
        kwh: null,
        differencePercent: null,
        unavailable: 'too-few-units',
      });
    });

    it('says when the group has complete months but no kWh to average', () => {
      const info = monthlyInformation(
        input({
          unit: own,
          group: [1, 2, 3].map((n) => other([{ kind: 'heat-cost-allocator', perDay: n }])),
        }),
      );
      expect(info.heating.benchmark).toMatchObject({ units: 0, unavailable: 'no-kwh' });
    });

    it('compares hot water per m² of living area', () => {
      const info = monthlyInformation(
        input({
          unit: {
            heatedAreaM2: 0,
            livingAreaM2: 70,
            ...months([{ kind: 'warm-water-meter', perDay: 0.1 }]),
          },
          group: [
            other([{ kind: 'warm-water-meter', perDay: 0.1 }], 10, 50),
            other([{ kind: 'warm-water-meter', perDay: 0.2 }], 10, 100),
            other([{ kind: 'warm-water-meter', perDay: 0.1 }], 10, 50),
          ],
        }),
      );
      // (387.5 + 775 + 387.5) kWh over 200 m² = 7.75 kWh/m²; × 70 m² = 542.5 kWh.
      expect(info.hotWater.benchmark).toMatchObject({
        areaBasis: 'livingAreaM2',
        units: 3,
        kwhPerM2: 7.75,
        kwh: 542.5,
        differencePercent: -28.6,
      });
    });
  });

  it('refuses what is not a month and a minimum below one', () => {
    expect(codeOf(() => monthlyInformation(input({ month: '2025-13' })))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => monthlyInformation(input({ minimumGroupUnits: 0 })))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('changePercent', () => {
  it('is null without both figures or against zero', () => {
    expect(changePercent(110, 100)).toBe(10);
    expect(changePercent(0, 100)).toBe(-100);
    expect(changePercent(5, 0)).toBeNull();
    expect(changePercent(null, 100)).toBeNull();
    expect(changePercent(100, null)).toBeNull();
  });
});
