import type { ErrorCode } from '../../domain/errors.js';

export const en = {
  errors: {
    VALIDATION_FAILED: 'The request is not valid: {{detail}}',
    NOT_FOUND: 'There is nothing at {{method}} {{url}}.',
    UNAUTHENTICATED: 'You need to sign in to do this.',
    INVALID_CREDENTIALS: 'Wrong e-mail address or password.',
    FORBIDDEN: 'You are not allowed to do this.',
    AGGREGATION_TOO_SMALL:
      'Too few units have data in this period to show their total without revealing one household’s consumption; choose a longer period.',
    MONTH_NOT_ENDED:
      'The monthly information covers calendar months that have ended; this month has not ended yet in the property’s time zone. Choose an earlier month.',
    CONFLICT: 'This was changed by someone else in the meantime; load it again and retry.',
    RATE_LIMITED: 'Too many requests; please wait a moment and try again.',
    PAYLOAD_TOO_LARGE: 'The request body is too large.',
    UNSUPPORTED_MEDIA_TYPE: 'This content type is not supported here.',
    SERVICE_UNAVAILABLE: 'The service is unavailable right now; please try again shortly.',
    INTERNAL_ERROR: 'Something went wrong on our side. The request id helps us find it.',
  } satisfies Record<ErrorCode, string>,
};

export type Messages = typeof en;
