import type { FastifyRequest } from 'fastify';
import type { ResourceScope } from '../../auth/authorize.js';
import type { Role, RoleGrant } from '../../auth/principal.js';
import { DomainError } from '../../domain/errors.js';
import type { PageOptions, PropertyStore, UnitStore } from '../../domain/tenancy/ports.js';
import type { Property } from '../../domain/tenancy/property.js';
import type { Unit } from '../../domain/tenancy/unit.js';

/**
 * What the property, unit, tenancy, meter and meter key routes share: who
 * manages, how far a caller's grants reach, and how a stored record becomes
 * the scope that `request.authorize` checks.
 */

/** Metering operators manage their organisation's tree; partner admins all of the partner's. */
export const MANAGERS: readonly Role[] = ['partner-admin', 'operator'];

/**
 * How much of a record a caller sees, from the grants that reached it:
 * managers everything, landlords no tenant's personal data, tenants their own.
 */
export type View = 'manager' | 'landlord' | 'tenant';

export function viewOf(grants: readonly RoleGrant[]): View {
  if (grants.some((g) => g.role !== 'landlord' && g.role !== 'tenant')) return 'manager';
  if (grants.some((g) => g.role === 'landlord')) return 'landlord';
  return 'tenant';
}

export function notFound(what: string): DomainError {
  return new DomainError('NOT_FOUND', `${what} does not exist`);
}

/**
 * Refuses a list filtered by an organisation the partner does not have: an
 * empty page would not tell a typo (or another partner's id) from an
 * organisation without entries, and properties already answer 404 here.
 */
export async function requireOrganisation(
  organisations: { get(partnerId: string, organisationId: string): Promise<unknown> },
  partnerId: string,
  organisationId: string,
): Promise<void> {
  if ((await organisations.get(partnerId, organisationId)) === null) {
    throw notFound(`organisation ${organisationId}`);
  }
}

/** The caller's partner: every store read is under it, so another partner's id is NOT_FOUND. */
export function partnerOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal === null) throw new Error(`route ${request.routeOptions.url} has no principal`);
  return principal.partnerId;
}

export function propertyScope(property: Property): ResourceScope {
  return {
    partnerId: property.partnerId,
    organisationId: property.organisationId,
    propertyId: property.id,
  };
}

/** A unit sits below its property's operator: the scope needs the property too. */
export function unitScope(property: Property, unit: Unit): ResourceScope {
  return { ...propertyScope(property), unitId: unit.id };
}

export async function loadProperty(
  properties: Pick<PropertyStore, 'get'>,
  partnerId: string,
  propertyId: string,
): Promise<Property> {
  const property = await properties.get(partnerId, propertyId);
  if (property === null) throw notFound(`property ${propertyId}`);
  return property;
}

/** A unit and its property, both read from the store. */
export async function loadUnit(
  stores: { properties: Pick<PropertyStore, 'get'>; units: Pick<UnitStore, 'get'> },
  partnerId: string,
  unitId: string,
): Promise<{ unit: Unit; property: Property }> {
  const unit = await stores.units.get(partnerId, unitId);
  if (unit === null) throw notFound(`unit ${unitId}`);
  // A unit without its property would be a broken tree: answer as if it were gone.
  const property = await stores.properties.get(partnerId, unit.propertyId);
  if (property === null) throw notFound(`unit ${unitId}`);
  return { unit, property };
}

export function pageOptions(query: { limit?: number; cursor?: string }): PageOptions {
  return {
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}

/** The patch without `version`, and fields the client left out dropped, so they stay. */
export function patchOf<T extends { version: number }>(body: T): Omit<T, 'version'> {
  const { version: _version, ...rest } = body;
  return Object.fromEntries(
    Object.entries(rest).filter(([, value]) => value !== undefined),
  ) as Omit<T, 'version'>;
}
