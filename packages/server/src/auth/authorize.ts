import { DomainError } from '../domain/errors.js';
import type { Principal, Role, RoleGrant } from './principal.js';

/**
 * Where a resource sits in the tenancy tree. A route fills in what it knows
 * from the stored resource (never from the request), down to the narrowest
 * level the resource has: a meter of a unit carries its unit, property,
 * organisation and partner.
 */
export interface ResourceScope {
  partnerId: string;
  organisationId?: string;
  propertyId?: string;
  unitId?: string;
}

/**
 * Whether one grant reaches a resource. Each role reaches down from the level
 * it is scoped to, never up or sideways: an operator sees its organisation's
 * properties and their units, a landlord one property, a tenant one unit.
 */
export function grantCovers(grant: RoleGrant, target: ResourceScope): boolean {
  if (grant.role === 'platform-admin') return true;
  if (grant.partnerId !== target.partnerId) return false;
  switch (grant.role) {
    case 'partner-admin':
      return true;
    case 'operator':
      return grant.organisationId !== undefined && grant.organisationId === target.organisationId;
    case 'landlord':
      return grant.propertyId !== undefined && grant.propertyId === target.propertyId;
    case 'tenant':
      return grant.unitId !== undefined && grant.unitId === target.unitId;
  }
}

/** An embed token reaches its unit, or its property and that property's units. */
function embedCovers(principal: Principal, target: ResourceScope): boolean {
  const scope = principal.embed?.scope;
  if (scope === undefined || principal.partnerId !== target.partnerId) return false;
  return 'unitId' in scope
    ? scope.unitId === target.unitId
    : scope.propertyId === target.propertyId;
}

/** The grants of the principal that the rule's roles allow. */
export function grantsFor(principal: Principal, roles: readonly Role[]): RoleGrant[] {
  return principal.grants.filter((g) => roles.includes(g.role));
}

/**
 * The one check every protected resource goes through. Another partner's
 * resource is NOT_FOUND, so that ids cannot be probed across tenants; within
 * the partner, a resource no allowed grant reaches is FORBIDDEN. Returns the
 * grants that reach it, for use cases that narrow further (a landlord's
 * aggregates, a tenant's tenancy period).
 */
export function authorize(
  principal: Principal,
  roles: readonly Role[],
  target: ResourceScope,
): RoleGrant[] {
  const platformAdmin = principal.grants.some((g) => g.role === 'platform-admin');
  if (!platformAdmin && principal.partnerId !== target.partnerId) {
    throw new DomainError('NOT_FOUND', 'no such resource');
  }
  if (principal.kind === 'embed') {
    if (embedCovers(principal, target)) return [];
    throw new DomainError('FORBIDDEN', 'the embed token does not reach this resource');
  }
  const reaching = grantsFor(principal, roles).filter((g) => grantCovers(g, target));
  if (reaching.length === 0) {
    throw new DomainError('FORBIDDEN', 'no role of the caller reaches this resource', {
      details: { roles },
    });
  }
  return reaching;
}
