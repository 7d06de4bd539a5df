import { mergePatch, type Versioned } from './entity.js';
import {
  decimal,
  id,
  integer,
  invalid,
  isoInstant,
  oneOf,
  optional,
  record,
  text,
  type Fields,
} from './validation.js';

export const METER_KINDS = [
  'heat-cost-allocator',
  'heat-meter',
  'water-meter',
  'warm-water-meter',
] as const;
export type MeterKind = (typeof METER_KINDS)[number];

/**
 * The rating factors of a heat cost allocator (EN 834): Kq for the radiator's
 * rated output, Kc for the sensor's thermal coupling, Kt for a room designed
 * colder than usual. Rated units = display units × Kq × Kc (× Kt).
 */
export interface RatingFactors {
  kq: number;
  kc: number;
  kt?: number;
}

/**
 * What a wireless M-Bus frame names its sender by (link-layer address): the
 * FLAG manufacturer code, the 8-digit id, the version (`deviceVersion`) and
 * the device type. Unique among a partner's installed meters.
 */
export interface MeterIdentity {
  /** Three upper-case letters (`KAM`, `QDS`). */
  manufacturer: string;
  /** Eight decimal digits, as printed on the device. */
  meterId: string;
  /**
   * The wM-Bus version byte, 0–255. Named apart from `version`, which every
   * stored record carries as its optimistic-concurrency counter.
   */
  deviceVersion: number;
  /** 0–255, the wM-Bus device type byte. */
  deviceType: number;
}

/**
 * One installation of a device: where it sits, from when to when. A device
 * moved to another unit is removed here and installed again as a new meter,
 * so that readings stay with the place they were taken.
 */
export interface Meter extends Versioned, MeterIdentity {
  id: string;
  partnerId: string;
  /** The metering operator; its gateways receive the meter. */
  organisationId: string;
  propertyId: string;
  /** Absent for a property-level meter (the building's heat meter, the main water meter). */
  unitId?: string;
  kind: MeterKind;
  /** Which radiator or tap, as people find it (`Bad`, `Küche Heizkörper 2`). */
  location?: string;
  installedAt: string;
  /** Final once set (it may be corrected, not cleared); releases the identity. */
  removedAt?: string;
  /** Heat cost allocators only. */
  ratingFactors?: RatingFactors;
  /** The key vault's reference to the meter's wrapped AES key; never the key itself. */
  keyRef?: string;
}

export type MeterFields = Omit<Meter, keyof Versioned | 'id' | 'partnerId'>;

/** organisationId defaults to the property's operator (the store fills it in). */
export interface NewMeter extends MeterIdentity {
  organisationId?: string;
  propertyId: string;
  unitId?: string;
  kind: MeterKind;
  location?: string;
  installedAt: string;
  removedAt?: string;
  ratingFactors?: RatingFactors;
  keyRef?: string;
}

export interface MeterPatch {
  location?: string | null;
  installedAt?: string;
  removedAt?: string;
  ratingFactors?: RatingFactors | null;
  keyRef?: string | null;
}

/** Identity and placement: changing any of them is another installation. */
const IMMUTABLE = [
  'organisationId',
  'propertyId',
  'unitId',
  'kind',
  'manufacturer',
  'meterId',
  'deviceVersion',
  'deviceType',
] as const;

export function readMeterIdentity(input: Fields, prefix = ''): MeterIdentity {
  return {
    manufacturer: text(input.manufacturer, `${prefix}manufacturer`, {
      max: 3,
      pattern: /^[A-Za-z]{3}$/,
    }).toUpperCase(),
    meterId: text(input.meterId, `${prefix}meterId`, { max: 8, pattern: /^\d{8}$/ }),
    deviceVersion: integer(input.deviceVersion, `${prefix}deviceVersion`, 0, 255),
    deviceType: integer(input.deviceType, `${prefix}deviceType`, 0, 255),
  };
}

/** Far beyond any radiator; a typo guard. */
const MAX_FACTOR = 100;

function readRatingFactors(value: unknown, field: string): RatingFactors {
  const input = record(value, field);
  const factor = (v: unknown, f: string) =>
    decimal(v, f, { min: 0, max: MAX_FACTOR, exclusiveMin: true });
  const kt = optional(input.kt, (v) => factor(v, `${field}/kt`));
  return {
    kq: factor(input.kq, `${field}/kq`),
    kc: factor(input.kc, `${field}/kc`),
    ...(kt === undefined ? {} : { kt }),
  };
}

/**
 * A reference the key vault understands, not key material: a value that
 * looks like a raw AES-128 key (32 hex digits) is refused, since pasting the
 * key where the reference goes is the likely mistake.
 */
function readKeyRef(value: unknown, field: string): string {
  const ref = text(value, field, { max: 256, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:/=-]*$/ });
  if (/[0-9a-fA-F]{32}/.test(ref)) {
    throw invalid(field, 'not-allowed', 'must reference the key, not contain it');
  }
  return ref;
}

function readMeterFields(input: Fields): MeterFields {
  const kind = oneOf(input.kind, 'kind', METER_KINDS);
  const unitId = optional(input.unitId, (v) => id(v, 'unitId'));
  const location = optional(input.location, (v) => text(v, 'location', { max: 100 }));
  const installedAt = isoInstant(input.installedAt, 'installedAt');
  const removedAt = optional(input.removedAt, (v) => isoInstant(v, 'removedAt'));
  if (removedAt !== undefined && removedAt < installedAt) {
    throw invalid('removedAt', 'order', 'must not be before installedAt');
  }
  const ratingFactors = optional(input.ratingFactors, (v) => readRatingFactors(v, 'ratingFactors'));
  if (ratingFactors !== undefined && kind !== 'heat-cost-allocator') {
    throw invalid('ratingFactors', 'not-allowed', 'only heat cost allocators have rating factors');
  }
  const keyRef = optional(input.keyRef, (v) => readKeyRef(v, 'keyRef'));
  return {
    organisationId: id(input.organisationId, 'organisationId'),
    propertyId: id(input.propertyId, 'propertyId'),
    ...(unitId === undefined ? {} : { unitId }),
    kind,
    ...readMeterIdentity(input),
    ...(location === undefined ? {} : { location }),
    installedAt,
    ...(removedAt === undefined ? {} : { removedAt }),
    ...(ratingFactors === undefined ? {} : { ratingFactors }),
    ...(keyRef === undefined ? {} : { keyRef }),
  };
}

/** `organisationId` must be filled in (from the property) before this is called. */
export function validateNewMeter(input: NewMeter): MeterFields {
  return readMeterFields(record(input, 'meter'));
}

export function applyMeterPatch(current: Meter, patch: MeterPatch): MeterFields {
  const input = record(patch, 'patch');
  if (current.removedAt !== undefined && input.removedAt === null) {
    throw invalid('removedAt', 'immutable', 'a removal is final');
  }
  return readMeterFields(
    mergePatch(current, patch, {
      mutable: ['location', 'installedAt', 'removedAt', 'ratingFactors', 'keyRef'],
      immutable: IMMUTABLE,
    }),
  );
}

export function meterIdentity(meter: MeterIdentity): MeterIdentity {
  return {
    manufacturer: meter.manufacturer,
    meterId: meter.meterId,
    deviceVersion: meter.deviceVersion,
    deviceType: meter.deviceType,
  };
}

export function sameIdentity(a: MeterIdentity, b: MeterIdentity): boolean {
  return (
    a.manufacturer === b.manufacturer &&
    a.meterId === b.meterId &&
    a.deviceVersion === b.deviceVersion &&
    a.deviceType === b.deviceType
  );
}

/**
 * The identity string a meter's key is sealed with (the additional data of
 * the envelope): manufacturer, meter id, version and device type as the
 * frame's link layer names them (`KAM-12345678-1B-04`, bytes in hex). Ingest
 * opens with the same string, built from the meter it looked up.
 */
export function meterKeyIdentity(identity: MeterIdentity): string {
  const byte = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
  return [
    identity.manufacturer,
    identity.meterId,
    byte(identity.deviceVersion),
    byte(identity.deviceType),
  ].join('-');
}
