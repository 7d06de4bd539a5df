import type { Actor } from './audit.js';
import type { Page, PageOptions } from './tenancy/ports.js';
import { id, invalid, isoInstant, oneOf, record, text } from './tenancy/validation.js';

/**
 * Support access: an organisation lets a support user of its partner (the
 * gateway vendor's or the partner's own support staff) act as one of its
 * operators for a limited time. `read` works on reads only; `operate` as an
 * operator does. The grantee needs no grants of their own.
 */
export const SUPPORT_ACCESS_LEVELS = ['read', 'operate'] as const;
export type SupportAccessLevel = (typeof SUPPORT_ACCESS_LEVELS)[number];

/** The longest a grant may run: a door left open for good is no longer support. */
export const SUPPORT_ACCESS_MAX_SECONDS = 30 * 24 * 3600;

/**
 * How long an ended grant (expired or revoked) stays listed, so that the
 * organisation can still see who was let in and until when.
 */
export const SUPPORT_ACCESS_RETENTION_SECONDS = 90 * 24 * 3600;

export interface SupportGrant {
  id: string;
  partnerId: string;
  organisationId: string;
  /** The support user; a user of the same partner. */
  userId: string;
  access: SupportAccessLevel;
  /** Why support is let in (a ticket number, a fault): shown in lists and the audit log. */
  reason: string;
  grantedBy: Actor;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: Actor;
}

export interface NewSupportGrant {
  organisationId: string;
  userId: string;
  access: SupportAccessLevel;
  reason: string;
  expiresAt: string;
}

export type SupportGrantStatus = 'active' | 'expired' | 'revoked';

/**
 * A grant as the store keeps it, from the caller's input: ids checked, the
 * expiry in the future and at most SUPPORT_ACCESS_MAX_SECONDS ahead, the
 * reason printable text. Whether the organisation and the user exist is the
 * caller's check.
 */
export function newSupportGrant(
  grantId: string,
  partnerId: string,
  input: NewSupportGrant,
  grantedBy: Actor,
  now: Date,
): SupportGrant {
  const fields = record(input, 'supportAccess');
  const expiresAt = isoInstant(fields.expiresAt, 'expiresAt');
  const ends = Date.parse(expiresAt);
  if (ends <= now.getTime()) {
    throw invalid('expiresAt', 'out-of-range', 'must lie in the future');
  }
  if (ends > now.getTime() + SUPPORT_ACCESS_MAX_SECONDS * 1000) {
    throw invalid('expiresAt', 'out-of-range', 'must lie at most 30 days ahead');
  }
  return {
    id: id(grantId, 'id'),
    partnerId: id(partnerId, 'partnerId'),
    organisationId: id(fields.organisationId, 'organisationId'),
    userId: id(fields.userId, 'userId'),
    access: oneOf(fields.access, 'access', SUPPORT_ACCESS_LEVELS),
    reason: text(fields.reason, 'reason', { max: 500 }),
    grantedBy: { kind: grantedBy.kind, id: grantedBy.id },
    createdAt: now.toISOString(),
    expiresAt,
  };
}

export function supportGrantStatus(grant: SupportGrant, now: Date): SupportGrantStatus {
  if (grant.revokedAt !== undefined) return 'revoked';
  return Date.parse(grant.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

/** When the grant stopped (or will stop) letting its user in: the earlier of expiry and revocation. */
export function supportGrantEnd(grant: SupportGrant): string {
  if (grant.revokedAt !== undefined && grant.revokedAt < grant.expiresAt) return grant.revokedAt;
  return grant.expiresAt;
}

/**
 * Storage of support grants. Authentication reads a user's active grants on
 * every request, so that an expiry or a revocation holds from the next
 * request on; that read must be strongly consistent.
 */
export interface SupportGrantStore {
  /** CONFLICT when the id is taken. */
  create(grant: SupportGrant): Promise<void>;
  /** A grant of the partner, or null (also for another partner's id). */
  get(partnerId: string, grantId: string): Promise<SupportGrant | null>;
  /**
   * An organisation's grants, newest first: active ones and those that ended
   * within SUPPORT_ACCESS_RETENTION_SECONDS (the store may keep them longer).
   */
  listByOrganisation(
    partnerId: string,
    organisationId: string,
    options?: PageOptions,
  ): Promise<Page<SupportGrant>>;
  /** The user's grants that are active at `now`, strongly consistent. */
  activeForUser(partnerId: string, userId: string, now: Date): Promise<SupportGrant[]>;
  /**
   * Ends a grant now; a second revocation keeps the first one's time and
   * actor. Null when there is no such grant of the partner.
   */
  revoke(
    partnerId: string,
    grantId: string,
    revokedAt: string,
    revokedBy: Actor,
  ): Promise<SupportGrant | null>;
}
