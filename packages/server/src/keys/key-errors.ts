import { DomainError, type ErrorCode } from '../domain/errors.js';

/**
 * Why a key operation failed, as `details.reason` of the DomainError: the
 * stable codes are few and shared, and these let operators and tests tell the
 * cases apart. Messages and details name key ids, partners and meters, never
 * key material.
 */
export type KeyErrorReason =
  /** The meter key or context handed to `seal` is not acceptable. */
  | 'invalid-meter-key'
  | 'invalid-context'
  /** A stored blob that does not parse: damaged or written by something else. */
  | 'malformed-sealed-key'
  /** The blob was sealed for another partner or meter than the caller says, or was altered. */
  | 'context-mismatch'
  /** The master key id in the blob is retired or was never known here. */
  | 'master-key-unknown'
  /** The master key is known but refused the blob: tampered, or another context. */
  | 'unwrap-failed'
  /** The key service could not be reached or throttled us; retrying may help. */
  | 'key-service-unavailable'
  /** The key service refused for a reason an operator has to fix (access denied, disabled key). */
  | 'key-service-refused'
  /** The local key file cannot be used as it is. */
  | 'key-file-unusable';

const CODE: Readonly<Record<KeyErrorReason, ErrorCode>> = {
  'invalid-meter-key': 'VALIDATION_FAILED',
  'invalid-context': 'VALIDATION_FAILED',
  'malformed-sealed-key': 'INTERNAL_ERROR',
  'context-mismatch': 'INTERNAL_ERROR',
  'master-key-unknown': 'INTERNAL_ERROR',
  'unwrap-failed': 'INTERNAL_ERROR',
  'key-service-unavailable': 'SERVICE_UNAVAILABLE',
  'key-service-refused': 'INTERNAL_ERROR',
  'key-file-unusable': 'INTERNAL_ERROR',
};

/**
 * A DomainError for a key operation. `cause` is never attached: causes from
 * crypto or SDK calls can carry request bodies, and this error may be logged
 * whole. What an operator needs goes into `extra` (names, ids, status codes).
 */
export function keyError(
  reason: KeyErrorReason,
  message: string,
  extra: Record<string, string | number> = {},
): DomainError {
  return new DomainError(CODE[reason], message, { details: { reason, ...extra } });
}

export function keyErrorReason(err: unknown): KeyErrorReason | undefined {
  if (!(err instanceof Error) || err.name !== 'DomainError') return undefined;
  const details = (err as DomainError).details as { reason?: unknown } | undefined;
  const reason = details?.reason;
  return typeof reason === 'string' && reason in CODE ? (reason as KeyErrorReason) : undefined;
}
