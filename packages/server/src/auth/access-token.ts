import { DomainError } from '../domain/errors.js';
import {
  ANY_PARTNER,
  assertGrants,
  isValidId,
  parseGrants,
  type Principal,
  type RoleGrant,
} from './principal.js';
import { refused, signToken, verifyToken } from './signed-token.js';
import type { KeyRing } from './signing-keys.js';

export const ACCESS_TOKEN_AUDIENCE = 'zaehlwerk-api';
export const ACCESS_TOKEN_DEFAULT_TTL_SECONDS = 900;
/**
 * Access tokens cannot be revoked before they expire (verification reads no
 * store), so their lifetime is what a stolen token or a withdrawn role costs.
 */
export const ACCESS_TOKEN_MAX_TTL_SECONDS = 3600;

const LOCALE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

export interface AccessTokenClaims {
  userId: string;
  partnerId: string;
  grants: RoleGrant[];
  locale?: string;
}

export interface IssueAccessTokenOptions {
  now: Date;
  issuer: string;
  ttlSeconds?: number;
  audience?: string;
}

function invalid(message: string, field: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { details: { field } });
}

function isPartnerId(value: unknown): value is string {
  return value === ANY_PARTNER || isValidId(value);
}

/**
 * Signs a short-lived access token for a signed-in user. Grants travel in the
 * token, so the API authorises without a lookup; a role change therefore takes
 * effect at the next refresh, within the token's lifetime.
 */
export async function issueAccessToken(
  ring: KeyRing,
  claims: AccessTokenClaims,
  options: IssueAccessTokenOptions,
): Promise<{ token: string; expiresAt: Date }> {
  const ttl = options.ttlSeconds ?? ACCESS_TOKEN_DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > ACCESS_TOKEN_MAX_TTL_SECONDS) {
    throw invalid(`ttlSeconds must be 1..${ACCESS_TOKEN_MAX_TTL_SECONDS}`, 'ttlSeconds');
  }
  if (!isValidId(claims.userId)) throw invalid('invalid userId', 'userId');
  if (!isPartnerId(claims.partnerId)) throw invalid('invalid partnerId', 'partnerId');
  assertGrants(claims.grants, claims.partnerId);
  if (claims.locale !== undefined && !LOCALE.test(claims.locale)) {
    throw invalid('invalid locale', 'locale');
  }
  const { token, expiresAt } = await signToken(
    ring,
    'access',
    {
      pid: claims.partnerId,
      grants: claims.grants,
      ...(claims.locale === undefined ? {} : { locale: claims.locale }),
    },
    {
      issuer: options.issuer,
      audience: options.audience ?? ACCESS_TOKEN_AUDIENCE,
      subject: claims.userId,
      now: options.now,
      ttlSeconds: ttl,
    },
  );
  return { token, expiresAt };
}

export interface VerifyAccessTokenOptions {
  issuer: string;
  now?: Date;
  audience?: string;
  clockToleranceSeconds?: number;
}

/**
 * The user a bearer token stands for, or UNAUTHENTICATED with the reason in
 * details (expired, invalid-signature, wrong-audience, wrong-token-type, ...).
 */
export async function verifyAccessToken(
  ring: KeyRing,
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<Principal> {
  const payload = await verifyToken(ring, 'access', token, {
    issuer: options.issuer,
    audience: options.audience ?? ACCESS_TOKEN_AUDIENCE,
    maxTokenAgeSeconds: ACCESS_TOKEN_MAX_TTL_SECONDS,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.clockToleranceSeconds === undefined
      ? {}
      : { clockToleranceSeconds: options.clockToleranceSeconds }),
  });
  const { sub, pid, locale } = payload;
  const grants = parseGrants(payload.grants);
  // Signed by us, so a mismatch means a bug or a format change: refuse rather than guess.
  const consistent =
    grants !== null &&
    isValidId(sub) &&
    isPartnerId(pid) &&
    grants.every((g) => g.role === 'platform-admin' || g.partnerId === pid) &&
    (locale === undefined || (typeof locale === 'string' && LOCALE.test(locale)));
  if (!consistent) throw refused('access', 'invalid-claims');
  return {
    kind: 'user',
    subject: sub,
    partnerId: pid,
    grants,
    ...(typeof locale === 'string' ? { locale } : {}),
  };
}
