import type { MeterKind } from '../tenancy/meter.js';
import { DEFAULT_HOT_WATER_TEMPERATURE_C, type EnergyConversion } from '../tenancy/property.js';
import { invalid } from '../tenancy/validation.js';
import type { DayConsumption } from './consumption.js';
import { addMonths } from './day.js';

/**
 * The monthly consumption information of HeizkostenV §6a(2): a unit's heating
 * and hot-water consumption of the last calendar month in kWh, compared with
 * the month before, the same month a year before, and an average user of the
 * same user category.
 *
 * - **Complete months only carry kWh.** A month is complete when every meter
 *   of the section installed in it has an exact day (data, counted from the
 *   day before, no gap carried) on every day it was installed, and every one
 *   of those days counts for the caller (a tenant's: only its tenancy's). A
 *   partial month shows what was measured (`consumption`) and how much of it
 *   (`coverage`), but no kWh and no comparison: a half month against a whole
 *   one would only mislead. The market's practice is the same (full calendar
 *   months only).
 * - **kWh.** Heat meters count kWh. Allocators count rated units (× Kq × Kc):
 *   kWh only with the property's `kwhPerHcaUnit`, never with a guessed
 *   factor. Hot water is metered in m³ and becomes kWh by §9(2) HeizkostenV,
 *   Q = 2.5 kWh/(m³·K) × V × (t_w − 10 °C), 125 kWh/m³ at 60 °C; the §9(2)
 *   corrections (gross calorific value, district heat, heat pumps) split a
 *   building's fuel between heating and hot water and are not applied to a
 *   user's figure. Cold water is not energy and is left out.
 * - **Benchmark.** DIN 94680's normalised average user needs tables we do not
 *   have; until then the average user is the building's: the kWh per m² of
 *   the other units of the property in the same user category whose month is
 *   complete, times this unit's area (heated area for heating, living area
 *   for hot water, the keys §7/§8 use). `source` names the method so another
 *   can take its place. The average is withheld below `minimumGroupUnits`
 *   other units: the tenant knows its own figure, so an average over fewer
 *   would tell it too much about its neighbours.
 */

export type MonthlySection = 'heating' | 'hotWater';

/** The unit a section's `consumption` is in: kWh (heat meters), rated allocator units, m³. */
export type SectionUnit = 'kWh' | 'units' | 'm3';

/** §9(2) HeizkostenV: kWh per m³ and kelvin, and the cold-water inlet temperature. */
export const HOT_WATER_KWH_PER_M3_K = 2.5;
export const COLD_WATER_INLET_C = 10;

/** One meter in one month, as the caller may count it. */
export interface MeterMonth {
  kind: MeterKind;
  /** Days of the month the meter was installed on (installation and removal days included). */
  installedDays: number;
  /**
   * Its daily consumption on the days of the month the caller may count (a
   * tenant's: those of its tenancies), each counted from the day before at
   * the earliest: kWh, rated allocator units, m³. Days without data are null.
   */
  days: readonly DayConsumption[];
  /**
   * Allocators: whether `days` are rated units. An allocator without rating
   * factors has display units only, which are not comparable between
   * radiators: its days do not count.
   */
  rated?: boolean;
}

/** A dwelling unit's meters in the three months of the information. */
export interface UnitMonths {
  heatedAreaM2: number;
  livingAreaM2: number;
  current: readonly MeterMonth[];
  previousMonth: readonly MeterMonth[];
  previousYear: readonly MeterMonth[];
}

/** Another unit of the comparison group: its meters in the month, all its days counted. */
export interface GroupUnit {
  heatedAreaM2: number;
  livingAreaM2: number;
  meters: readonly MeterMonth[];
}

export interface MonthlyInformationInput {
  /** `YYYY-MM`: the month reported. */
  month: string;
  unit: UnitMonths;
  /** The other units of the property in the unit's user category. */
  group: readonly GroupUnit[];
  conversion: EnergyConversion & {
    /** Whether hot water comes from the building's central system (HeatingSystem.warmWaterCentral). */
    hotWaterCentral: boolean;
  };
  /** The fewest other units the benchmark may average over. */
  minimumGroupUnits: number;
}

export interface MonthFigure {
  month: string;
  /** In the section's `unit`, summed over the counted days with data; null when none had any. */
  consumption: number | null;
  /** Null unless the month is complete and the section converts to kWh. */
  kwh: number | null;
  complete: boolean;
  /** Meter-days with data over meter-days installed, 0–1 (0 without meters). */
  coverage: number;
}

export type KwhUnavailable = 'no-kwh-factor' | 'allocator-not-rated' | 'hot-water-not-central';

export interface SectionConversion {
  method: 'metered' | 'hca-factor' | 'hot-water-formula';
  kwhPerHcaUnit?: number;
  kwhPerM3?: number;
  hotWaterTemperatureC?: number;
  /** Why the section has no kWh even for complete months. */
  kwhUnavailable?: KwhUnavailable;
}

export type BenchmarkUnavailable = 'too-few-units' | 'no-kwh';

export interface Benchmark {
  source: 'building-average';
  areaBasis: 'heatedAreaM2' | 'livingAreaM2';
  /** Other units of the group whose month is complete in kWh. */
  units: number;
  /** Their kWh per m²; null when withheld. */
  kwhPerM2: number | null;
  /** kwhPerM2 × this unit's area. */
  kwh: number | null;
  /** This unit's kWh against the benchmark's, in %; null when either is unknown or zero. */
  differencePercent: number | null;
  unavailable?: BenchmarkUnavailable;
}

export interface SectionInformation {
  /** The unit of `consumption`; null when the unit has no meters of the section. */
  unit: SectionUnit | null;
  conversion: SectionConversion;
  current: MonthFigure;
  previousMonth: MonthFigure;
  previousYear: MonthFigure;
  /**
   * The change of the current month against each, in %: on kWh where both
   * have them, else on `consumption` where both are complete.
   */
  changePercent: { previousMonth: number | null; previousYear: number | null };
  benchmark: Benchmark;
}

export interface MonthlyInformation {
  month: string;
  heating: SectionInformation;
  hotWater: SectionInformation;
}

const SECTION_KINDS: Record<MonthlySection, readonly MeterKind[]> = {
  heating: ['heat-meter', 'heat-cost-allocator'],
  hotWater: ['warm-water-meter'],
};

function round(n: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(n * f) / f + 0;
}

/** §9(2) HeizkostenV: kWh of `m3` hot water at a mean temperature of `temperatureC`. */
export function hotWaterKwhPerM3(temperatureC = DEFAULT_HOT_WATER_TEMPERATURE_C): number {
  if (!Number.isFinite(temperatureC) || temperatureC <= COLD_WATER_INLET_C) {
    throw invalid('hotWaterTemperatureC', 'out-of-range', 'must be above the cold-water inlet');
  }
  return HOT_WATER_KWH_PER_M3_K * (temperatureC - COLD_WATER_INLET_C);
}

/** (current − before) / before in %, one decimal; null when either is unknown or before is 0. */
export function changePercent(current: number | null, before: number | null): number | null {
  if (current === null || before === null || before === 0) return null;
  return round(((current - before) / before) * 100, 1);
}

interface SectionSetup {
  section: MonthlySection;
  unit: SectionUnit | null;
  conversion: SectionConversion;
  /** Multiplies a meter's consumption into kWh; null when it has no kWh. */
  toKwh(kind: MeterKind): number | null;
}

/**
 * The section's unit follows every meter of the three months (so that they
 * compare); what keeps it from kWh follows `current`'s meters, the month
 * reported, when it has any.
 */
function setupOf(
  section: MonthlySection,
  meters: readonly MeterMonth[],
  conversion: MonthlyInformationInput['conversion'],
  current: readonly MeterMonth[] = meters,
): SectionSetup {
  if (section === 'hotWater') {
    const kwhPerM3 = hotWaterKwhPerM3(conversion.hotWaterTemperatureC);
    const central = conversion.hotWaterCentral;
    return {
      section,
      unit: meters.length > 0 ? 'm3' : null,
      conversion: {
        method: 'hot-water-formula',
        kwhPerM3,
        hotWaterTemperatureC: conversion.hotWaterTemperatureC ?? DEFAULT_HOT_WATER_TEMPERATURE_C,
        // Hot water heated in the flat (an instantaneous heater) is not the building's energy.
        ...(central ? {} : { kwhUnavailable: 'hot-water-not-central' as const }),
      },
      toKwh: () => (central ? kwhPerM3 : null),
    };
  }
  const allocators = meters.filter((m) => m.kind === 'heat-cost-allocator');
  const factor = conversion.kwhPerHcaUnit;
  const reported = current.length > 0 ? current : meters;
  const unrated = reported.some((m) => m.kind === 'heat-cost-allocator' && m.rated !== true);
  const kwhUnavailable: KwhUnavailable | undefined = unrated
    ? 'allocator-not-rated'
    : allocators.length > 0 && factor === undefined
      ? 'no-kwh-factor'
      : undefined;
  const unit: SectionUnit | null = meters.some((m) => m.kind === 'heat-meter')
    ? 'kWh'
    : allocators.length > 0
      ? 'units'
      : null;
  return {
    section,
    unit,
    conversion: {
      method: allocators.length > 0 ? 'hca-factor' : 'metered',
      ...(allocators.length > 0 && factor !== undefined ? { kwhPerHcaUnit: factor } : {}),
      ...(kwhUnavailable === undefined ? {} : { kwhUnavailable }),
    },
    toKwh: (kind) => (kind === 'heat-meter' ? 1 : (factor ?? null)),
  };
}

/** A meter's days that count: an unrated allocator's do not. */
function usableDays(meter: MeterMonth): readonly DayConsumption[] {
  return meter.kind === 'heat-cost-allocator' && meter.rated !== true ? [] : meter.days;
}

function figureOf(month: string, meters: readonly MeterMonth[], setup: SectionSetup): MonthFigure {
  let installed = 0;
  let withData = 0;
  let complete = meters.length > 0;
  let native: number | null = null;
  let kwh: number | null = null;
  let noNative = false;
  let noKwh = false;
  for (const meter of meters) {
    if (!Number.isInteger(meter.installedDays) || meter.installedDays < 0) {
      throw invalid('installedDays', 'out-of-range', 'must be a whole number of days');
    }
    const days = usableDays(meter);
    if (days.length > meter.installedDays) {
      throw invalid('days', 'out-of-range', 'more days than the meter was installed on');
    }
    installed += meter.installedDays;
    const known = days.filter((d) => d.consumption !== null);
    withData += known.length;
    complete &&=
      days.length === meter.installedDays &&
      days.every((d) => d.consumption !== null && d.estimated !== true);
    if (known.length === 0) continue;
    const sum = known.reduce((s, d) => s + d.consumption!, 0);
    const factor = setup.toKwh(meter.kind);
    if (factor === null) noKwh = true;
    else kwh = (kwh ?? 0) + sum * factor;
    // A section in kWh adds allocators as kWh, so without a factor it has no sum.
    const inUnit = setup.unit === 'kWh' ? (factor === null ? null : sum * factor) : sum;
    if (inUnit === null) noNative = true;
    else native = (native ?? 0) + inUnit;
  }
  return {
    month,
    consumption: native === null || noNative ? null : round(native, 6),
    kwh: complete && kwh !== null && !noKwh ? round(kwh, 3) : null,
    complete,
    coverage: installed === 0 ? 0 : round(withData / installed, 3),
  };
}

function compare(current: MonthFigure, before: MonthFigure): number | null {
  if (current.kwh !== null && before.kwh !== null) return changePercent(current.kwh, before.kwh);
  if (!current.complete || !before.complete) return null;
  return changePercent(current.consumption, before.consumption);
}

function benchmarkOf(
  section: MonthlySection,
  input: MonthlyInformationInput,
  own: MonthFigure,
): Benchmark {
  const areaBasis: Benchmark['areaBasis'] = section === 'heating' ? 'heatedAreaM2' : 'livingAreaM2';
  const kinds = SECTION_KINDS[section];
  let units = 0;
  let completeUnits = 0;
  let kwh = 0;
  let area = 0;
  for (const other of input.group) {
    const meters = other.meters.filter((m) => kinds.includes(m.kind));
    const figure = figureOf(input.month, meters, setupOf(section, meters, input.conversion));
    const otherArea = other[areaBasis];
    // A unit without area (an unheated store room) has no kWh per m² to add.
    if (!figure.complete || !(otherArea > 0)) continue;
    completeUnits += 1;
    if (figure.kwh === null) continue;
    units += 1;
    kwh += figure.kwh;
    area += otherArea;
  }
  const base = { source: 'building-average' as const, areaBasis, units };
  if (units < input.minimumGroupUnits) {
    // Enough complete months, but in units or m³ only: say so rather than "too few".
    const unavailable = completeUnits >= input.minimumGroupUnits ? 'no-kwh' : 'too-few-units';
    return { ...base, kwhPerM2: null, kwh: null, differencePercent: null, unavailable };
  }
  const perM2 = kwh / area;
  const scaled = round(perM2 * input.unit[areaBasis], 3);
  return {
    ...base,
    kwhPerM2: round(perM2, 3),
    kwh: scaled,
    differencePercent: changePercent(own.kwh, scaled),
  };
}

function sectionOf(section: MonthlySection, input: MonthlyInformationInput): SectionInformation {
  const kinds = SECTION_KINDS[section];
  const pick = (meters: readonly MeterMonth[]) => meters.filter((m) => kinds.includes(m.kind));
  const months = {
    current: pick(input.unit.current),
    previousMonth: pick(input.unit.previousMonth),
    previousYear: pick(input.unit.previousYear),
  };
  const setup = setupOf(
    section,
    [...months.current, ...months.previousMonth, ...months.previousYear],
    input.conversion,
    months.current,
  );
  const current = figureOf(input.month, months.current, setup);
  const previousMonth = figureOf(addMonths(input.month, -1), months.previousMonth, setup);
  const previousYear = figureOf(addMonths(input.month, -12), months.previousYear, setup);
  return {
    unit: setup.unit,
    conversion: setup.conversion,
    current,
    previousMonth,
    previousYear,
    changePercent: {
      previousMonth: compare(current, previousMonth),
      previousYear: compare(current, previousYear),
    },
    benchmark: benchmarkOf(section, input, current),
  };
}

/** The §6a information of one unit and month; see the module comment for the rules. */
export function monthlyInformation(input: MonthlyInformationInput): MonthlyInformation {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(input.month)) {
    throw invalid('month', 'format', `'${input.month}' is not a month (YYYY-MM)`);
  }
  if (!Number.isInteger(input.minimumGroupUnits) || input.minimumGroupUnits < 1) {
    throw invalid('minimumGroupUnits', 'out-of-range', 'must be a whole number of at least 1');
  }
  return {
    month: input.month,
    heating: sectionOf('heating', input),
    hotWater: sectionOf('hotWater', input),
  };
}
