import { dailyDemandKh, DESIGN_DIFFERENCE_K, slotDemandsK } from './climate.js';
import { prefixCache } from './daily-prefix.js';
import {
  localDate,
  localDay,
  localDayStart,
  localYearStart,
  MODEL_EPOCH_MS,
  MS_PER_SLOT,
  SLOTS_PER_DAY,
} from './meter-clock.js';
import { unitHash } from './prng.js';
import type { HcaMeter, HeatMeter } from './virtual-meter.js';

/**
 * Heat cost allocators and heat meters: both follow the building's heating
 * demand (outdoor temperature by month and weather, night setback), scaled by
 * the radiator or dwelling and by how its occupants heat. Pure functions of
 * (meter, time).
 */

const EPOCH_DAY = localDay(MODEL_EPOCH_MS);
const SLOT_HOURS = MS_PER_SLOT / 3_600_000;

/** Salts of the per-meter noise, so that each quantity draws its own. */
const SALT = { usage: 1, day: 2, offset: 3, spread: 4 } as const;

/**
 * Units an allocator on unit scale counts per kWh its radiator gives off: a
 * 1 kW radiator then counts some 400-1 200 units a year, the order of
 * magnitude of real unit-scale readings.
 */
const HCA_UNITS_PER_KWH = 0.55;

/** Water's heat capacity in the heating circuit, Wh per m³ and kelvin. */
const WATER_WH_PER_M3_K = 1163;

/**
 * How much of the rated output the occupants draw on (thermostat settings,
 * oversized radiators, rooms kept cool): steady per meter.
 */
function usageFactor(seed: number): number {
  return 0.25 + 0.6 * unitHash(seed, SALT.usage);
}

/** Day-to-day variation (airing, absence, sun through the windows). */
function dayFactor(seed: number, day: number): number {
  return 0.8 + 0.4 * unitHash(seed, day, SALT.day);
}

/** Heat delivered per K·h of demand, kWh. */
function kwhPerKh(meter: HcaMeter | HeatMeter): number {
  const loadKw = meter.kind === 'heat-cost-allocator' ? meter.radiatorW / 1000 : meter.designLoadKw;
  return (loadKw / DESIGN_DIFFERENCE_K) * usageFactor(meter.seed);
}

const heatPrefix = prefixCache<HcaMeter | HeatMeter>(
  EPOCH_DAY,
  (meter, day) => kwhPerKh(meter) * dayFactor(meter.seed, day) * dailyDemandKh(day),
);

/** Heat given off since the model epoch, kWh, not rounded: continuous and never decreasing. */
export function heatSinceEpochKwh(meter: HcaMeter | HeatMeter, utcMs: number): number {
  if (utcMs <= MODEL_EPOCH_MS) return 0;
  const day = localDay(utcMs);
  const slots = slotDemandsK(day);
  const sinceMidnight = utcMs - localDayStart(day);
  const current = Math.min(slots.length - 1, Math.floor(sinceMidnight / MS_PER_SLOT));
  let demandKh = 0;
  for (let slot = 0; slot < current; slot++) demandKh += slots[slot]!;
  demandKh += (slots[current]! * (sinceMidnight - current * MS_PER_SLOT)) / MS_PER_SLOT;
  demandKh *= SLOT_HOURS;
  return heatPrefix(meter).before(day) + kwhPerKh(meter) * dayFactor(meter.seed, day) * demandKh;
}

/** The due date of the billing period a time falls in: 31 December of the year before, `YYYY-12-31`. */
export function lastDueDate(utcMs: number): { text: string; endMs: number; previousEndMs: number } {
  const { year } = localDate(utcMs);
  return {
    text: `${year - 1}-12-31`,
    endMs: localYearStart(year),
    previousEndMs: localYearStart(year - 1),
  };
}

export interface HcaReading {
  kind: 'heat-cost-allocator';
  /** Units counted since the last due date (the current period). */
  currentUnits: number;
  /** The last due date, `YYYY-12-31`. */
  dueDate: string;
  /** Units of the period that ended on the due date. */
  dueDateUnits: number;
}

function hcaUnits(meter: HcaMeter, fromMs: number, toMs: number): number {
  const kwh = heatSinceEpochKwh(meter, toMs) - heatSinceEpochKwh(meter, fromMs);
  return Math.floor(kwh * HCA_UNITS_PER_KWH);
}

export function readHca(meter: HcaMeter, utcMs: number): HcaReading {
  const due = lastDueDate(utcMs);
  return {
    kind: 'heat-cost-allocator',
    currentUnits: hcaUnits(meter, due.endMs, utcMs),
    dueDate: due.text,
    dueDateUnits: hcaUnits(meter, due.previousEndMs, due.endMs),
  };
}

export interface HeatReading {
  kind: 'heat-meter';
  /** Cumulative energy, whole kWh. */
  energyKwh: number;
  /** Cumulative volume through the meter, m³ to 0.01. */
  volumeM3: number;
  powerW: number;
  /** m³/h to 0.001. */
  volumeFlowM3h: number;
  /** °C to 0.1. */
  flowTemperatureC: number;
  returnTemperatureC: number;
  dueDate: string;
  /** The energy register at the due date, kWh. */
  dueDateEnergyKwh: number;
}

/** What the meter showed when it was installed, before the model epoch. */
function energyOffsetKwh(meter: HeatMeter): number {
  return Math.floor(30_000 * unitHash(meter.seed, SALT.offset));
}

/** The dwelling's design spread between flow and return, K: it sets the volume per kWh. */
function designSpreadK(meter: HeatMeter): number {
  return 10 + 8 * unitHash(meter.seed, SALT.spread);
}

function energyKwh(meter: HeatMeter, utcMs: number): number {
  return Math.floor(energyOffsetKwh(meter) + heatSinceEpochKwh(meter, utcMs));
}

function round(value: number, step: number): number {
  const digits = Math.round(-Math.log10(step));
  return Number((Math.round(value / step) * step).toFixed(digits));
}

export function readHeat(meter: HeatMeter, utcMs: number): HeatReading {
  const due = lastDueDate(utcMs);
  const heat = heatSinceEpochKwh(meter, utcMs);
  const volume =
    (energyOffsetKwh(meter) + heat) / ((WATER_WH_PER_M3_K / 1000) * designSpreadK(meter));

  const day = localDay(utcMs);
  const slot = Math.min(SLOTS_PER_DAY - 1, Math.floor((utcMs - localDayStart(day)) / MS_PER_SLOT));
  const demandK = utcMs <= MODEL_EPOCH_MS ? 0 : slotDemandsK(day)[slot]!;
  const powerW = Math.round(kwhPerKh(meter) * dayFactor(meter.seed, day) * demandK * 1000);
  // A weather-compensated heating curve: flow 55 °C and 15 K spread at design load.
  const load = Math.min(1.2, demandK / DESIGN_DIFFERENCE_K);
  const flow = powerW > 0 ? 22 + 33 * load ** (1 / 1.3) : 23.5;
  const spread = powerW > 0 ? 4 + 11 * load : 1.5;
  return {
    kind: 'heat-meter',
    energyKwh: energyKwh(meter, utcMs),
    volumeM3: Math.floor(volume * 100) / 100,
    powerW,
    volumeFlowM3h: powerW > 0 ? round(powerW / (WATER_WH_PER_M3_K * spread), 0.001) : 0,
    flowTemperatureC: round(flow, 0.1),
    returnTemperatureC: round(flow - spread, 0.1),
    dueDate: due.text,
    dueDateEnergyKwh: energyKwh(meter, due.endMs),
  };
}
