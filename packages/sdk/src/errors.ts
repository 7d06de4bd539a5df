import type { ErrorCode, ErrorResponse } from './models.js';

/**
 * Codes the client itself gives, for failures that have no answer of the API
 * behind them. They never come from the server, so they are not in ErrorCode.
 */
export type ClientErrorCode =
  /** The request did not reach the API, or its answer did not arrive (DNS, refused, reset). */
  | 'NETWORK_ERROR'
  /** The call took longer than its `timeoutMs` (retries and their waits included). */
  | 'TIMEOUT'
  /** The caller's AbortSignal ended the call. */
  | 'ABORTED'
  /** An answer that is not the API's: an error without its envelope (a proxy's page), or unreadable JSON. */
  | 'UNEXPECTED_RESPONSE';

export type ZaehlwerkErrorCode = ErrorCode | ClientErrorCode;

type ErrorBody = ErrorResponse['error'];

/** Checked instead of `instanceof`, which fails when both the ESM and the CJS build are loaded. */
const BRAND = Symbol.for('zaehlwerk.ZaehlwerkError');

export interface ZaehlwerkErrorInit {
  status: number;
  code: ZaehlwerkErrorCode;
  message: string;
  details?: ErrorBody['details'];
  context?: ErrorBody['context'];
  requestId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Every failure of a call: the API's error (its `code`, `message`, `details`,
 * `context`, `requestId`) or one of the client's own (`status` 0 then).
 *
 * @example
 * try {
 *   await zw.get('/v1/meters/{meterId}', { params: { path: { meterId } } });
 * } catch (error) {
 *   if (isZaehlwerkError(error) && error.code === 'NOT_FOUND') { ... }
 *   else throw error;
 * }
 */
export class ZaehlwerkError extends Error {
  override readonly name = 'ZaehlwerkError';
  /** The HTTP status; 0 for the client's own codes except UNEXPECTED_RESPONSE. */
  readonly status: number;
  readonly code: ZaehlwerkErrorCode;
  /** Which fields of the request were invalid (VALIDATION_FAILED). */
  readonly details: ErrorBody['details'];
  /** Facts some codes carry, e.g. AGGREGATION_TOO_SMALL's `units` and `minimumUnits`. */
  readonly context: ErrorBody['context'];
  /** The server's id of the request: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** How long the server asked to wait (Retry-After) before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(init: ZaehlwerkErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.context = init.context;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

export function isZaehlwerkError(value: unknown): value is ZaehlwerkError {
  return typeof value === 'object' && value !== null && BRAND in value;
}

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(
  header: string | null,
  now: number = Date.now(),
): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month; a bare number that is no delta (`-5`) is not one.
  const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isErrorEnvelope(body: unknown): body is ErrorResponse {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** A gateway's or proxy's answer without the API's envelope still says something by its status. */
const CODE_OF_BARE_STATUS: Readonly<Record<number, ErrorCode>> = {
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** The error of a failed answer whose body is already parsed (JSON, else its text, else undefined). */
export function errorFromBody(response: Response, body: unknown): ZaehlwerkError {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const requestId = response.headers.get('x-request-id') ?? undefined;
  if (isErrorEnvelope(body)) {
    const { code, message, details, context } = body.error;
    return new ZaehlwerkError({
      status: response.status,
      code,
      message,
      ...(details === undefined ? {} : { details }),
      ...(context === undefined ? {} : { context }),
      requestId: body.error.requestId ?? requestId,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  const text = typeof body === 'string' ? body.slice(0, 200) : '';
  return new ZaehlwerkError({
    status: response.status,
    code: CODE_OF_BARE_STATUS[response.status] ?? 'UNEXPECTED_RESPONSE',
    message: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${text ? `: ${text}` : ''}`,
    ...(requestId === undefined ? {} : { requestId }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** The error of a failed answer, reading its body. */
export async function errorFromResponse(response: Response): Promise<ZaehlwerkError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone still makes an error.
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return errorFromBody(response, body);
}

/**
 * What a failed fetch (or a body read) means: the caller's abort, the call's
 * timeout, or the network. Errors of this client pass through unchanged.
 */
export function errorFromFailure(
  failure: unknown,
  signals: { caller?: AbortSignal | null; timeout?: AbortSignal | null },
): ZaehlwerkError {
  if (isZaehlwerkError(failure)) return failure;
  if (signals.caller?.aborted) {
    return new ZaehlwerkError({
      status: 0,
      code: 'ABORTED',
      message: 'the call was aborted',
      cause: failure,
    });
  }
  if (signals.timeout?.aborted || (failure as { name?: unknown } | null)?.name === 'TimeoutError') {
    return new ZaehlwerkError({
      status: 0,
      code: 'TIMEOUT',
      message: 'the call timed out',
      cause: failure,
    });
  }
  if (failure instanceof SyntaxError) {
    return new ZaehlwerkError({
      status: 0,
      code: 'UNEXPECTED_RESPONSE',
      message: `the answer is not valid JSON: ${failure.message}`,
      cause: failure,
    });
  }
  // Node's fetch says only "fetch failed"; the system's reason (ECONNREFUSED, ...) is its cause.
  const cause = (failure as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const why = typeof cause?.code === 'string' ? cause.code : cause?.message;
  const detail = typeof why === 'string' && why !== '' ? ` (${why})` : '';
  const reason = (failure instanceof Error ? failure.message : String(failure)) + detail;
  return new ZaehlwerkError({
    status: 0,
    code: 'NETWORK_ERROR',
    message: `the API could not be reached: ${reason}`,
    cause: failure,
  });
}
