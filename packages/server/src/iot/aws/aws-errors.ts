import { DomainError, type ErrorCode } from '../../domain/errors.js';

/**
 * AWS exceptions that mean the same thing as one of our stable codes. Anything
 * not listed (access denied, internal failure, a quota) is an operator's
 * problem, not the caller's, and is passed on untouched so that its AWS name,
 * request id and status stay visible in the log.
 */
const CODE_BY_EXCEPTION: Readonly<Record<string, ErrorCode>> = {
  ResourceAlreadyExistsException: 'CONFLICT',
  ConflictException: 'CONFLICT',
  CertificateStateException: 'CONFLICT',
  VersionConflictException: 'CONFLICT',
  ResourceNotFoundException: 'NOT_FOUND',
  InvalidRequestException: 'VALIDATION_FAILED',
  ThrottlingException: 'RATE_LIMITED',
  RequestEntityTooLargeException: 'PAYLOAD_TOO_LARGE',
  UnsupportedDocumentEncodingException: 'UNSUPPORTED_MEDIA_TYPE',
  ServiceUnavailableException: 'SERVICE_UNAVAILABLE',
};

/** The exception name the SDK gives a service error (`err.name`), if it is one. */
export function awsErrorName(err: unknown): string | undefined {
  return err instanceof Error && '$metadata' in err ? err.name : undefined;
}

export function isAwsError(err: unknown, ...names: readonly string[]): boolean {
  const name = awsErrorName(err);
  return name !== undefined && names.includes(name);
}

/** A DomainError with `message` for the exceptions we understand; `err` itself otherwise. */
export function toDomainError(err: unknown, message: string): unknown {
  const name = awsErrorName(err);
  const code = name === undefined ? undefined : CODE_BY_EXCEPTION[name];
  if (code === undefined) return err;
  const detail = err instanceof Error && err.message !== '' ? `: ${err.message}` : '';
  return new DomainError(code, `${message} (${name}${detail})`, { cause: err });
}
