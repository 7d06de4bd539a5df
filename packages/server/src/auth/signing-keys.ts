import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import { DomainError } from '../domain/errors.js';

export const SIGNING_ALG = 'ES256';

/**
 * One key pair of the ring as the store keeps it.
 *
 * The private JWK is held in clear here. Before it reaches a real table it must
 * be wrapped with the master key (src/keys: KMS in production, key file
 * locally), as meter keys are; that belongs to the store adapter, so nothing
 * in this module has to change for it.
 */
export interface StoredSigningKey {
  /** RFC 7638 thumbprint of the public key: stable, and derivable from the JWKS alone. */
  kid: string;
  alg: typeof SIGNING_ALG;
  createdAt: string;
  /** When a newer key took over signing; absent on the current key. */
  retiredAt?: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Where the ring lives between processes and restarts. */
export interface SigningKeyStore {
  load(): Promise<StoredSigningKey[]>;
  save(keys: StoredSigningKey[]): Promise<void>;
}

/** For tests and the embedded server; copies in and out so callers cannot alias its state. */
export function createMemorySigningKeyStore(initial: StoredSigningKey[] = []): SigningKeyStore {
  let keys = structuredClone(initial);
  return {
    async load() {
      return structuredClone(keys);
    },
    // Merged as the DynamoDB store does, so that two rings rotating at once keep
    // both new keys: a key is added if absent, a retirement only lands on a
    // current key (the first one stays), and a key left out is dropped only
    // once retired; a current key left out is another ring's new key.
    async save(next) {
      const given = new Map(next.map((k) => [k.kid, k]));
      const merged: StoredSigningKey[] = [];
      for (const key of keys) {
        const update = given.get(key.kid);
        given.delete(key.kid);
        if (update === undefined) {
          if (key.retiredAt === undefined) merged.push(key);
          continue;
        }
        merged.push(
          key.retiredAt === undefined && update.retiredAt !== undefined
            ? { ...key, retiredAt: update.retiredAt }
            : key,
        );
      }
      keys = structuredClone([...merged, ...given.values()]);
    },
  };
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: typeof SIGNING_ALG;
  use: 'sig';
}

export interface KeyRing {
  /** The key new tokens are signed with. */
  signingKey(): { kid: string; key: CryptoKey };
  /**
   * The key that verifies a token with this kid at this time, or null: unknown,
   * or retired for longer than the retention. An unknown kid makes the ring
   * reload from the store first (at most once per reload interval), so a key
   * another process rotated in is picked up without a restart.
   */
  verificationKey(kid: string, at: Date): Promise<CryptoKey | null>;
  /** The body of GET /.well-known/jwks.json: public halves only. */
  publicJwks(at?: Date): { keys: PublicJwk[] };
  /**
   * Makes a new current key; the old one keeps verifying for the retention,
   * after which it is dropped.
   */
  rotate(now: Date): Promise<void>;
  /** Picks up what other processes rotated; call it on a timer well inside the retention. */
  reload(): Promise<void>;
}

export interface KeyRingOptions {
  /**
   * How long a retired key still verifies. It must exceed the longest lifetime
   * of any token the ring signs (access and embed tokens: 15 minutes at most)
   * plus the time other processes need to notice a rotation. Default: a day.
   */
  retentionSeconds?: number;
  /** Least time between two reloads caused by unknown kids. Default: 60 s. */
  reloadIntervalSeconds?: number;
  /** The clock for reload throttling and for making the first key. */
  now?: () => Date;
}

interface LiveKey {
  stored: StoredSigningKey;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

async function newKey(now: Date): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const { kty, crv, x, y } = privateJwk;
  const publicJwk: JWK = { kty, crv, x, y };
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg: SIGNING_ALG, createdAt: now.toISOString(), privateJwk, publicJwk };
}

async function toLive(stored: StoredSigningKey): Promise<LiveKey> {
  const privateKey = (await importJWK(stored.privateJwk, SIGNING_ALG)) as CryptoKey;
  const publicKey = (await importJWK(stored.publicJwk, SIGNING_ALG)) as CryptoKey;
  return { stored, privateKey, publicKey };
}

function newest(keys: LiveKey[]): LiveKey | undefined {
  return keys
    .filter((k) => k.stored.retiredAt === undefined)
    .sort((a, b) => b.stored.createdAt.localeCompare(a.stored.createdAt))[0];
}

/**
 * Loads the ring from the store, making and saving a first key when the store
 * is empty.
 */
export async function openKeyRing(
  store: SigningKeyStore,
  options: KeyRingOptions = {},
): Promise<KeyRing> {
  const retentionMs = (options.retentionSeconds ?? 24 * 3600) * 1000;
  const reloadMs = (options.reloadIntervalSeconds ?? 60) * 1000;
  const clock = options.now ?? (() => new Date());
  if (!(retentionMs > 0) || !(reloadMs >= 0)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'key ring retention and reload interval must be positive',
    );
  }

  let keys: LiveKey[] = [];
  let current: LiveKey;
  let lastReload = Number.NEGATIVE_INFINITY;

  const usable = (key: LiveKey, at: Date) =>
    key.stored.retiredAt === undefined ||
    Date.parse(key.stored.retiredAt) + retentionMs > at.getTime();

  async function install(stored: StoredSigningKey[]): Promise<boolean> {
    const live = await Promise.all(stored.map(toLive));
    const head = newest(live);
    if (!head) return false;
    keys = live;
    current = head;
    return true;
  }

  async function reload(): Promise<void> {
    lastReload = clock().getTime();
    if (!(await install(await store.load()))) {
      throw new DomainError('INTERNAL_ERROR', 'the signing key store holds no current key');
    }
  }

  if (!(await install(await store.load()))) {
    await store.save([await newKey(clock())]);
    // Read back rather than trust our own save: two processes starting on an empty
    // store at once then mostly agree on one key. Only a conditional first save in
    // the store adapter closes that race entirely.
    await reload();
  }
  lastReload = clock().getTime();

  return {
    signingKey() {
      return { kid: current.stored.kid, key: current.privateKey };
    },

    async verificationKey(kid, at) {
      let key = keys.find((k) => k.stored.kid === kid);
      if (!key && clock().getTime() - lastReload >= reloadMs) {
        await reload();
        key = keys.find((k) => k.stored.kid === kid);
      }
      return key && usable(key, at) ? key.publicKey : null;
    },

    publicJwks(at = clock()) {
      return {
        keys: keys
          .filter((k) => usable(k, at))
          .map((k) => ({ ...k.stored.publicJwk, kid: k.stored.kid, alg: SIGNING_ALG, use: 'sig' })),
      };
    },

    async rotate(now) {
      // Start from what the store holds, so a rotation by another process is not undone.
      const stored = await store.load();
      const retiredAt = now.toISOString();
      const next = await newKey(now);
      const kept = stored
        .map((k) => (k.retiredAt === undefined ? { ...k, retiredAt } : k))
        .filter((k) => Date.parse(k.retiredAt!) + retentionMs > now.getTime());
      await store.save([...kept, next]);
      await reload();
    },

    reload,
  };
}
