import { randomBytes } from 'node:crypto';
import { DomainError, isDomainError } from '../domain/errors.js';
import { hashSecret, secretMatches } from './secret-hash.js';
import {
  assertGrants,
  isValidId,
  parseGrants,
  type Principal,
  type RoleGrant,
} from './principal.js';

/** An integrator's key as stored: everything but the secret, of which only a digest is kept. */
export interface ApiKeyRecord {
  keyId: string;
  partnerId: string;
  organisationId?: string;
  name: string;
  scopes: string[];
  grants: RoleGrant[];
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** base64url SHA-256 of the secret part of the key. */
  secretHash: string;
}

/** What callers get back and may show: the record without even the digest. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'secretHash'>;

/**
 * Storage of API keys. Written so a DynamoDB adapter can keep the same promises
 * with conditional writes; apiKeyStoreContract in api-key-store.contract.ts is
 * the test suite every implementation must pass.
 */
export interface ApiKeyStore {
  /** Stores a new key; CONFLICT when the keyId is taken. */
  create(record: ApiKeyRecord): Promise<void>;
  get(keyId: string): Promise<ApiKeyRecord | null>;
  /**
   * Marks a key revoked and returns it; a second revocation keeps the first
   * time. Null when there is no such key.
   */
  revoke(keyId: string, revokedAt: string): Promise<ApiKeyRecord | null>;
  /**
   * A partner's keys, oldest first, revoked and expired ones included (until
   * the store drops them), without their digests. A page holds at most 100
   * (50 by default; another limit is VALIDATION_FAILED); its cursor is null on
   * the last page and valid only for the same partner and organisation, as
   * anything else is VALIDATION_FAILED.
   */
  list(partnerId: string, options?: ApiKeyListOptions): Promise<ApiKeyPage>;
}

export interface ApiKeyListOptions {
  /** 1 to 100; 50 when absent. */
  limit?: number;
  /** From the previous page of the same list. */
  cursor?: string;
  /** Only the keys limited to this organisation (an operator's view). */
  organisationId?: string;
}

export interface ApiKeyPage {
  items: ApiKeyInfo[];
  /** Null on the last page. */
  cursor: string | null;
}

export const API_KEY_PREFIX = 'zwk_';
const KEY_ID_LENGTH = 12;
// Lower-case base32: no '_' (the separator) and no look-alikes to trip over when read aloud.
const KEY_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const SECRET_BYTES = 32;
const SECRET_LENGTH = 43; // base64url of 32 bytes, unpadded
const API_KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([${KEY_ID_ALPHABET}]{${KEY_ID_LENGTH}})_([A-Za-z0-9_-]{${SECRET_LENGTH}})$`,
);
const SCOPE = /^[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)*$/;
const MAX_SCOPES = 50;
const MAX_NAME = 100;

function newKeyId(): string {
  // 256 is a multiple of 32, so taking each byte modulo 32 has no bias.
  return [...randomBytes(KEY_ID_LENGTH)].map((b) => KEY_ID_ALPHABET[b % 32]).join('');
}

function invalid(message: string, field: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { details: { field } });
}

export function toApiKeyInfo(record: ApiKeyRecord): ApiKeyInfo {
  const { secretHash: _secretHash, ...info } = record;
  return structuredClone(info);
}

export interface CreateApiKeyInput {
  partnerId: string;
  /** Narrows the key to one organisation: every grant must then lie inside it. */
  organisationId?: string;
  name: string;
  scopes: string[];
  grants: RoleGrant[];
  createdBy: string;
  expiresAt?: Date;
}

function checkInput(input: CreateApiKeyInput, now: Date): void {
  if (!isValidId(input.partnerId)) throw invalid('invalid partnerId', 'partnerId');
  if (input.organisationId !== undefined && !isValidId(input.organisationId)) {
    throw invalid('invalid organisationId', 'organisationId');
  }
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw invalid(`name must be 1..${MAX_NAME} printable characters`, 'name');
  }
  if (!isValidId(input.createdBy)) throw invalid('invalid createdBy', 'createdBy');
  const scopes = input.scopes;
  if (
    !Array.isArray(scopes) ||
    scopes.length > MAX_SCOPES ||
    !scopes.every((s) => typeof s === 'string' && s.length <= 64 && SCOPE.test(s))
  ) {
    throw invalid(`scopes must be up to ${MAX_SCOPES} names like readings:read`, 'scopes');
  }
  if (!Array.isArray(input.grants) || input.grants.length === 0) {
    throw invalid('an API key needs at least one grant', 'grants');
  }
  assertGrants(input.grants, input.partnerId);
  input.grants.forEach((grant, index) => {
    // A key sits in an integrator's configuration, where it may leak: never platform-wide.
    if (grant.role === 'platform-admin') {
      throw new DomainError('FORBIDDEN', 'an API key cannot be a platform admin', {
        details: { field: `grants/${index}` },
      });
    }
    if (input.organisationId !== undefined && grant.organisationId !== input.organisationId) {
      throw invalid(`grant ${index} lies outside the key's organisation`, `grants/${index}`);
    }
  });
  if (input.expiresAt !== undefined) {
    const t = input.expiresAt instanceof Date ? input.expiresAt.getTime() : Number.NaN;
    if (!Number.isFinite(t) || t <= now.getTime()) {
      throw invalid('expiresAt must lie in the future', 'expiresAt');
    }
  }
}

/**
 * Makes and stores a key. The returned apiKey is the only time the secret
 * exists outside the caller: show it once, never log it.
 *
 * Whether createdBy may hand out these grants (holds them, or wider ones) is
 * for the use case to check before, with the tenancy tree at hand.
 */
export async function createApiKey(
  store: ApiKeyStore,
  input: CreateApiKeyInput,
  options: { now: Date },
): Promise<{ apiKey: string; record: ApiKeyInfo }> {
  checkInput(input, options.now);
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const base = {
    partnerId: input.partnerId,
    ...(input.organisationId === undefined ? {} : { organisationId: input.organisationId }),
    name: input.name.trim(),
    scopes: [...new Set(input.scopes)],
    grants: structuredClone(input.grants),
    createdBy: input.createdBy,
    createdAt: options.now.toISOString(),
    expiresAt: input.expiresAt?.toISOString() ?? null,
    revokedAt: null,
    secretHash: hashSecret(secret),
  };
  // 60 random bits make a clash rare; it is retried rather than ruled out.
  for (let attempt = 0; ; attempt++) {
    const record: ApiKeyRecord = { keyId: newKeyId(), ...base };
    try {
      await store.create(record);
      return { apiKey: `${API_KEY_PREFIX}${record.keyId}_${secret}`, record: toApiKeyInfo(record) };
    } catch (err) {
      if (!(isDomainError(err) && err.code === 'CONFLICT') || attempt >= 2) throw err;
    }
  }
}

export type ApiKeyRefusal = 'malformed' | 'unknown' | 'wrong-secret' | 'revoked' | 'expired';

function refused(reason: ApiKeyRefusal, keyId?: string): DomainError {
  return new DomainError('UNAUTHENTICATED', `API key refused: ${reason}`, {
    details: { credential: 'api-key', reason, ...(keyId === undefined ? {} : { keyId }) },
  });
}

/** The keyId of a well-formed key, for logs; the secret part is never returned. */
export function apiKeyId(presented: string): string | null {
  const m = typeof presented === 'string' ? API_KEY_PATTERN.exec(presented) : null;
  return m ? m[1]! : null;
}

/**
 * The principal an API key stands for, or UNAUTHENTICATED: malformed, unknown,
 * revoked and expired keys all fail the same way outward; the reason is in
 * details for logs. The keyId is looked up by equality (it is an identifier,
 * not a secret); the secret is compared in constant time.
 */
export async function verifyApiKey(
  store: ApiKeyStore,
  presented: string,
  options: { now?: Date } = {},
): Promise<Principal> {
  const m = typeof presented === 'string' ? API_KEY_PATTERN.exec(presented) : null;
  if (!m) throw refused('malformed');
  const [, keyId, secret] = m as unknown as [string, string, string];
  const record = await store.get(keyId);
  if (!record) throw refused('unknown', keyId);
  if (!secretMatches(secret, record.secretHash)) throw refused('wrong-secret', keyId);
  if (record.revokedAt !== null) throw refused('revoked', keyId);
  const now = options.now ?? new Date();
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) {
    throw refused('expired', keyId);
  }
  const grants = parseGrants(record.grants);
  if (!grants) throw new DomainError('INTERNAL_ERROR', `API key ${keyId} has unreadable grants`);
  return {
    kind: 'api-key',
    subject: keyId,
    partnerId: record.partnerId,
    grants,
    scopes: [...record.scopes],
  };
}

function apiKeyNotFound(): DomainError {
  return new DomainError('NOT_FOUND', 'API key not found', { details: { resource: 'api-key' } });
}

/**
 * Revokes a key of this partner. A key of another partner is NOT_FOUND, as a
 * missing one is, so one partner cannot probe for another's key ids.
 */
export async function revokeApiKey(
  store: ApiKeyStore,
  input: { keyId: string; partnerId: string },
  options: { now: Date },
): Promise<ApiKeyInfo> {
  const existing = isValidId(input.keyId) ? await store.get(input.keyId) : null;
  // The keyId is not echoed: a caller who pastes a whole key here must not see it logged.
  if (!existing || existing.partnerId !== input.partnerId) throw apiKeyNotFound();
  const revoked = await store.revoke(input.keyId, options.now.toISOString());
  if (!revoked) throw apiKeyNotFound();
  return toApiKeyInfo(revoked);
}
