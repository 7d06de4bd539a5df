import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type KMSClientConfig,
} from '@aws-sdk/client-kms';
import { inspect } from 'node:util';
import type { DomainError } from '../domain/errors.js';
import { keyError, type KeyErrorReason } from './key-errors.js';
import type { DataKey, MasterKey, WrapContext, WrappedKey } from './master-key.js';

export interface KmsMasterKeyOptions {
  client: KMSClient;
  /**
   * The symmetric KMS key new data keys are wrapped with: its ARN (or key id).
   * It is written into every blob and sent back on Decrypt, so an alias, which
   * can later point elsewhere, is refused.
   */
  keyId: string;
  /**
   * Keys of earlier rotations whose blobs still open (Decrypt is sent to them)
   * until `rotateAll` has rewrapped them; drop one from here to retire it.
   */
  previousKeyIds?: readonly string[];
}

/** What KMS exceptions mean to us; anything else (network, unknown) counts as unavailable. */
const REASON_BY_EXCEPTION: Readonly<Record<string, KeyErrorReason>> = {
  InvalidCiphertextException: 'unwrap-failed',
  IncorrectKeyException: 'unwrap-failed',
  NotFoundException: 'key-service-refused',
  DisabledException: 'key-service-refused',
  KMSInvalidStateException: 'key-service-refused',
  InvalidKeyUsageException: 'key-service-refused',
  AccessDeniedException: 'key-service-refused',
  InvalidGrantTokenException: 'key-service-refused',
  ValidationException: 'key-service-refused',
};

/**
 * The master key in AWS KMS: GenerateDataKey, Encrypt and Decrypt with the
 * wrap context as EncryptionContext, which KMS binds to the ciphertext, logs
 * in CloudTrail and lets IAM conditions test. KMS's own automatic rotation of
 * the key material needs nothing from us; moving to another KMS key is a
 * rotation of ours (`previousKeyIds`, `rotateAll`).
 */
export class KmsMasterKey implements MasterKey {
  readonly #client: KMSClient;
  readonly #keyId: string;
  readonly #accepted: ReadonlySet<string>;

  constructor(options: KmsMasterKeyOptions) {
    const ids = [options.keyId, ...(options.previousKeyIds ?? [])];
    for (const id of ids) {
      if (id.trim() === '') throw new RangeError('a KMS key id must not be empty');
      if (id.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(id)) {
        throw new RangeError(`give the KMS key's ARN, not the alias ${id}`);
      }
    }
    this.#client = options.client;
    this.#keyId = options.keyId;
    this.#accepted = new Set(ids);
  }

  keyId(): string {
    return this.#keyId;
  }

  accepts(masterKeyId: string): boolean {
    return this.#accepted.has(masterKeyId);
  }

  async generateDataKey(context: WrapContext): Promise<DataKey> {
    const out = await this.#call('GenerateDataKey', this.#keyId, (client) =>
      client.send(
        new GenerateDataKeyCommand({
          KeyId: this.#keyId,
          KeySpec: 'AES_256',
          EncryptionContext: { ...context },
        }),
      ),
    );
    if (out.Plaintext?.length !== 32 || out.CiphertextBlob === undefined) {
      throw keyError('key-service-refused', 'KMS GenerateDataKey returned no 32-byte data key', {
        masterKeyId: this.#keyId,
      });
    }
    return {
      plain: out.Plaintext,
      wrapped: { masterKeyId: this.#keyId, blob: out.CiphertextBlob },
    };
  }

  async wrap(plain: Uint8Array, context: WrapContext): Promise<WrappedKey> {
    const out = await this.#call('Encrypt', this.#keyId, (client) =>
      client.send(
        new EncryptCommand({
          KeyId: this.#keyId,
          Plaintext: plain,
          EncryptionContext: { ...context },
        }),
      ),
    );
    if (out.CiphertextBlob === undefined) {
      throw keyError('key-service-refused', 'KMS Encrypt returned no ciphertext', {
        masterKeyId: this.#keyId,
      });
    }
    return { masterKeyId: this.#keyId, blob: out.CiphertextBlob };
  }

  async unwrap(wrapped: WrappedKey, context: WrapContext): Promise<Uint8Array> {
    const id = wrapped.masterKeyId;
    if (!this.#accepted.has(id)) {
      throw keyError(
        'master-key-unknown',
        `master key ${id} is retired or unknown: it is neither the current KMS key nor one of the previous ones configured`,
        { masterKeyId: id },
      );
    }
    const out = await this.#call('Decrypt', id, (client) =>
      client.send(
        new DecryptCommand({
          KeyId: id,
          CiphertextBlob: wrapped.blob,
          EncryptionContext: { ...context },
        }),
      ),
    );
    if (out.Plaintext === undefined) {
      throw keyError('key-service-refused', 'KMS Decrypt returned no plaintext', {
        masterKeyId: id,
      });
    }
    return out.Plaintext;
  }

  toJSON(): unknown {
    return { type: 'KmsMasterKey', keyId: this.#keyId, accepted: [...this.#accepted] };
  }

  [inspect.custom](): string {
    return `KmsMasterKey { keyId: '${this.#keyId}', previous: ${this.#accepted.size - 1} }`;
  }

  async #call<T>(
    operation: string,
    masterKeyId: string,
    run: (client: KMSClient) => Promise<T>,
  ): Promise<T> {
    try {
      return await run(this.#client);
    } catch (err) {
      throw fromKms(err, masterKeyId, operation);
    }
  }
}

export interface CreateKmsMasterKeyOptions extends Omit<KmsMasterKeyOptions, 'client'> {
  /** Region, endpoint, credentials; the SDK's defaults (environment, instance role) otherwise. */
  clientConfig?: KMSClientConfig;
}

export function createKmsMasterKey(options: CreateKmsMasterKeyOptions): KmsMasterKey {
  const { clientConfig, ...rest } = options;
  return new KmsMasterKey({ ...rest, client: new KMSClient(clientConfig ?? {}) });
}

/**
 * Our error for a failed KMS call. The SDK's error is not kept as the cause:
 * it can hold the request (and with it a plaintext data key) in its fields,
 * and this error may be logged whole. Name, status and request id are enough
 * to find the call in CloudTrail.
 */
function fromKms(err: unknown, masterKeyId: string, operation: string): DomainError {
  const meta = (err as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  const name = err instanceof Error ? err.name : 'Error';
  const reason: KeyErrorReason =
    meta === undefined
      ? 'key-service-unavailable'
      : (REASON_BY_EXCEPTION[name] ?? 'key-service-unavailable');
  const extra: Record<string, string | number> = { masterKeyId, operation, awsError: name };
  if (meta?.httpStatusCode !== undefined) extra['httpStatusCode'] = meta.httpStatusCode;
  if (meta?.requestId !== undefined) extra['requestId'] = meta.requestId;
  const message =
    reason === 'unwrap-failed'
      ? `KMS refused to decrypt under ${masterKeyId} (${name}): the wrapped key belongs to another context or key, or was altered`
      : `KMS ${operation} under ${masterKeyId} failed (${name})`;
  return keyError(reason, message, extra);
}
