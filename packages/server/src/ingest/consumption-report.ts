import {
  aggregateOverUnits,
  dailyConsumption,
  monthlyConsumption,
  sumSeries,
  type DayConsumption,
  type PropertyDay,
} from '../domain/consumption/consumption.js';
import { addDays } from '../domain/consumption/day.js';
import type { MeterDay } from '../domain/consumption/meter-day.js';
import type { MeterKind } from '../domain/tenancy/meter.js';
import type { RegisterUnit } from './consumption-register.js';
import type { StoredMeterDay } from './ingest-store.js';

/**
 * Consumption reports over the meter-days the ingest stored: per meter,
 * per unit and per property, by day or month, for the consumption routes.
 * The arithmetic is the domain's (src/domain/consumption/consumption.ts);
 * this decides which days go in and how they are grouped.
 */

/** Days before a range searched for the last reading before it (the first day's baseline). */
export const BASELINE_LOOKBACK_DAYS = 31;

export type Granularity = 'day' | 'month';

/**
 * Inclusive days to report, and the earliest day whose reading may serve as
 * the baseline of `from` (a tenant's: never before the eve of its tenancy).
 */
export interface DayWindow {
  from: string;
  to: string;
  floor: string;
}

/** What a series counts: the meter kind, its register unit, and whether allocator units are rated. */
export interface RegisterKey {
  kind: MeterKind;
  unit: RegisterUnit;
  rated: boolean;
}

export interface MeterSeries {
  meterId: string;
  unitId?: string;
  key: RegisterKey;
  /** Every day of the windows, in order. */
  days: DayConsumption[];
}

export interface Point {
  period: string;
  consumption: number | null;
  estimated?: true;
  reset?: true;
  gapDays?: number;
  withheld?: true;
}

export interface RegisterReport extends RegisterKey {
  total: number | null;
  series: Point[];
}

/** The window of a whole range, its baseline looked for up to BASELINE_LOOKBACK_DAYS before. */
export function rangeWindow(from: string, to: string): DayWindow {
  return { from, to, floor: addDays(from, -BASELINE_LOOKBACK_DAYS) };
}

export function keyOf(key: RegisterKey): string {
  return `${key.kind}|${key.unit}|${key.rated ? 'rated' : 'raw'}`;
}

/** Heat, then water, then allocators: the order a bill lists them in. */
const KIND_ORDER: Record<MeterKind, number> = {
  'heat-meter': 0,
  'heat-cost-allocator': 1,
  'water-meter': 2,
  'warm-water-meter': 3,
};

function compareKeys(a: RegisterKey, b: RegisterKey): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || Number(a.rated) - Number(b.rated);
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6 + 0;
}

/** A stored day as the domain's MeterDay of its rated allocator units, when it has them. */
function ratedDay(d: StoredMeterDay): MeterDay | null {
  if (d.firstRated === undefined || d.lastRated === undefined) return null;
  return { ...d, firstValue: d.firstRated, lastValue: d.lastRated };
}

/**
 * Each meter's daily consumption over the windows, one series per register
 * (allocators with rating factors have a second, rated one). A window's
 * first day counts from the last day before it with data, not before its
 * floor. Meters without data in any window are left out.
 */
export function meterSeries(
  stored: readonly StoredMeterDay[],
  windows: readonly DayWindow[],
): MeterSeries[] {
  const byMeter = new Map<string, StoredMeterDay[]>();
  for (const d of stored) {
    const list = byMeter.get(d.meterId) ?? [];
    list.push(d);
    byMeter.set(d.meterId, list);
  }
  const out: MeterSeries[] = [];
  for (const [meterId, days] of byMeter) {
    const inWindow = days.some((d) => windows.some((w) => d.day >= w.from && d.day <= w.to));
    if (!inWindow) continue;
    const first = days[0]!;
    const registers: Array<{ rated: boolean; days: MeterDay[] }> = [{ rated: false, days }];
    const rated = days.map(ratedDay).filter((d): d is MeterDay => d !== null);
    if (rated.length > 0) registers.push({ rated: true, days: rated });
    for (const register of registers) {
      const series = windows.flatMap((w) =>
        dailyConsumption(
          register.days.filter((d) => d.day >= w.floor && d.day <= w.to),
          w.from,
          w.to,
        ),
      );
      out.push({
        meterId,
        ...(first.unitId === undefined ? {} : { unitId: first.unitId }),
        key: { kind: first.kind, unit: first.unit, rated: register.rated },
        days: series,
      });
    }
  }
  return out.sort(
    (a, b) =>
      compareKeys(a.key, b.key) || (a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0),
  );
}

/** Series grouped by register, in the order of the bill. */
export function byRegister<T extends { key: RegisterKey }>(
  series: readonly T[],
): Array<{ key: RegisterKey; series: T[] }> {
  const groups = new Map<string, { key: RegisterKey; series: T[] }>();
  for (const s of series) {
    const group = groups.get(keyOf(s.key)) ?? { key: s.key, series: [] };
    group.series.push(s);
    groups.set(keyOf(s.key), group);
  }
  return [...groups.values()].sort((a, b) => compareKeys(a.key, b.key));
}

/** A daily series as points of the granularity (months sum their days). */
export function pointsOf(
  days: ReadonlyArray<DayConsumption | PropertyDay>,
  granularity: Granularity,
): Point[] {
  if (granularity === 'day') {
    return days.map((d) => ({
      period: d.day,
      consumption: d.consumption,
      ...('estimated' in d && d.estimated === true ? { estimated: true as const } : {}),
      ...('reset' in d && d.reset === true ? { reset: true as const } : {}),
      ...('gapDays' in d && d.gapDays !== undefined ? { gapDays: d.gapDays } : {}),
      ...('withheld' in d && d.withheld === true ? { withheld: true as const } : {}),
    }));
  }
  const withheldMonths = new Set(
    days.filter((d) => 'withheld' in d && d.withheld === true).map((d) => d.day.slice(0, 7)),
  );
  return monthlyConsumption(days).map((m) => ({
    period: m.month,
    consumption: m.consumption,
    ...(m.estimated === true ? { estimated: true as const } : {}),
    ...(m.reset === true ? { reset: true as const } : {}),
    ...(withheldMonths.has(m.month) ? { withheld: true as const } : {}),
  }));
}

/** The sum of the points that have a value; null when none has. */
export function totalOf(points: readonly Point[]): number | null {
  const known = points.filter((p) => p.consumption !== null);
  return known.length === 0 ? null : round(known.reduce((s, p) => s + p.consumption!, 0));
}

function report(
  key: RegisterKey,
  days: ReadonlyArray<DayConsumption | PropertyDay>,
  granularity: Granularity,
) {
  const series = pointsOf(days, granularity);
  return { ...key, total: totalOf(series), series };
}

/** The sum of several meters' series of one register. */
export function sumReport(
  key: RegisterKey,
  series: readonly MeterSeries[],
  granularity: Granularity,
): RegisterReport {
  const summed = sumSeries(series.map((s) => ({ unit: key.unit, days: s.days })));
  return report(key, summed.days, granularity);
}

/** One meter's report, for managers' breakdowns. */
export function meterReport(series: MeterSeries, granularity: Granularity) {
  const points = pointsOf(series.days, granularity);
  return { meterId: series.meterId, total: totalOf(points), series: points };
}

/** Dwelling units with at least one day of consumption among the series. */
export function contributingUnits(series: readonly MeterSeries[]): number {
  return new Set(
    series
      .filter((s) => s.unitId !== undefined && s.days.some((d) => d.consumption !== null))
      .map((s) => s.unitId),
  ).size;
}

/**
 * A register's total over all dwelling units for a landlord, or null when
 * fewer than `minUnits` units had data (the register is withheld).
 */
export function landlordReport(
  key: RegisterKey,
  series: readonly MeterSeries[],
  minUnits: number,
  granularity: Granularity,
): (RegisterReport & { units: number }) | null {
  const perUnit = new Map<string, MeterSeries[]>();
  for (const s of series) {
    if (s.unitId === undefined) continue;
    perUnit.set(s.unitId, [...(perUnit.get(s.unitId) ?? []), s]);
  }
  const aggregate = aggregateOverUnits(
    [...perUnit].map(([unitId, list]) => ({
      unitId,
      series: list.map((s) => ({ unit: key.unit, days: s.days })),
    })),
    minUnits,
  );
  if (!aggregate.ok) return null;
  return { ...report(key, aggregate.days, granularity), units: aggregate.units };
}

/** Per-unit totals of a register, for managers. */
export function unitTotals(
  key: RegisterKey,
  series: readonly MeterSeries[],
  granularity: Granularity,
): Array<{ unitId: string; total: number | null }> {
  const perUnit = new Map<string, MeterSeries[]>();
  for (const s of series) {
    if (s.unitId === undefined) continue;
    perUnit.set(s.unitId, [...(perUnit.get(s.unitId) ?? []), s]);
  }
  return [...perUnit]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([unitId, list]) => ({ unitId, total: sumReport(key, list, granularity).total }));
}
