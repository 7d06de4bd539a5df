import { DomainError } from '../domain/errors.js';

export const ROLES = ['platform-admin', 'partner-admin', 'operator', 'landlord', 'tenant'] as const;

export type Role = (typeof ROLES)[number];

/** The partner id a platform admin's grant carries: it is bound to no single partner. */
export const ANY_PARTNER = '*';

/**
 * One role at one level of the tenancy tree. The narrowest id present is the
 * level the role applies to; the wider ids above it are carried along so that a
 * check can be made without loading the tree.
 */
export interface RoleGrant {
  role: Role;
  partnerId: string;
  organisationId?: string;
  propertyId?: string;
  unitId?: string;
  tenancyId?: string;
}

export type EmbedScope = { unitId: string } | { propertyId: string };

/** What an embed token binds its bearer to, besides being read-only. */
export interface EmbedBinding {
  scope: EmbedScope;
  /** The origins the token was issued for. */
  allowedOrigins: string[];
  /** The origin of the request that presented it; one of allowedOrigins. */
  origin: string;
  /** Widget names the token is limited to; absent means every widget. */
  widgets?: string[];
}

export type PrincipalKind = 'user' | 'api-key' | 'embed';

/**
 * Support access an organisation granted this user, active now and admitted
 * on this request (src/auth/support-access.ts): it adds an operator grant on
 * the organisation to the principal's grants.
 */
export interface SupportAccess {
  grantId: string;
  organisationId: string;
  access: 'read' | 'operate';
  expiresAt: string;
}

/** Who is calling, as the HTTP layer hands it to the use cases. */
export interface Principal {
  kind: PrincipalKind;
  /** User id, API key id, or embed token id. */
  subject: string;
  partnerId: string;
  grants: RoleGrant[];
  scopes?: string[];
  locale?: string;
  embed?: EmbedBinding;
  /** For users: the support access behind some of `grants`, one per organisation. */
  support?: SupportAccess[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Ids end up in keys and token claims: a tight alphabet keeps separators and whitespace out. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/**
 * Why a grant is not well formed, or null when it is. A role must name the
 * level it is scoped to: an operator an organisation, a landlord a property, a
 * tenant a unit. A grant that named fewer ids would silently widen.
 */
export function grantProblem(grant: RoleGrant): string | null {
  if (!(ROLES as readonly string[]).includes(grant.role)) return 'unknown role';
  const optional = ['organisationId', 'propertyId', 'unitId', 'tenancyId'] as const;
  for (const field of optional) {
    if (grant[field] !== undefined && !isValidId(grant[field])) return `invalid ${field}`;
  }
  if (grant.role === 'platform-admin') {
    if (grant.partnerId !== ANY_PARTNER) return `platform-admin needs partnerId '${ANY_PARTNER}'`;
    return optional.some((f) => grant[f] !== undefined)
      ? 'platform-admin is not scoped below the platform'
      : null;
  }
  if (!isValidId(grant.partnerId)) return 'invalid partnerId';
  switch (grant.role) {
    case 'partner-admin':
      return optional.some((f) => grant[f] !== undefined)
        ? 'partner-admin is scoped to the partner only'
        : null;
    case 'operator':
      return grant.organisationId === undefined ? 'operator needs organisationId' : null;
    case 'landlord':
      return grant.propertyId === undefined ? 'landlord needs propertyId' : null;
    case 'tenant':
      return grant.unitId === undefined ? 'tenant needs unitId' : null;
  }
}

/**
 * Refuses grants that are malformed or that reach outside the principal's
 * partner (a platform admin's grant is the one exception).
 */
export function assertGrants(grants: readonly RoleGrant[], partnerId: string): void {
  grants.forEach((grant, index) => {
    const problem =
      grantProblem(grant) ??
      (grant.role !== 'platform-admin' && grant.partnerId !== partnerId
        ? 'grant belongs to another partner'
        : null);
    if (problem) {
      throw new DomainError('VALIDATION_FAILED', `grant ${index}: ${problem}`, {
        details: { field: `grants/${index}`, problem },
      });
    }
  });
}

/**
 * Reads grants from an untrusted shape (a token claim, a stored record) and
 * keeps only the known fields, or returns null when anything is off.
 */
export function parseGrants(value: unknown): RoleGrant[] | null {
  if (!Array.isArray(value)) return null;
  const grants: RoleGrant[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return null;
    const raw = item as Record<string, unknown>;
    const grant: RoleGrant = { role: raw.role as Role, partnerId: raw.partnerId as string };
    for (const field of ['organisationId', 'propertyId', 'unitId', 'tenancyId'] as const) {
      if (raw[field] !== undefined) grant[field] = raw[field] as string;
    }
    if (typeof grant.partnerId !== 'string' || grantProblem(grant) !== null) return null;
    grants.push(grant);
  }
  return grants;
}
