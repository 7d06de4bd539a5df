import { randomBytes } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { ANY_PARTNER, isValidId } from './principal.js';
import { hashSecret, secretMatches } from './secret-hash.js';

/**
 * One sign-in session: every refresh token rotated out of the first one
 * belongs to it, and it ends at expiresAt however active it is.
 */
export interface RefreshFamilyRecord {
  familyId: string;
  userId: string;
  partnerId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedReason: RefreshRevocation | null;
  /**
   * The user's session fence when the session began (session-fence.ts): a
   * higher fence since ends it, even if revoking it by list was missed.
   */
  sessionFence: number;
}

/** `account-changed`: the user's password, grants or status changed, or the user was deleted. */
export type RefreshRevocation = 'reuse' | 'logout' | 'account-changed';

export type RefreshTokenState = 'active' | 'used';

export interface RefreshTokenRecord {
  tokenId: string;
  familyId: string;
  /** base64url SHA-256 of the secret part. */
  secretHash: string;
  state: RefreshTokenState;
  createdAt: string;
  /** Idle limit: the token must be used before then. */
  expiresAt: string;
  /**
   * The family's end, copied here so a store can expire each item on its own
   * (DynamoDB TTL). A used token must live until then: it is what a replay is
   * recognised by.
   */
  familyExpiresAt: string;
  usedAt: string | null;
}

/**
 * Storage of refresh tokens. Every write is conditional, so a DynamoDB adapter
 * can keep the same promises with ConditionExpressions; refreshTokenStoreContract
 * in refresh-token-store.contract.ts is the suite every implementation must pass.
 */
export interface RefreshTokenStore {
  /** A new family with its first token; CONFLICT when either id is taken. */
  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void>;
  /** Another token of an existing family; CONFLICT when the tokenId is taken. */
  create(token: RefreshTokenRecord): Promise<void>;
  getFamily(familyId: string): Promise<RefreshFamilyRecord | null>;
  get(tokenId: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks the token used if, and only if, it is in expectedState now. Of any
   * number of concurrent calls for one token exactly one gets true; a missing
   * token gets false.
   */
  consume(tokenId: string, expectedState: 'active', usedAt: string): Promise<boolean>;
  /**
   * Revokes the family; the first revocation's time and reason stay. False
   * when there is no such family.
   */
  revokeFamily(familyId: string, revokedAt: string, reason: RefreshRevocation): Promise<boolean>;
  /**
   * Every family of one user, oldest first, revoked and ended ones included
   * until the store drops them: what ending all of a user's sessions walks.
   * It may miss a family created a moment ago (an index read); the session
   * fence covers those.
   */
  listFamilies(partnerId: string, userId: string): Promise<RefreshFamilyRecord[]>;
}

export interface RefreshPolicy {
  /** Absolute lifetime of a session. */
  familyLifetimeSeconds: number;
  /** A session not refreshed for this long ends. */
  idleSeconds: number;
}

export const DEFAULT_REFRESH_POLICY: RefreshPolicy = {
  familyLifetimeSeconds: 30 * 24 * 3600,
  idleSeconds: 7 * 24 * 3600,
};

export const REFRESH_TOKEN_PREFIX = 'zwr_';
const ID_BYTES = 16;
const SECRET_BYTES = 32;
const B64URL = (chars: number) => `([A-Za-z0-9_-]{${chars}})`;
const TOKEN_PATTERN = new RegExp(
  `^${REFRESH_TOKEN_PREFIX}${B64URL(22)}\\.${B64URL(22)}\\.${B64URL(43)}$`,
);

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

export type RefreshRefusal =
  | 'malformed'
  | 'unknown'
  | 'wrong-secret'
  | 'family-revoked'
  | 'family-expired'
  | 'idle-expired'
  | 'reused';

function refused(reason: RefreshRefusal, familyId?: string): DomainError {
  return new DomainError('UNAUTHENTICATED', `refresh token refused: ${reason}`, {
    details: { credential: 'refresh-token', reason, ...(familyId ? { familyId } : {}) },
  });
}

function checkPolicy(policy: RefreshPolicy): void {
  const { familyLifetimeSeconds: life, idleSeconds: idle } = policy;
  if (!(Number.isInteger(life) && Number.isInteger(idle) && idle > 0 && life >= idle)) {
    throw new DomainError('VALIDATION_FAILED', 'refresh policy needs 0 < idle <= lifetime');
  }
}

interface Parsed {
  familyId: string;
  tokenId: string;
  secret: string;
}

function parse(presented: string): Parsed | null {
  const m = typeof presented === 'string' ? TOKEN_PATTERN.exec(presented) : null;
  return m ? { familyId: m[1]!, tokenId: m[2]!, secret: m[3]! } : null;
}

function newToken(
  familyId: string,
  now: Date,
  idleEnd: number,
  familyExpiresAt: string,
): { token: string; record: RefreshTokenRecord } {
  const tokenId = random(ID_BYTES);
  const secret = random(SECRET_BYTES);
  return {
    token: `${REFRESH_TOKEN_PREFIX}${familyId}.${tokenId}.${secret}`,
    record: {
      tokenId,
      familyId,
      secretHash: hashSecret(secret),
      state: 'active',
      createdAt: now.toISOString(),
      expiresAt: new Date(Math.min(idleEnd, Date.parse(familyExpiresAt))).toISOString(),
      familyExpiresAt,
      usedAt: null,
    },
  };
}

export interface RefreshSession {
  /** The new refresh token; the client must replace the one it presented. */
  token: string;
  /** When this token stops working unless rotated before (idle or absolute end). */
  expiresAt: Date;
  familyId: string;
  userId: string;
  partnerId: string;
  /** The session fence the family was started under. */
  sessionFence: number;
}

/** Starts a session at sign-in: a new family and its first token. */
export async function issueRefreshToken(
  store: RefreshTokenStore,
  subject: { userId: string; partnerId: string },
  options: { now: Date; policy?: RefreshPolicy; sessionFence?: number },
): Promise<RefreshSession> {
  const policy = options.policy ?? DEFAULT_REFRESH_POLICY;
  checkPolicy(policy);
  if (
    !isValidId(subject.userId) ||
    !(isValidId(subject.partnerId) || subject.partnerId === ANY_PARTNER)
  ) {
    throw new DomainError('VALIDATION_FAILED', 'invalid userId or partnerId', {
      details: { field: 'userId' },
    });
  }
  const sessionFence = options.sessionFence ?? 0;
  if (!Number.isSafeInteger(sessionFence) || sessionFence < 0) {
    throw new DomainError('VALIDATION_FAILED', 'invalid sessionFence', {
      details: { field: 'sessionFence' },
    });
  }
  const now = options.now;
  const family: RefreshFamilyRecord = {
    familyId: random(ID_BYTES),
    userId: subject.userId,
    partnerId: subject.partnerId,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + policy.familyLifetimeSeconds * 1000).toISOString(),
    revokedAt: null,
    revokedReason: null,
    sessionFence,
  };
  const idleEnd = now.getTime() + policy.idleSeconds * 1000;
  const { token, record } = newToken(family.familyId, now, idleEnd, family.expiresAt);
  await store.createFamily(family, record);
  return {
    token,
    expiresAt: new Date(record.expiresAt),
    familyId: family.familyId,
    userId: family.userId,
    partnerId: family.partnerId,
    sessionFence: family.sessionFence,
  };
}

/**
 * Trades a refresh token for its successor in the same family. The presented
 * token is used up. Presenting a used token again means two parties hold it,
 * one of them a thief: the whole family is revoked, so both must sign in again.
 *
 * Two requests racing with the same token (two browser tabs) look the same and
 * end the session too; the client should serialise refreshes.
 *
 * The caller issues the new access token for userId, reading the user's grants
 * afresh, so role changes take effect here.
 */
export async function rotateRefreshToken(
  store: RefreshTokenStore,
  presented: string,
  options: { now: Date; policy?: RefreshPolicy },
): Promise<RefreshSession> {
  const policy = options.policy ?? DEFAULT_REFRESH_POLICY;
  checkPolicy(policy);
  const { now } = options;
  const parsed = parse(presented);
  if (!parsed) throw refused('malformed');
  const current = await store.get(parsed.tokenId);
  if (!current || current.familyId !== parsed.familyId) throw refused('unknown');
  // The secret is checked before anything else is learnt or changed: someone
  // who only guessed or saw ids must not be able to revoke a session.
  if (!secretMatches(parsed.secret, current.secretHash))
    throw refused('wrong-secret', parsed.familyId);
  const family = await store.getFamily(parsed.familyId);
  if (!family) throw refused('unknown', parsed.familyId);
  if (family.revokedAt !== null) throw refused('family-revoked', family.familyId);
  if (Date.parse(family.expiresAt) <= now.getTime()) {
    throw refused('family-expired', family.familyId);
  }
  if (current.state !== 'active') {
    await store.revokeFamily(family.familyId, now.toISOString(), 'reuse');
    throw refused('reused', family.familyId);
  }
  if (Date.parse(current.expiresAt) <= now.getTime()) {
    throw refused('idle-expired', family.familyId);
  }
  if (!(await store.consume(current.tokenId, 'active', now.toISOString()))) {
    // Someone used it between our read and our write: the same replay, only faster.
    await store.revokeFamily(family.familyId, now.toISOString(), 'reuse');
    throw refused('reused', family.familyId);
  }
  const idleEnd = now.getTime() + policy.idleSeconds * 1000;
  const { token, record } = newToken(family.familyId, now, idleEnd, family.expiresAt);
  await store.create(record);
  return {
    token,
    expiresAt: new Date(record.expiresAt),
    familyId: family.familyId,
    userId: family.userId,
    partnerId: family.partnerId,
    sessionFence: family.sessionFence,
  };
}

/**
 * Sign-out: revokes the session of a token the caller holds. A token that is
 * not valid revokes nothing and is not an error, so sign-out always succeeds
 * from the client's point of view; the answer says whether a session ended.
 */
export async function revokeRefreshToken(
  store: RefreshTokenStore,
  presented: string,
  options: { now: Date },
): Promise<boolean> {
  const parsed = parse(presented);
  if (!parsed) return false;
  const current = await store.get(parsed.tokenId);
  if (!current || current.familyId !== parsed.familyId) return false;
  if (!secretMatches(parsed.secret, current.secretHash)) return false;
  return store.revokeFamily(parsed.familyId, options.now.toISOString(), 'logout');
}
