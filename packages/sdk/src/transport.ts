import type { Session } from './auth.js';
import { errorFromFailure, parseRetryAfter, type ZaehlwerkError } from './errors.js';
import { backoffDelay, mayRetry, RETRY_STATUSES, type ResolvedRetryPolicy } from './retry.js';
import { anySignal, timeoutSignal } from './signals.js';

export interface TransportOptions {
  fetch: typeof globalThis.fetch;
  session: Session;
  retries: number;
  retryPolicy: ResolvedRetryPolicy;
  /** 0: none. */
  timeoutMs: number;
}

/** What one call may change of the client's defaults. */
export interface SendOptions {
  timeoutMs?: number | undefined;
  retries?: number | undefined;
  /**
   * The timeout ends when the answer's headers arrive, not with its body: for
   * streams, which stay open for as long as they are read.
   */
  timeoutUntilHeaders?: boolean;
  /** False for the routes whose body is the credential (sign-in, refresh, sign-out). */
  authenticate?: boolean;
}

/**
 * Sends requests as the client's calls need them: signed, within a timeout,
 * retried with backoff when that is safe, and signed again with a renewed
 * access token when the server refused an expired one. Failures without an
 * answer become ZaehlwerkErrors (NETWORK_ERROR, TIMEOUT, ABORTED); answers,
 * failed or not, are returned for the caller to read.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async send(request: Request, options: SendOptions = {}): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const caller = request.signal;
    const timeout =
      timeoutMs > 0 ? timeoutSignal(timeoutMs, options.timeoutUntilHeaders === true) : undefined;
    const call: Call = {
      request,
      signal: timeout === undefined ? caller : anySignal([caller, timeout.signal]),
      fail: (failure) => errorFromFailure(failure, { caller, timeout: timeout?.signal }),
      retries: options.retries ?? this.options.retries,
      authenticate: options.authenticate !== false,
      retryable: mayRetry(request.method, request.headers),
      // Read once: a body stream could be sent only once, and a retry sends it again.
      body: request.body === null ? undefined : await request.arrayBuffer(),
    };
    try {
      return await this.attempts(call);
    } finally {
      // A stream's timer stops with the headers; a call's runs on while its body is read.
      if (timeout?.untilHeaders) timeout.clear();
    }
  }

  private async attempts(call: Call): Promise<Response> {
    const { session, retryPolicy } = this.options;
    const wait = async (ms: number) => {
      try {
        await retryPolicy.sleep(ms, call.signal);
      } catch (failure) {
        throw call.fail(failure);
      }
    };

    let refreshed = false;
    for (let attempt = 0; ;) {
      const headers = new Headers(call.request.headers);
      const credential = call.authenticate ? session.header() : undefined;
      // A header the caller set on the call wins over the client's credentials.
      if (credential !== undefined && !headers.has('authorization') && !headers.has('x-api-key')) {
        headers.set(credential.name, credential.value);
      }
      const sentToken = session.currentAccessToken();

      let response: Response;
      try {
        response = await this.options.fetch(call.request.url, {
          method: call.request.method,
          headers,
          ...(call.body === undefined ? {} : { body: call.body }),
          redirect: call.request.redirect,
          signal: call.signal,
        });
      } catch (failure) {
        const error = call.fail(failure);
        if (error.code !== 'NETWORK_ERROR' || !call.retryable || attempt >= call.retries) {
          throw error;
        }
        await wait(backoffDelay(attempt, retryPolicy));
        attempt++;
        continue;
      }

      if (
        response.status === 401 &&
        call.authenticate &&
        !refreshed &&
        session.kind === 'user' &&
        session.canRefresh() &&
        (await isUnauthenticated(response))
      ) {
        // Once per call: a token refused right after its renewal will not do better next time.
        refreshed = true;
        let outcome;
        try {
          outcome = await session.refresh(sentToken);
        } catch (failure) {
          throw call.fail(failure);
        }
        if (outcome === 'refreshed') {
          await discard(response);
          continue;
        }
        return response;
      }

      if (RETRY_STATUSES.has(response.status) && call.retryable && attempt < call.retries) {
        const delay =
          parseRetryAfter(response.headers.get('retry-after')) ??
          backoffDelay(attempt, retryPolicy);
        if (delay <= retryPolicy.maxDelayMs) {
          await discard(response);
          await wait(delay);
          attempt++;
          continue;
        }
      }
      return response;
    }
  }
}

interface Call {
  request: Request;
  /** The caller's signal, with the timeout's. */
  signal: AbortSignal;
  fail: (failure: unknown) => ZaehlwerkError;
  retries: number;
  authenticate: boolean;
  retryable: boolean;
  body: ArrayBuffer | undefined;
}

async function isUnauthenticated(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return body.error?.code === 'UNAUTHENTICATED';
  } catch {
    return false;
  }
}

/** Lets the connection go back to the pool. */
async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to free.
  }
}
