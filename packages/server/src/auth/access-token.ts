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
 * The longest an access token lives. The token itself cannot be revoked; the
 * authenticator refuses one issued under a lower session fence than the
 * user's (session-fence.ts), so a password, grant or status change ends it at
 * once. A role withdrawn by other means (its organisation deleted) still holds
 * until the token expires.
 */
export const ACCESS_TOKEN_MAX_TTL_SECONDS = 3600;

const LOCALE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

export interface AccessTokenClaims {
  userId: string;
  partnerId: string;
  grants: RoleGrant[];
  locale?: string;
  /** The user's session fence at issue (session-fence.ts); 0 when absent. */
  sessionFence?: number;
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

function isFence(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Signs a short-lived access token for a signed-in user. Grants travel in the
 * token, so the API authorises without loading the user; a grant change ends
 * the user's sessions (the session fence), and the next sign-in carries the
 * new grants.
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
  if (claims.sessionFence !== undefined && !isFence(claims.sessionFence)) {
    throw invalid('invalid sessionFence', 'sessionFence');
  }
  const { token, expiresAt } = await signToken(
    ring,
    'access',
    {
      pid: claims.partnerId,
      grants: claims.grants,
      ...(claims.locale === undefined ? {} : { locale: claims.locale }),
      ...(claims.sessionFence === undefined ? {} : { sf: claims.sessionFence }),
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
 * Whether the session it belongs to has been ended is the authenticator's
 * check (readAccessToken gives the fence it was issued under).
 */
export async function verifyAccessToken(
  ring: KeyRing,
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<Principal> {
  return (await readAccessToken(ring, token, options)).principal;
}

/** verifyAccessToken, and the session fence the token was issued under (0 when it names none). */
export async function readAccessToken(
  ring: KeyRing,
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<{ principal: Principal; sessionFence: number }> {
  const payload = await verifyToken(ring, 'access', token, {
    issuer: options.issuer,
    audience: options.audience ?? ACCESS_TOKEN_AUDIENCE,
    maxTokenAgeSeconds: ACCESS_TOKEN_MAX_TTL_SECONDS,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.clockToleranceSeconds === undefined
      ? {}
      : { clockToleranceSeconds: options.clockToleranceSeconds }),
  });
  const { sub, pid, locale, sf } = payload;
  const grants = parseGrants(payload.grants);
  // Signed by us, so a mismatch means a bug or a format change: refuse rather than guess.
  const consistent =
    grants !== null &&
    isValidId(sub) &&
    isPartnerId(pid) &&
    grants.every((g) => g.role === 'platform-admin' || g.partnerId === pid) &&
    (locale === undefined || (typeof locale === 'string' && LOCALE.test(locale))) &&
    (sf === undefined || isFence(sf));
  if (!consistent) throw refused('access', 'invalid-claims');
  return {
    principal: {
      kind: 'user',
      subject: sub,
      partnerId: pid,
      grants,
      ...(typeof locale === 'string' ? { locale } : {}),
    },
    sessionFence: sf ?? 0,
  };
}
