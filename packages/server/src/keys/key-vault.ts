import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';
import { keyError } from './key-errors.js';
import { LruCache } from './lru-cache.js';
import {
  canonicalContext,
  type MasterKey,
  type WrapContext,
  type WrappedKey,
} from './master-key.js';
import { SEALED_KEY_VERSION, SealedKey } from './sealed-key.js';

/** Whose meter key it is. Both parts are bound to the envelope. */
export interface KeyContext {
  partnerId: string;
  /**
   * The meter as the caller identifies it, e.g. manufacturer, id, version and
   * device type joined. Opaque here, but it must be the same string when
   * sealing and opening.
   */
  meterIdentity: string;
}

export interface KeyVaultOptions {
  masterKey: MasterKey;
  /** Unwrapped data keys kept in memory; 10 000 when absent. */
  cacheSize?: number;
  /**
   * How long an unwrapped data key is kept, from when it was unwrapped; 5
   * minutes when absent. It bounds how long a revoked KMS permission or a
   * disabled KMS key goes unnoticed.
   */
  cacheTtlMs?: number;
  /**
   * Meter keys that share one data key in `sealMany`; 1000 when absent. More
   * means fewer master key calls and cache entries, fewer means less exposed
   * by one data key.
   */
  keysPerDataKey?: number;
  /** Clock of the cache (tests). */
  now?: () => number;
}

export interface SealInput {
  meterKey: Uint8Array;
  meterIdentity: string;
}

const METER_KEY_BYTES = 16;
const IV_BYTES = 12;
/** Marks the wrap context, so an IAM condition can tell our wraps from other uses of the key. */
export const WRAP_PURPOSE = 'zw-meter-keys';
const MAX_CONTEXT_CHARS = 256;

/**
 * Envelope encryption of meter keys (see README.md): each meter key is
 * encrypted with AES-256-GCM under a data key, with partner and meter as
 * additional data; the data key is wrapped by the master key with the
 * partner as context. Opening caches unwrapped data keys, so the master key
 * (KMS) is asked once per data key and cache lifetime, not once per telegram.
 */
export class KeyVault {
  readonly masterKey: MasterKey;
  readonly #keysPerDataKey: number;
  readonly #dataKeys: LruCache<string, KeyObject>;
  /** Old wrap -> wrap under the current master key, so rewrapped blobs keep sharing data keys. */
  readonly #rewraps: LruCache<string, WrappedKey>;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(options: KeyVaultOptions) {
    this.masterKey = options.masterKey;
    const maxEntries = options.cacheSize ?? 10_000;
    const ttlMs = options.cacheTtlMs ?? 5 * 60_000;
    const now = options.now ?? Date.now;
    this.#dataKeys = new LruCache({ maxEntries, ttlMs, now });
    this.#rewraps = new LruCache({ maxEntries, ttlMs, now });
    this.#keysPerDataKey = options.keysPerDataKey ?? 1000;
    if (!Number.isInteger(this.#keysPerDataKey) || this.#keysPerDataKey < 1) {
      throw new RangeError('keysPerDataKey must be a positive integer');
    }
  }

  /** Seals one meter key under a data key of its own. */
  async seal(meterKey: Uint8Array, context: KeyContext): Promise<SealedKey> {
    const [sealed] = await this.sealMany(context.partnerId, [
      { meterKey, meterIdentity: context.meterIdentity },
    ]);
    return sealed!;
  }

  /**
   * Seals one partner's meter keys, sharing a data key among up to
   * `keysPerDataKey` of them (an import of a thousand keys is one master key
   * call). Every input is checked before the first master key call.
   */
  async sealMany(partnerId: string, items: readonly SealInput[]): Promise<SealedKey[]> {
    checkPart('partnerId', partnerId);
    items.forEach((item, i) => {
      const where = items.length === 1 ? '' : ` (item ${i})`;
      if (!(item.meterKey instanceof Uint8Array) || item.meterKey.length !== METER_KEY_BYTES) {
        throw keyError(
          'invalid-meter-key',
          `a meter key is ${METER_KEY_BYTES} bytes (AES-128)${where}`,
        );
      }
      checkPart('meterIdentity', item.meterIdentity, where);
    });
    const sealed: SealedKey[] = [];
    for (let start = 0; start < items.length; start += this.#keysPerDataKey) {
      const wrapContext = wrapContextOf(partnerId);
      const { plain, wrapped } = await this.masterKey.generateDataKey(wrapContext);
      const dataKey = toKeyObject(plain);
      this.#dataKeys.set(cacheKey(wrapped, partnerId), dataKey);
      for (const item of items.slice(start, start + this.#keysPerDataKey)) {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
        cipher.setAAD(meterAad(partnerId, item.meterIdentity));
        const ciphertext = Buffer.concat([cipher.update(item.meterKey), cipher.final()]);
        sealed.push(
          new SealedKey({
            masterKeyId: wrapped.masterKeyId,
            partnerId,
            wrappedKey: wrapped.blob,
            iv: new Uint8Array(iv),
            ciphertext: new Uint8Array(ciphertext),
            tag: new Uint8Array(cipher.getAuthTag()),
          }),
        );
      }
    }
    return sealed;
  }

  /** The meter key, for the partner and meter it was sealed for, and no other. */
  async open(sealed: SealedKey, context: KeyContext): Promise<Uint8Array> {
    checkPart('partnerId', context.partnerId);
    checkPart('meterIdentity', context.meterIdentity);
    if (sealed.partnerId !== context.partnerId) {
      throw keyError(
        'context-mismatch',
        `the key was sealed for partner ${sealed.partnerId}, not ${context.partnerId}`,
        { masterKeyId: sealed.masterKeyId },
      );
    }
    const dataKey = await this.#dataKey(sealed);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, sealed.iv);
    decipher.setAAD(meterAad(sealed.partnerId, context.meterIdentity));
    decipher.setAuthTag(sealed.tag);
    try {
      return new Uint8Array(Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]));
    } catch {
      throw keyError(
        'context-mismatch',
        `the key was not sealed for meter ${context.meterIdentity}, or it was altered`,
        { masterKeyId: sealed.masterKeyId },
      );
    }
  }

  /** Whether `rewrap` would change this blob. */
  needsRewrap(sealed: SealedKey): boolean {
    return sealed.masterKeyId !== this.masterKey.keyId();
  }

  /**
   * The same meter key ciphertext with its data key wrapped under the current
   * master key; the blob itself when it already is. Blobs that shared a data
   * key share the rewrapped one too (within the cache's lifetime).
   */
  async rewrap(sealed: SealedKey): Promise<SealedKey> {
    const current = this.masterKey.keyId();
    if (sealed.masterKeyId === current) return sealed;
    const memo = `${cacheKey(sealed.wrapped, sealed.partnerId)}\n${current}`;
    let wrapped = this.#rewraps.get(memo);
    if (wrapped === undefined) {
      wrapped = await this.#once(memo, async () => {
        const dataKey = await this.#dataKey(sealed);
        const plain = dataKey.export();
        try {
          const next = await this.masterKey.wrap(plain, wrapContextOf(sealed.partnerId));
          this.#dataKeys.set(cacheKey(next, sealed.partnerId), dataKey);
          this.#rewraps.set(memo, next);
          return next;
        } finally {
          plain.fill(0);
        }
      });
    }
    return new SealedKey({
      masterKeyId: wrapped.masterKeyId,
      partnerId: sealed.partnerId,
      wrappedKey: wrapped.blob,
      iv: sealed.iv,
      ciphertext: sealed.ciphertext,
      tag: sealed.tag,
    });
  }

  /** Forgets every unwrapped data key (the next opens ask the master key again). */
  clearCache(): void {
    this.#dataKeys.clear();
    this.#rewraps.clear();
  }

  toJSON(): unknown {
    return {
      type: 'KeyVault',
      masterKeyId: this.masterKey.keyId(),
      cachedDataKeys: this.#dataKeys.size,
    };
  }

  [inspect.custom](): string {
    return `KeyVault { masterKeyId: '${this.masterKey.keyId()}', cachedDataKeys: ${this.#dataKeys.size} }`;
  }

  async #dataKey(sealed: SealedKey): Promise<KeyObject> {
    const { wrapped, partnerId } = sealed;
    const key = cacheKey(wrapped, partnerId);
    // A master key no longer accepted skips the cache, so that retiring it takes
    // effect at once; the adapter's unwrap then says why it refuses.
    if (this.masterKey.accepts(wrapped.masterKeyId)) {
      const cached = this.#dataKeys.get(key);
      if (cached !== undefined) return cached;
    }
    // A cold data key under a burst of telegrams: one unwrap, not one per telegram.
    return this.#once(key, async () => {
      const dataKey = toKeyObject(await this.masterKey.unwrap(wrapped, wrapContextOf(partnerId)));
      this.#dataKeys.set(key, dataKey);
      return dataKey;
    });
  }

  #once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending as Promise<T>;
    const started = run().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }
}

export function createKeyVault(options: KeyVaultOptions): KeyVault {
  return new KeyVault(options);
}

function wrapContextOf(partnerId: string): WrapContext {
  return { purpose: WRAP_PURPOSE, partnerId };
}

function meterAad(partnerId: string, meterIdentity: string): Uint8Array {
  return canonicalContext({ v: String(SEALED_KEY_VERSION), partnerId, meterIdentity });
}

function cacheKey(wrapped: WrappedKey, partnerId: string): string {
  // The partner is part of the key: a cached data key must never serve a
  // blob that claims another partner without the master key checking it.
  return `${wrapped.masterKeyId}\n${partnerId}\n${Buffer.from(wrapped.blob).toString('base64')}`;
}

function toKeyObject(plain: Uint8Array): KeyObject {
  const key = createSecretKey(Buffer.from(plain));
  // The master key handed us a copy of our own; wipe it, the KeyObject holds the key now.
  plain.fill(0);
  return key;
}

function checkPart(name: string, value: unknown, where = ''): void {
  if (typeof value !== 'string' || value === '' || value.length > MAX_CONTEXT_CHARS) {
    throw keyError(
      'invalid-context',
      `${name} must be a non-empty string of at most ${MAX_CONTEXT_CHARS} characters${where}`,
    );
  }
}
