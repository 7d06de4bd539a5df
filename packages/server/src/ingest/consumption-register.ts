import {
  findRecord,
  type DataRecord,
  type DecodedTelegram,
  type NamedValue,
} from '@zaehlwerk/wmbus';
import type { ConsumptionUnit } from '../domain/consumption/consumption.js';
import type { MeterKind, RatingFactors } from '../domain/tenancy/meter.js';

/** The unit billing sums a kind's register in: heat in kWh, water in m³, allocators in units. */
export type RegisterUnit = ConsumptionUnit;

/** The cumulative register of one telegram, in the unit of its kind. */
export interface ConsumptionRegister {
  value: number;
  unit: RegisterUnit;
  /** Heat cost allocators with rating factors: units × Kq × Kc (× Kt). */
  rated?: number;
  /** The meter's own clock as it sent it (`YYYY-MM-DD HH:MM[:SS]`, its local time, no zone). */
  meterTime?: string;
}

export const REGISTER_UNITS: Record<MeterKind, RegisterUnit> = {
  'heat-cost-allocator': 'units',
  'heat-meter': 'kWh',
  'water-meter': 'm3',
  'warm-water-meter': 'm3',
};

/** Factors into kWh of the energy units the codec reports (it keeps the coding's own unit). */
const TO_KWH: Partial<Record<string, number>> = { Wh: 1e-3, J: 1 / 3.6e6 };
const TO_M3: Partial<Record<string, number>> = { m3: 1 };
const TO_UNITS: Partial<Record<string, number>> = { HCA: 1, '': 1 };

/**
 * Where each kind's register is: the driver's name for it first (generic and
 * manufacturer drivers agree on these names), then the plain record of the
 * quantity (storage 0, tariff 0, subunit 0, instantaneous), for telegrams a
 * driver of another family named (a water meter behind a radio converter, an
 * allocator that calls itself "other").
 */
interface RegisterSource {
  name: string;
  quantity: string;
  factors: Partial<Record<string, number>>;
  /** Record modifiers that still mean the register. */
  modifiers?: readonly string[];
}

const SOURCES: Record<MeterKind, RegisterSource> = {
  'heat-cost-allocator': { name: 'currentConsumption', quantity: 'hcaUnits', factors: TO_UNITS },
  // Heat/cooling meters count heat as the accumulation of positive values (cooling: the negative).
  'heat-meter': {
    name: 'totalEnergy',
    quantity: 'energy',
    factors: TO_KWH,
    modifiers: ['accumulationOnlyIfPositive'],
  },
  'water-meter': { name: 'totalVolume', quantity: 'volume', factors: TO_M3 },
  'warm-water-meter': { name: 'totalVolume', quantity: 'volume', factors: TO_M3 },
};

/** 12 significant digits: far beyond any meter's resolution, and no 46.791000000000004. */
function tidy(n: number): number {
  return Number(n.toPrecision(12));
}

function plainRecord(
  records: readonly DataRecord[],
  quantity: string,
  modifiers: readonly string[],
): DataRecord | undefined {
  const plain = findRecord(records, { quantity });
  if (plain !== undefined) return plain;
  return records.find(
    (r) =>
      r.quantity === quantity &&
      r.storage === 0 &&
      r.tariff === 0 &&
      r.subunit === 0 &&
      r.function === 'instantaneous' &&
      r.modifiers.length === 1 &&
      modifiers.includes(r.modifiers[0]!),
  );
}

function registerValue(telegram: DecodedTelegram, source: RegisterSource): NamedValue | undefined {
  const named = telegram.values[source.name];
  if (named !== undefined) return named;
  const record = plainRecord(telegram.records, source.quantity, source.modifiers ?? []);
  return record === undefined ? undefined : { value: record.value, unit: record.unit };
}

function meterTimeOf(telegram: DecodedTelegram): string | undefined {
  const named = telegram.values.meterDateTime?.value;
  if (typeof named === 'string') return named;
  const record = findRecord(telegram.records, { quantity: 'dateTime' });
  return typeof record?.value === 'string' ? record.value : undefined;
}

/**
 * The cumulative register billing sums, for a meter of `kind`: a heat
 * meter's total energy in kWh (Wh and J converted), a water meter's total
 * volume in m³, a heat cost allocator's units of the current period (they
 * fall back to 0 at the allocator's set day, which the consumption
 * calculation treats as a reset). With rating factors, an allocator's
 * register also comes `rated` (EN 834: units × Kq × Kc × Kt).
 *
 * Null when the telegram carries no such register, sends "no data" in it, a
 * unit that is not the kind's (a telegram of another kind of device), or a
 * negative value (a cumulative register never is; meters send such patterns
 * for "invalid").
 */
export function readRegister(
  kind: MeterKind,
  telegram: DecodedTelegram,
  ratingFactors?: RatingFactors,
): ConsumptionRegister | null {
  const source = SOURCES[kind];
  const found = registerValue(telegram, source);
  if (found === undefined || typeof found.value !== 'number') return null;
  const factor = source.factors[found.unit];
  if (factor === undefined || !Number.isFinite(found.value) || found.value < 0) return null;

  const value = tidy(found.value * factor);
  const register: ConsumptionRegister = { value, unit: REGISTER_UNITS[kind] };
  if (kind === 'heat-cost-allocator' && ratingFactors !== undefined) {
    register.rated = tidy(value * ratingFactors.kq * ratingFactors.kc * (ratingFactors.kt ?? 1));
  }
  const meterTime = meterTimeOf(telegram);
  if (meterTime !== undefined) register.meterTime = meterTime;
  return register;
}
