import { randomBytes } from 'node:crypto';
import { supportGrantStatus, type SupportGrant } from '../domain/support-access.js';
import { grantCovers, type ResourceScope } from './authorize.js';
import type { Principal, RoleGrant, SupportAccess } from './principal.js';

/**
 * Which support access a request admits, from its route's rule and its method:
 * - `read`: a GET or HEAD; both levels count.
 * - `write`: any other method; only `operate` counts.
 * - `any`: both levels on any method, for routes that check the support user
 *   themselves (a grantee ending their own access).
 * - `none`: routes that mint credentials or open access, so that support staff
 *   cannot make themselves something that outlasts their grant.
 */
export type SupportMode = 'none' | 'read' | 'write' | 'any';

function admits(mode: SupportMode, level: SupportGrant['access']): boolean {
  if (mode === 'none') return false;
  return mode === 'write' ? level === 'operate' : true;
}

/** Of two grants on one organisation: operate before read, then the one running longer. */
function preferred(a: SupportGrant, b: SupportGrant): boolean {
  if (a.access !== b.access) return a.access === 'operate';
  return a.expiresAt > b.expiresAt;
}

function operatorOn(partnerId: string, organisationId: string): RoleGrant {
  return { role: 'operator', partnerId, organisationId };
}

/**
 * The principal with an operator grant on each organisation whose support
 * access it holds and the request admits. An organisation its own grants
 * reach already gains nothing (and its support is never recorded as used).
 * Grants of another user or partner, or no longer active, are ignored.
 */
export function withSupportAccess(
  principal: Principal,
  grants: readonly SupportGrant[],
  mode: SupportMode,
  now: Date,
): Principal {
  if (principal.kind !== 'user' || mode === 'none') return principal;
  const chosen = new Map<string, SupportGrant>();
  for (const grant of grants) {
    if (grant.partnerId !== principal.partnerId || grant.userId !== principal.subject) continue;
    if (supportGrantStatus(grant, now) !== 'active' || !admits(mode, grant.access)) continue;
    const scope = { partnerId: grant.partnerId, organisationId: grant.organisationId };
    if (principal.grants.some((own) => grantCovers(own, scope))) continue;
    const other = chosen.get(grant.organisationId);
    if (other === undefined || preferred(grant, other)) chosen.set(grant.organisationId, grant);
  }
  if (chosen.size === 0) return principal;
  const support: SupportAccess[] = [...chosen.values()]
    .sort((a, b) => a.organisationId.localeCompare(b.organisationId))
    .map((g) => ({
      grantId: g.id,
      organisationId: g.organisationId,
      access: g.access,
      expiresAt: g.expiresAt,
    }));
  return {
    ...principal,
    grants: [
      ...principal.grants,
      ...support.map((s) => operatorOn(principal.partnerId, s.organisationId)),
    ],
    support,
  };
}

/** Whether a grant of the principal is the operator grant its support access added. */
function fromSupport(principal: Principal, grant: RoleGrant): boolean {
  return (
    grant.role === 'operator' &&
    grant.partnerId === principal.partnerId &&
    (principal.support ?? []).some((s) => s.organisationId === grant.organisationId)
  );
}

/**
 * The support access behind grants that reached a resource: a request they
 * served is recorded in the organisation's audit log as `support-access.used`.
 */
export function supportUsed(principal: Principal, reaching: readonly RoleGrant[]): SupportAccess[] {
  const support = principal.support ?? [];
  return support.filter((s) =>
    reaching.some((g) => fromSupport(principal, g) && g.organisationId === s.organisationId),
  );
}

/** The principal as its own grants alone make it: for decisions support staff may not take. */
export function withoutSupport(principal: Principal): Principal {
  if (principal.support === undefined) return principal;
  const { support: _support, ...rest } = principal;
  return { ...rest, grants: principal.grants.filter((g) => !fromSupport(principal, g)) };
}

/** The scope a support grant opens. */
export function supportScope(
  grant: Pick<SupportGrant, 'partnerId' | 'organisationId'>,
): ResourceScope {
  return { partnerId: grant.partnerId, organisationId: grant.organisationId };
}

/** A new support grant's id: 96 random bits after a readable prefix, like the tenancy ids. */
export function newSupportGrantId(): string {
  return `sup_${randomBytes(12).toString('base64url')}`;
}
