import { addDays, daysBetween } from '../src/domain/consumption/day.js';
import type { MeterKind } from '../src/domain/tenancy/meter.js';
import { issueEmbedToken } from '../src/auth/embed-tokens.js';
import type { EmbedScope } from '../src/auth/principal.js';
import type { KeyRing } from '../src/auth/signing-keys.js';
import type { RegisterUnit } from '../src/ingest/consumption-register.js';
import type { Reading, StoredMeterDay } from '../src/ingest/ingest-store.js';

/** The origin the test embed tokens are issued for and sent from. */
export const WIDGET_ORIGIN = 'https://widgets.example';

export interface DaysOf {
  partnerId: string;
  propertyId: string;
  unitId?: string;
  meterId: string;
  kind?: MeterKind;
  unit?: RegisterUnit;
  /** First and last day with data, inclusive. */
  from: string;
  to: string;
  /** What the register counts per day; it stands at `start` on the eve of `from`. */
  perDay: number;
  start?: number;
  /** Allocators with rating factors: rated = units × this. */
  ratedFactor?: number;
}

/**
 * Meter-days as the ingest stores them: the register grows by `perDay`
 * each day, read at 06:00 and 20:00 UTC.
 */
export function meterDays(spec: DaysOf): StoredMeterDay[] {
  const start = spec.start ?? 0;
  return daysBetween(spec.from, spec.to).map((day, i): StoredMeterDay => {
    const firstValue = start + i * spec.perDay + spec.perDay / 4;
    const lastValue = start + (i + 1) * spec.perDay;
    return {
      partnerId: spec.partnerId,
      propertyId: spec.propertyId,
      ...(spec.unitId === undefined ? {} : { unitId: spec.unitId }),
      meterId: spec.meterId,
      kind: spec.kind ?? 'water-meter',
      unit: spec.unit ?? 'm3',
      day,
      firstAt: `${day}T06:00:00.000Z`,
      firstValue,
      lastAt: `${day}T20:00:00.000Z`,
      lastValue,
      readings: 2,
      ...(spec.ratedFactor === undefined
        ? {}
        : { firstRated: firstValue * spec.ratedFactor, lastRated: lastValue * spec.ratedFactor }),
      version: 1,
    };
  });
}

/** The eve of a day: meterDays' `start` counts from it. */
export const eve = (day: string) => addDays(day, -1);

/** A stored reading of a meter at an instant. */
export function readingOf(
  meter: {
    id: string;
    partnerId: string;
    organisationId: string;
    propertyId: string;
    unitId?: string;
  },
  at: string,
  value: number,
  digest = `d${Date.parse(at).toString(36)}${Math.round(value * 1000).toString(36)}`,
): Reading {
  return {
    partnerId: meter.partnerId,
    meterId: meter.id,
    organisationId: meter.organisationId,
    propertyId: meter.propertyId,
    ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
    kind: 'water-meter',
    at,
    digest,
    register: { value, unit: 'm3' },
    values: { totalVolume: { value, unit: 'm3' } },
    status: {
      raw: 0,
      application: 'ok',
      powerLow: false,
      permanentError: false,
      temporaryError: false,
      manufacturerBits: 0,
    },
    accessNumber: 17,
    securityMode: 5,
    driver: 'generic-water',
  };
}

/** Headers of a widget's embed token for a unit or property, sent from its page. */
export async function embedHeaders(
  services: { ring: KeyRing; issuer: string },
  partnerId: string,
  scope: EmbedScope,
): Promise<Record<string, string>> {
  const { token } = await issueEmbedToken(
    services.ring,
    { partnerId, scope, allowedOrigins: [WIDGET_ORIGIN], ttlSeconds: 900 },
    { now: new Date(), issuer: services.issuer, partnerAllowedOrigins: [WIDGET_ORIGIN] },
  );
  return { authorization: `Bearer ${token}`, origin: WIDGET_ORIGIN };
}
