import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '../domain/errors.js';
import { SIGNING_ALG, type KeyRing } from './signing-keys.js';

/**
 * The `typ` header of each kind of token the ring signs. Each kind also has its
 * own audience, and verification checks both: a token of one kind is refused
 * as another even if one of the two checks were ever dropped by mistake.
 * `at+jwt` is RFC 9068's type for OAuth access tokens.
 */
export const TOKEN_TYPES = { access: 'at+jwt', embed: 'zw-embed+jwt' } as const;
export type TokenKind = keyof typeof TOKEN_TYPES;

/** Why a token was refused: for logs and metrics, never shown to the caller. */
export type TokenRefusal =
  | 'malformed'
  | 'algorithm-not-allowed'
  | 'unknown-key'
  | 'invalid-signature'
  | 'wrong-token-type'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'expired'
  | 'not-yet-valid'
  | 'invalid-claims'
  | 'origin-missing'
  | 'origin-not-allowed';

/** Every refusal is the same UNAUTHENTICATED outward; the reason rides in details. */
export function refused(kind: TokenKind, reason: TokenRefusal): DomainError {
  return new DomainError('UNAUTHENTICATED', `${kind} token refused: ${reason}`, {
    details: { tokenType: kind, reason },
  });
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** Hex, so the id is also a valid principal subject (which may not start with '-' or '_'). */
export function newTokenId(): string {
  return randomBytes(16).toString('hex');
}

export interface SignOptions {
  issuer: string;
  audience: string;
  subject: string;
  now: Date;
  ttlSeconds: number;
  tokenId?: string;
}

export async function signToken(
  ring: KeyRing,
  kind: TokenKind,
  claims: JWTPayload,
  options: SignOptions,
): Promise<{ token: string; expiresAt: Date; tokenId: string }> {
  const iat = Math.floor(options.now.getTime() / 1000);
  const exp = iat + options.ttlSeconds;
  const tokenId = options.tokenId ?? newTokenId();
  const { kid, key } = ring.signingKey();
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: TOKEN_TYPES[kind] })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setJti(tokenId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: new Date(exp * 1000), tokenId };
}

export interface VerifyOptions {
  issuer: string;
  audience: string;
  /**
   * The longest lifetime this kind is ever issued with. Also makes jose check
   * `iat`, so a token dated in the future is refused.
   */
  maxTokenAgeSeconds: number;
  now?: Date;
  clockToleranceSeconds?: number;
}

class KeyNotUsable extends Error {}

/** The ring could not be read (its store is down): a fault of ours, not of the token. */
class KeyLookupFailed extends Error {}

function reasonOf(err: unknown): TokenRefusal {
  if (err instanceof KeyNotUsable) return 'unknown-key';
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'invalid-signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm-not-allowed';
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'typ':
        return 'wrong-token-type';
      case 'aud':
        return 'wrong-audience';
      case 'iss':
        return 'wrong-issuer';
      case 'nbf':
      case 'iat':
        return err.reason === 'check_failed' ? 'not-yet-valid' : 'invalid-claims';
      default:
        return 'invalid-claims';
    }
  }
  return 'malformed';
}

/**
 * Verifies signature, type, issuer, audience and lifetime, and returns the
 * claims. Whatever goes wrong becomes UNAUTHENTICATED; jose's own error is not
 * attached as the cause, so neither the token nor its claims travel with it.
 */
export async function verifyToken(
  ring: KeyRing,
  kind: TokenKind,
  token: string,
  options: VerifyOptions,
): Promise<JWTPayload> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
    throw refused(kind, 'malformed');
  }
  const now = options.now ?? new Date();
  const getKey: JWTVerifyGetKey = async (header) => {
    if (typeof header.kid !== 'string') throw new KeyNotUsable();
    const key = await ring.verificationKey(header.kid, now).catch((err: unknown) => {
      throw new KeyLookupFailed('signing key lookup failed', { cause: err });
    });
    if (!key) throw new KeyNotUsable();
    return key;
  };
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: [SIGNING_ALG],
      typ: TOKEN_TYPES[kind],
      issuer: options.issuer,
      audience: options.audience,
      currentDate: now,
      clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: options.maxTokenAgeSeconds,
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    });
    return payload;
  } catch (err) {
    if (err instanceof KeyLookupFailed) throw err.cause;
    throw refused(kind, reasonOf(err));
  }
}
