/**
 * The master key port: the one key (or, during a rotation, the few keys) that
 * wraps every data key of the vault. The local key file and AWS KMS implement it.
 *
 * It lives here rather than in `domain/ports.ts` because only the vault talks to
 * it; the rest of the server sees the vault.
 */

/**
 * Names and values that a wrap is bound to. Unwrapping needs exactly the same
 * pairs (order does not matter), so a wrapped key cannot be moved to another
 * partner. On KMS these are the EncryptionContext, visible to IAM conditions
 * and CloudTrail, so they must never hold secrets.
 */
export type WrapContext = Readonly<Record<string, string>>;

/** A data key wrapped by one master key. Neither part is secret. */
export interface WrappedKey {
  /** The master key that wrapped it: a local key id, or a KMS key ARN. */
  masterKeyId: string;
  blob: Uint8Array;
}

export interface DataKey {
  /** 32 bytes (AES-256). The caller must not log, store or return it. */
  plain: Uint8Array;
  wrapped: WrappedKey;
}

export interface MasterKey {
  /** The id new wraps are made with. */
  keyId(): string;
  /**
   * Whether `unwrap` would still try this master key id. The vault asks before
   * using a data key it has cached, so a retired master key stops working at
   * once rather than when the cache entry expires.
   */
  accepts(masterKeyId: string): boolean;
  /**
   * A fresh random 32-byte data key, in clear and wrapped under the current
   * master key. One call on KMS (GenerateDataKey) instead of two.
   */
  generateDataKey(context: WrapContext): Promise<DataKey>;
  /** Wraps under the current master key. */
  wrap(plain: Uint8Array, context: WrapContext): Promise<WrappedKey>;
  /**
   * Unwraps with the master key named in `wrapped`, current or not, as long as
   * this adapter still accepts it. Rejects with a DomainError (see
   * `key-errors.ts`) when the key is retired or unknown, when the context or
   * blob does not match, or when the key service cannot be reached.
   */
  unwrap(wrapped: WrappedKey, context: WrapContext): Promise<Uint8Array>;
}

/**
 * The context as one unambiguous byte string: sorted pairs in JSON, so that
 * `{a:'b,c'}` and `{a:'b', c:''}` never encode alike and key order never matters.
 */
export function canonicalContext(context: WrapContext): Uint8Array {
  const pairs = Object.keys(context)
    .sort()
    .map((name) => [name, context[name]]);
  return new TextEncoder().encode(JSON.stringify(pairs));
}
