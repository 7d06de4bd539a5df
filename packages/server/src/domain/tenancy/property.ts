import { readAddress, type PostalAddress } from './address.js';
import { mergePatch, type Versioned } from './entity.js';
import {
  bool,
  decimal,
  id,
  integer,
  invalid,
  oneOf,
  optional,
  record,
  text,
  type Fields,
} from './validation.js';

/**
 * How the building is heated. `central`: a boiler or similar of the building;
 * `district`: district heating (independent commercial heat delivery, §9 HeizkostenV);
 * `heat-pump`: a central heat pump (HeizkostenV since 1.10.2024); `decentral`:
 * per-unit heaters (gas floor heaters), which the HeizkostenV does not cover.
 */
export const HEATING_KINDS = ['central', 'district', 'heat-pump', 'decentral', 'other'] as const;
export type HeatingKind = (typeof HEATING_KINDS)[number];

/**
 * The fuels of HeizkostenV §9(3)'s conversion table (their heating values
 * differ, and gas billed on gross calorific value is corrected), plus
 * electricity and district heat; billing and CO2KostAufG read it.
 */
export const FUELS = [
  'natural-gas-h',
  'natural-gas-l',
  'heating-oil',
  'heavy-oil',
  'lpg',
  'coke',
  'lignite',
  'hard-coal',
  'wood',
  'wood-pellets',
  'wood-chips',
  'electricity',
  'district-heat',
  'other',
] as const;
export type Fuel = (typeof FUELS)[number];

export interface HeatingSystem {
  kind: HeatingKind;
  fuel?: Fuel;
  /** Whether hot water comes from the same central system (§9: costs are split). */
  warmWaterCentral: boolean;
}

/**
 * How the monthly consumption information (HeizkostenV §6a) turns registers
 * that do not count energy into the kWh the law asks for.
 */
export interface EnergyConversion {
  /**
   * kWh per rated allocator unit, in practice from the last annual bill (the
   * building's heat energy ÷ all rated units). Without it, allocators are
   * reported in units only: there is no honest default.
   */
  kwhPerHcaUnit?: number;
  /** Mean hot-water temperature t_w of §9(2)'s formula; DEFAULT_HOT_WATER_TEMPERATURE_C when absent. */
  hotWaterTemperatureC?: number;
}

/** §9(2) HeizkostenV: "in der Regel 60 °C" where the temperature is not measured. */
export const DEFAULT_HOT_WATER_TEMPERATURE_C = 60;
/** Typo guards: above the cold-water inlet of the formula, below boiling. */
export const HOT_WATER_TEMPERATURE_RANGE_C = { min: 20, max: 95 } as const;
export const MAX_KWH_PER_HCA_UNIT = 1000;

/**
 * The smallest number of units a landlord's aggregate may combine: fewer
 * would let a landlord read one tenant's consumption out of a property total.
 */
export const DEFAULT_MINIMUM_AGGREGATION_UNITS = 3;
export const DEFAULT_TIME_ZONE = 'Europe/Berlin';

/** A building, served by one metering operator and possibly managed by a property manager. */
export interface Property extends Versioned {
  id: string;
  partnerId: string;
  /** The metering operator that serves it. */
  organisationId: string;
  /** The property manager or landlord organisation, if any. */
  managerOrganisationId?: string;
  /** A label people use (`Musterstraße 5–7`); the address is the identity. */
  name?: string;
  address: PostalAddress;
  /** IANA zone: days and months of consumption are the property's local ones. */
  timeZone: string;
  heatingSystem: HeatingSystem;
  /** Overrides DEFAULT_MINIMUM_AGGREGATION_UNITS upwards only; absent means the default. */
  minimumAggregationUnits?: number;
  /** Absent: allocators without kWh, hot water at DEFAULT_HOT_WATER_TEMPERATURE_C. */
  energyConversion?: EnergyConversion;
  /**
   * A change of operator in flight: set in the same write that makes
   * `toOrganisationId` the operator, removed once every meter has followed.
   * Absent otherwise.
   */
  transfer?: PropertyTransfer;
}

/**
 * The mark of an unfinished transfer (src/domain/tenancy/property-transfer.ts).
 * While it stands, some of the property's meters may still carry the old
 * operator; calling the transfer again with the same target completes it.
 */
export interface PropertyTransfer {
  fromOrganisationId: string;
  toOrganisationId: string;
  /** When the operator changed (ISO-8601 UTC). */
  startedAt: string;
  /**
   * The version the property had when the transfer started: a retry of the
   * very request that started it names this one, not the version the mark
   * itself produced, and is let through to complete it.
   */
  startedOnVersion: number;
}

export type PropertyFields = Omit<Property, keyof Versioned | 'id' | 'partnerId' | 'transfer'>;

export interface NewProperty {
  organisationId: string;
  managerOrganisationId?: string;
  name?: string;
  address: PostalAddress;
  timeZone?: string;
  heatingSystem: HeatingSystem;
  minimumAggregationUnits?: number;
  energyConversion?: EnergyConversion;
}

/**
 * A change of operator is not a patch: it moves the property's meters too,
 * and is a transfer (PropertyStore.startTransfer, property-transfer.ts).
 * `organisationId` is accepted only with the current value, so that a client
 * sending a whole record back is not refused.
 */
export interface PropertyPatch {
  organisationId?: string;
  managerOrganisationId?: string | null;
  name?: string | null;
  address?: PostalAddress;
  timeZone?: string;
  heatingSystem?: HeatingSystem;
  minimumAggregationUnits?: number | null;
  /** Replaces the whole setting; null removes it. */
  energyConversion?: EnergyConversion | null;
}

/** Whether the runtime knows the IANA zone; Intl is pure computation, no I/O. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function readTimeZone(value: unknown, field: string): string {
  const zone = text(value, field, { max: 64, pattern: /^[A-Za-z][A-Za-z0-9_+/-]*$/ });
  if (!isTimeZone(zone)) throw invalid(field, 'not-allowed', 'is not an IANA time zone');
  return zone;
}

function readHeatingSystem(value: unknown, field: string): HeatingSystem {
  const input = record(value, field);
  const fuel = optional(input.fuel, (v) => oneOf(v, `${field}/fuel`, FUELS));
  return {
    kind: oneOf(input.kind, `${field}/kind`, HEATING_KINDS),
    ...(fuel === undefined ? {} : { fuel }),
    warmWaterCentral: bool(input.warmWaterCentral, `${field}/warmWaterCentral`),
  };
}

/** An empty setting is no setting: it is dropped rather than stored as `{}`. */
function readEnergyConversion(value: unknown, field: string): EnergyConversion | undefined {
  const input = record(value, field);
  const factor = optional(input.kwhPerHcaUnit, (v) =>
    decimal(v, `${field}/kwhPerHcaUnit`, {
      min: 0,
      max: MAX_KWH_PER_HCA_UNIT,
      exclusiveMin: true,
    }),
  );
  const temperature = optional(input.hotWaterTemperatureC, (v) =>
    decimal(v, `${field}/hotWaterTemperatureC`, HOT_WATER_TEMPERATURE_RANGE_C),
  );
  if (factor === undefined && temperature === undefined) return undefined;
  return {
    ...(factor === undefined ? {} : { kwhPerHcaUnit: factor }),
    ...(temperature === undefined ? {} : { hotWaterTemperatureC: temperature }),
  };
}

function readPropertyFields(input: Fields): PropertyFields {
  const organisationId = id(input.organisationId, 'organisationId');
  const manager = optional(input.managerOrganisationId, (v) => id(v, 'managerOrganisationId'));
  if (manager === organisationId) {
    throw invalid('managerOrganisationId', 'not-allowed', 'must differ from organisationId');
  }
  const name = optional(input.name, (v) => text(v, 'name', { max: 200 }));
  const minimum = optional(input.minimumAggregationUnits, (v) =>
    integer(v, 'minimumAggregationUnits', DEFAULT_MINIMUM_AGGREGATION_UNITS, 1000),
  );
  const conversion = optional(input.energyConversion, (v) =>
    readEnergyConversion(v, 'energyConversion'),
  );
  return {
    organisationId,
    ...(manager === undefined ? {} : { managerOrganisationId: manager }),
    ...(name === undefined ? {} : { name }),
    address: readAddress(input.address, 'address'),
    timeZone: readTimeZone(input.timeZone ?? DEFAULT_TIME_ZONE, 'timeZone'),
    heatingSystem: readHeatingSystem(input.heatingSystem, 'heatingSystem'),
    ...(minimum === undefined ? {} : { minimumAggregationUnits: minimum }),
    ...(conversion === undefined ? {} : { energyConversion: conversion }),
  };
}

export function validateNewProperty(input: NewProperty): PropertyFields {
  return readPropertyFields(record(input, 'property'));
}

export function applyPropertyPatch(current: Property, patch: PropertyPatch): PropertyFields {
  const input = record(patch, 'patch');
  if (input.organisationId !== undefined && input.organisationId !== current.organisationId) {
    throw invalid(
      'organisationId',
      'immutable',
      'changes by a transfer of the property (transferProperty), which moves its meters too',
    );
  }
  return readPropertyFields(
    mergePatch(current, patch, {
      mutable: [
        'managerOrganisationId',
        'name',
        'address',
        'timeZone',
        'heatingSystem',
        'minimumAggregationUnits',
        'energyConversion',
      ],
      immutable: [],
    }),
  );
}

/** The aggregation threshold in force for a property. */
export function minimumAggregationUnits(
  property: Pick<Property, 'minimumAggregationUnits'>,
): number {
  return property.minimumAggregationUnits ?? DEFAULT_MINIMUM_AGGREGATION_UNITS;
}
