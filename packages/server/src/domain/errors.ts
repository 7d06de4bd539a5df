/**
 * Stable error codes of the platform. A code never changes meaning once
 * published: clients branch on it, and its translated message is looked up by it.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  /** A landlord's (or a property widget's) aggregate would combine too few units. */
  'AGGREGATION_TOO_SMALL',
  /** A calendar month that has not ended yet in the property's time zone (monthly information). */
  'MONTH_NOT_ENDED',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An expected failure of a use case; the HTTP layer maps its code to a status. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  // By name, not instanceof: two bundled copies of this module must still agree.
  return err instanceof Error && err.name === 'DomainError' && 'code' in err;
}
