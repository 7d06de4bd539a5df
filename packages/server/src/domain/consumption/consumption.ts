import { invalid } from '../tenancy/validation.js';
import { dayDistance, daysBetween, monthOf } from './day.js';
import type { MeterDay } from './meter-day.js';

/**
 * Consumption from cumulative registers: what a meter counted between the
 * last reading of one day and the last reading of the next.
 *
 * - **Gaps.** A day without readings has no consumption (null). The next day
 *   with readings carries everything since the last day that had some: its
 *   `gapDays` says how many days without data it covers, and it is
 *   `estimated`, since that consumption is not the day's alone. A month's sum
 *   therefore holds a gap's consumption in the month of the day that carries it.
 * - **Resets.** A register that goes down (an allocator at its set day, a
 *   device swapped or reset) did not consume a negative amount. Such a day is
 *   flagged `reset` and counts only the increases that are known: from the
 *   previous day's last value up to the day's first (when that did not fall)
 *   and from the day's first to its last (when that did not fall). Counting
 *   goes on from the new value.
 * - **No earlier day.** The first day a meter has data for (just installed,
 *   or the caller had nothing earlier) counts from its first reading to its
 *   last, `estimated`.
 * - **Units.** Each series carries its unit; sums add series of one unit
 *   only, never kWh, m³ and allocator units together. Allocators of different
 *   radiators are comparable only as rated units (× Kq × Kc): sum those.
 *
 * Values are rounded to 6 decimals, far below any meter's resolution, so
 * that floating-point residue (0.512000000000012) does not show.
 */

export type ConsumptionUnit = 'kWh' | 'm3' | 'units';

/** Three years and a day: a billing period with its comparison years; bounds what one call builds. */
export const MAX_RANGE_DAYS = 3 * 366 + 1;

export interface DayConsumption {
  day: string;
  consumption: number | null;
  /** Not exactly this day's: it carries a gap, or there was no earlier day to count from. */
  estimated?: boolean;
  /** Days without data before this one whose consumption this day carries. */
  gapDays?: number;
  /** The register went down on this day or since the previous one. */
  reset?: boolean;
}

export interface MonthConsumption {
  month: string;
  /** Sum of the month's days with data; null when none had any. */
  consumption: number | null;
  daysWithData: number;
  estimated?: boolean;
  reset?: boolean;
}

/** One meter's (or one sum's) daily series in its unit. */
export interface ConsumptionSeries {
  unit: ConsumptionUnit;
  days: readonly DayConsumption[];
}

export interface SummedDay extends DayConsumption {
  /** Series that had data on the day. */
  contributors: number;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6 + 0;
}

function increase(from: number, to: number): number {
  return to > from ? to - from : 0;
}

function flags(estimated: boolean, reset: boolean): { estimated?: true; reset?: true } {
  return { ...(estimated ? { estimated: true } : {}), ...(reset ? { reset: true } : {}) };
}

/**
 * Daily consumption of one meter for every day from `from` to `to`. `days`
 * are the meter's MeterDay items up to `to`, the last day with data before
 * `from` included (it is the baseline of the range's first day); items
 * outside that are ignored, order does not matter.
 */
export function dailyConsumption(
  days: readonly MeterDay[],
  from: string,
  to: string,
): DayConsumption[] {
  const span = dayDistance(from, to);
  if (span < 0) throw invalid('to', 'order', 'must not be before the first day');
  if (span >= MAX_RANGE_DAYS) {
    throw invalid('to', 'out-of-range', `a range spans at most ${MAX_RANGE_DAYS} days`);
  }
  const range = daysBetween(from, to);
  const byDay = new Map<string, MeterDay>();
  for (const d of days) {
    if (byDay.has(d.day)) throw invalid('days', 'duplicate', `${d.day} appears twice`);
    byDay.set(d.day, d);
  }
  let previous = [...byDay.values()]
    .filter((d) => d.day < from)
    .reduce<MeterDay | undefined>(
      (best, d) => (best === undefined || d.day > best.day ? d : best),
      undefined,
    );

  return range.map((day): DayConsumption => {
    const today = byDay.get(day);
    if (today === undefined) return { day, consumption: null };
    const base = previous;
    previous = today;
    if (base === undefined) {
      return {
        day,
        consumption: round(increase(today.firstValue, today.lastValue)),
        ...flags(true, today.lastValue < today.firstValue),
      };
    }
    const reset = today.firstValue < base.lastValue || today.lastValue < today.firstValue;
    const consumption = reset
      ? increase(base.lastValue, today.firstValue) + increase(today.firstValue, today.lastValue)
      : today.lastValue - base.lastValue;
    const gapDays = dayDistance(base.day, day) - 1;
    return {
      day,
      consumption: round(consumption),
      ...(gapDays > 0 ? { gapDays } : {}),
      ...flags(gapDays > 0, reset),
    };
  });
}

/**
 * Sums a daily series by calendar month, in order. A month is `estimated`
 * when any of its days is, or has no data (that day's consumption is
 * carried by a later day, perhaps of the next month).
 */
export function monthlyConsumption(days: readonly DayConsumption[]): MonthConsumption[] {
  const months = new Map<
    string,
    { sum: number | null; daysWithData: number; estimated: boolean; reset: boolean }
  >();
  for (const d of days) {
    const month = monthOf(d.day);
    const m = months.get(month) ?? { sum: null, daysWithData: 0, estimated: false, reset: false };
    if (d.consumption !== null) {
      m.sum = (m.sum ?? 0) + d.consumption;
      m.daysWithData += 1;
    }
    m.estimated ||= d.consumption === null || d.estimated === true;
    m.reset ||= d.reset === true;
    months.set(month, m);
  }
  return [...months.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([month, m]): MonthConsumption => ({
      month,
      consumption: m.sum === null ? null : round(m.sum),
      daysWithData: m.daysWithData,
      ...(m.sum === null ? {} : flags(m.estimated, m.reset)),
    }));
}

/**
 * Sums daily series of one unit day by day: several meters of one dwelling,
 * or of a property. A day is null when no series had data; it is
 * `estimated` when any contribution was, or when some series had none that
 * day while others had. Series of different units are refused.
 */
export function sumSeries(series: readonly ConsumptionSeries[]): {
  unit: ConsumptionUnit;
  days: SummedDay[];
} {
  const first = series[0];
  if (first === undefined) throw invalid('series', 'required', 'nothing to sum');
  const mixed = series.find((s) => s.unit !== first.unit);
  if (mixed !== undefined) {
    throw invalid('series', 'not-allowed', `cannot add ${mixed.unit} to ${first.unit}`);
  }
  const byDay = new Map<
    string,
    { sum: number; contributors: number; seen: number; estimated: boolean; reset: boolean }
  >();
  for (const s of series) {
    for (const d of s.days) {
      const acc = byDay.get(d.day) ?? {
        sum: 0,
        contributors: 0,
        seen: 0,
        estimated: false,
        reset: false,
      };
      acc.seen += 1;
      if (d.consumption !== null) {
        acc.sum += d.consumption;
        acc.contributors += 1;
        acc.estimated ||= d.estimated === true;
        acc.reset ||= d.reset === true;
      }
      byDay.set(d.day, acc);
    }
  }
  const days = [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([day, acc]): SummedDay => {
      if (acc.contributors === 0) return { day, consumption: null, contributors: 0 };
      const incomplete = acc.contributors < series.length;
      return {
        day,
        consumption: round(acc.sum),
        contributors: acc.contributors,
        ...flags(acc.estimated || incomplete, acc.reset),
      };
    });
  return { unit: first.unit, days };
}

/** One dwelling unit's series (one per meter, all of one consumption unit). */
export interface UnitSeries {
  unitId: string;
  series: readonly ConsumptionSeries[];
}

export interface PropertyDay {
  day: string;
  consumption: number | null;
  estimated?: boolean;
  /** Fewer than `minUnits` units had data that day: its total would show too few households. */
  withheld?: boolean;
}

export type PropertyAggregate =
  | {
      ok: true;
      unit: ConsumptionUnit;
      /** Dwelling units with data in the period. */
      units: number;
      days: PropertyDay[];
    }
  | { ok: false; reason: 'too-few-units'; units: number; minUnits: number };

/**
 * A property's consumption for its landlord: the total over ALL its dwelling
 * units, day by day, in one consumption unit, or a refusal.
 *
 * Only the whole property, never a subset of units and never one unit's
 * numbers: with totals over any two sets of units a landlord could subtract
 * one from the other and read a single household's consumption (heating
 * and water use tell when people are at home). For the same reason the
 * total is refused when fewer than `minUnits` units contributed data in the
 * period, and a day on which fewer than `minUnits` units had data is
 * withheld (null, `withheld`), since its total would be that of a few
 * households. How many units had data on which day is not told either.
 * The caller passes every unit of the property that has meters of this
 * consumption unit; a building's own meters (no unit) are the property's
 * and need none of this.
 */
export function aggregateOverUnits(
  units: readonly UnitSeries[],
  minUnits: number,
): PropertyAggregate {
  if (!Number.isInteger(minUnits) || minUnits < 1) {
    throw invalid('minUnits', 'out-of-range', 'must be a whole number of at least 1');
  }
  const ids = new Set<string>();
  for (const u of units) {
    if (ids.has(u.unitId)) throw invalid('units', 'duplicate', `unit ${u.unitId} appears twice`);
    ids.add(u.unitId);
  }
  const perUnit = units.filter((u) => u.series.length > 0).map((u) => sumSeries(u.series));
  const unit = perUnit[0]?.unit;
  const contributing = perUnit.filter((s) => s.days.some((d) => d.consumption !== null));
  if (unit === undefined || contributing.length < minUnits) {
    return { ok: false, reason: 'too-few-units', units: contributing.length, minUnits };
  }
  const total = sumSeries(perUnit);
  return {
    ok: true,
    unit,
    units: contributing.length,
    days: total.days.map((d): PropertyDay => {
      if (d.consumption === null) return { day: d.day, consumption: null };
      if (d.contributors < minUnits) return { day: d.day, consumption: null, withheld: true };
      return {
        day: d.day,
        consumption: d.consumption,
        ...(d.estimated === true ? { estimated: true } : {}),
      };
    }),
  };
}
