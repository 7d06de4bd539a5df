import type { FastifyRequest } from 'fastify';
import type { Role, RoleGrant } from '../../auth/principal.js';
import { addDays, localDay } from '../../domain/consumption/day.js';
import { DomainError } from '../../domain/errors.js';
import { everyItem } from '../../domain/tenancy/every-item.js';
import type { Meter } from '../../domain/tenancy/meter.js';
import type {
  MeterStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
} from '../../domain/tenancy/ports.js';
import type { Property } from '../../domain/tenancy/property.js';
import type { Unit } from '../../domain/tenancy/unit.js';
import { periodCovers, type Period } from '../../domain/tenancy/tenancy.js';
import { meterScope } from './meters.js';
import {
  loadProperty,
  loadUnit,
  MANAGERS,
  notFound,
  partnerOf,
  unitScope,
} from './tenancy-access.js';

/**
 * How far a caller that reached a unit, property or meter may look into its
 * readings and consumption (issue 6): managers everything (an operator only
 * its organisation's live readings), landlords never one unit's values, and
 * tenants only the days of their own tenancies.
 */

/** Who may read what the ingest stored; each route narrows further by the reach. */
export const INGEST_READERS: readonly Role[] = [...MANAGERS, 'landlord', 'tenant'];

export type Reach =
  | {
      view: 'manager';
      /** Set when only operator grants reached: the organisation they operate for. */
      organisationId?: string;
    }
  /** A landlord, or a property's widget: aggregates and the building's own meters only. */
  | { view: 'landlord' }
  /** A tenant, or a unit's widget: the days of these periods only (inclusive local days). */
  | { view: 'tenant'; periods: Period[] };

export interface ReachContext {
  tenancies: Pick<TenancyStore, 'listByUnit'>;
  /** The property the resource is in: its zone tells what "today" is. */
  property: Property;
  /** The unit the resource is in, if any. */
  unitId?: string;
  now: Date;
}

/**
 * The reach of the caller over a resource it was authorised for, from the
 * grants request.authorize returned.
 *
 * A unit's embed token sees the unit's current tenancy only: the token does
 * not say who issued it, and a tenant may issue one for its own unit, so it
 * must not open the days of earlier tenants.
 */
export async function reachOf(
  request: FastifyRequest,
  grants: readonly RoleGrant[],
  ctx: ReachContext,
): Promise<Reach> {
  const principal = request.principal;
  if (principal === null) throw new Error(`route ${request.routeOptions.url} has no principal`);
  if (principal.kind === 'embed') {
    const scope = principal.embed?.scope;
    if (scope === undefined || !('unitId' in scope)) return { view: 'landlord' };
    return { view: 'tenant', periods: await currentTenancy(ctx, scope.unitId) };
  }
  if (grants.some((g) => g.role === 'platform-admin' || g.role === 'partner-admin')) {
    return { view: 'manager' };
  }
  const operator = grants.find((g) => g.role === 'operator');
  if (operator !== undefined) {
    return operator.organisationId === undefined
      ? { view: 'manager' }
      : { view: 'manager', organisationId: operator.organisationId };
  }
  // A landlord who also rents a unit of the property sees that unit as its tenant.
  const unitId = ctx.unitId;
  if (unitId === undefined || !grants.some((g) => g.role === 'tenant')) {
    if (grants.some((g) => g.role === 'landlord')) return { view: 'landlord' };
    return { view: 'tenant', periods: [] };
  }
  const tenancyIds = new Set(
    grants.flatMap((g) => (g.tenancyId === undefined ? [] : [g.tenancyId])),
  );
  const periods: Period[] = [];
  for await (const tenancy of everyItem((page) =>
    ctx.tenancies.listByUnit(ctx.property.partnerId, unitId, page),
  )) {
    const theirs =
      tenancyIds.has(tenancy.id) ||
      (principal.kind === 'user' && tenancy.tenantUserIds.includes(principal.subject));
    if (theirs) periods.push(periodOf(tenancy));
  }
  return { view: 'tenant', periods: mergePeriods(periods) };
}

async function currentTenancy(ctx: ReachContext, unitId: string): Promise<Period[]> {
  const today = localDay(ctx.now.toISOString(), ctx.property.timeZone);
  for await (const tenancy of everyItem((page) =>
    ctx.tenancies.listByUnit(ctx.property.partnerId, unitId, page),
  )) {
    if (periodCovers(tenancy, today)) return [periodOf(tenancy)];
  }
  return [];
}

function periodOf(period: Period): Period {
  return period.to === undefined ? { from: period.from } : { from: period.from, to: period.to };
}

/** Periods sorted, with overlapping and adjacent ones joined. */
export function mergePeriods(periods: readonly Period[]): Period[] {
  const sorted = [...periods].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: Period[] = [];
  for (const p of sorted) {
    const last = out.at(-1);
    if (last !== undefined && (last.to === undefined || p.from <= addDays(last.to, 1))) {
      if (last.to !== undefined && (p.to === undefined || p.to > last.to)) {
        if (p.to === undefined) delete last.to;
        else last.to = p.to;
      }
      continue;
    }
    out.push(periodOf(p));
  }
  return out;
}

/**
 * The parts of `from`..`to` (inclusive days) inside the periods; empty when
 * none is. The periods must be merged (mergePeriods).
 */
export function clipDays(
  from: string,
  to: string,
  periods: readonly Period[],
): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  for (const p of periods) {
    const start = p.from > from ? p.from : from;
    const end = p.to === undefined || p.to > to ? to : p.to;
    if (start <= end) out.push({ from: start, to: end });
  }
  return out;
}

export function outsideTenancy(): DomainError {
  return new DomainError('FORBIDDEN', 'the period lies outside the caller’s tenancy', {
    details: { reason: 'outside-tenancy' },
  });
}

/** One unit's values would reach a landlord: refused whatever the period. */
export function unitValuesRefused(): DomainError {
  return new DomainError('FORBIDDEN', "a landlord sees a unit's values only within aggregates", {
    details: { reason: 'single-unit' },
  });
}

/** The offset of a zone from UTC at an instant, in milliseconds (east positive). */
function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(ms);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a local day begins in a zone (its local midnight), ISO-8601
 * UTC: the bound of a tenancy in readings, which carry instants. Where a
 * zone skips midnight, the first instant of the day.
 */
export function localDayStart(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnight = Date.UTC(y, m - 1, d);
  let guess = midnight - zoneOffsetMs(midnight, timeZone);
  // Again from the first guess: the offset may differ on either side of a change.
  guess = midnight - zoneOffsetMs(guess, timeZone);
  if (localDay(new Date(guess).toISOString(), timeZone) !== day) {
    // Midnight skipped: step forward to the day's first hour.
    while (localDay(new Date(guess).toISOString(), timeZone) < day) guess += 3_600_000;
  }
  return new Date(guess).toISOString();
}

/** Instants of periods of local days: [start of `from`, start of the day after `to`). */
export function periodInstants(period: Period, timeZone: string): { from: string; to?: string } {
  return {
    from: localDayStart(period.from, timeZone),
    ...(period.to === undefined ? {} : { to: localDayStart(addDays(period.to, 1), timeZone) }),
  };
}

/**
 * A meter named in the path, authorised, with its property and the caller's
 * reach over it: what a meter's readings and alarms both start from. A
 * landlord is refused a unit's meter here.
 */
export async function meterReach(
  request: FastifyRequest,
  deps: {
    meters: Pick<MeterStore, 'get'>;
    properties: Pick<PropertyStore, 'get'>;
    tenancies: Pick<TenancyStore, 'listByUnit'>;
  },
  meterId: string,
  now: Date,
): Promise<{ meter: Meter; property: Property; reach: Reach }> {
  const partnerId = partnerOf(request);
  const meter = await deps.meters.get(partnerId, meterId);
  if (meter === null) throw notFound(`meter ${meterId}`);
  const grants = request.authorize(meterScope(meter));
  const property = await loadProperty(deps.properties, partnerId, meter.propertyId);
  const reach = await reachOf(request, grants, {
    tenancies: deps.tenancies,
    property,
    ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
    now,
  });
  if (reach.view === 'landlord' && meter.unitId !== undefined) throw unitValuesRefused();
  return { meter, property, reach };
}

/**
 * A unit named in the path, authorised, with its property and the caller's
 * reach over it: where a unit's consumption and its monthly information start.
 * One unit is one household, so a landlord is refused here.
 */
export async function unitReach(
  request: FastifyRequest,
  deps: {
    units: Pick<UnitStore, 'get'>;
    properties: Pick<PropertyStore, 'get'>;
    tenancies: Pick<TenancyStore, 'listByUnit'>;
  },
  unitId: string,
  now: Date,
): Promise<{ unit: Unit; property: Property; reach: Exclude<Reach, { view: 'landlord' }> }> {
  const { unit, property } = await loadUnit(deps, partnerOf(request), unitId);
  const grants = request.authorize(unitScope(property, unit));
  const reach = await reachOf(request, grants, {
    tenancies: deps.tenancies,
    property,
    unitId: unit.id,
    now,
  });
  if (reach.view === 'landlord') throw unitValuesRefused();
  return { unit, property, reach };
}

/** Above every stored instant: the open end of a range. */
export const LATEST_INSTANT = '9999';

/**
 * The time range a query asks for, as the store keeps instants (UTC,
 * milliseconds: `+01:00` and `Z` forms compare alike); open ends reach below
 * and above every stored instant.
 */
export function askedRange(query: { from?: string; to?: string }): { from: string; to: string } {
  const utc = (instant: string | undefined, open: string) =>
    instant === undefined ? open : new Date(instant).toISOString();
  return { from: utc(query.from, '0000'), to: utc(query.to, LATEST_INSTANT) };
}

/**
 * A tenant's tenancies as instants cut to `range`, each with `end` where the
 * tenancy ends, and the range narrowed to them; outsideTenancy when none
 * overlaps. What a meter's readings and alarms both show a tenant.
 */
export function tenancyWindows(
  periods: readonly Period[],
  timeZone: string,
  range: { from: string; to: string },
): {
  windows: Array<{ from: string; to: string; end?: string }>;
  range: { from: string; to: string };
} {
  const windows = periods
    .map((p) => periodInstants(p, timeZone))
    .map((w) => ({
      from: w.from > range.from ? w.from : range.from,
      to: w.to === undefined || w.to > range.to ? range.to : w.to,
      ...(w.to === undefined ? {} : { end: w.to }),
    }))
    .filter((w) => w.from < w.to);
  if (windows.length === 0) throw outsideTenancy();
  return { windows, range: { from: windows[0]!.from, to: windows.at(-1)!.to } };
}
