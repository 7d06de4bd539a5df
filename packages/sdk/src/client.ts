import * as openapiFetch from 'openapi-fetch';
import type {
  CallArgs,
  CallMethod,
  CallOptions,
  HttpMethod,
  InitOf,
  RawClient,
} from './api-types.js';
import { Session, type Credentials, type OnTokens } from './auth.js';
import { errorFromBody, errorFromFailure, isZaehlwerkError } from './errors.js';
import { liveEvents, type LiveEvent, type LiveOptions } from './live.js';
import type { SignInRequest, TokenPair } from './models.js';
import { paginate, type ItemOf, type ListPath } from './pagination.js';
import { DEFAULT_RETRIES, resolveRetryPolicy, type RetryPolicy } from './retry.js';
import { Transport, type SendOptions } from './transport.js';

interface BaseOptions {
  /** Where the API lives, e.g. https://api.example.com (no trailing /v1). */
  baseUrl: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers sent with every request (e.g. `accept-language`). */
  headers?: Record<string, string>;
  /** How long a call may take, retries included; 30 s. 0: no limit. */
  timeoutMs?: number;
  /** How often a failed call is tried again when that is safe (see README); 2. */
  retries?: number;
  retryPolicy?: RetryPolicy;
  /**
   * Called with every new token pair (sign-in, refresh), to keep it: a
   * refresh token works once, so a stored old one would end the session.
   * If it throws, the call that caused the refresh fails with its error.
   */
  onTokens?: OnTokens;
}

export type ClientOptions = BaseOptions & Credentials;

export interface ZaehlwerkClient {
  /** Typed calls: they resolve to the answer's data and throw a ZaehlwerkError otherwise. */
  get: CallMethod<'get'>;
  post: CallMethod<'post'>;
  put: CallMethod<'put'>;
  patch: CallMethod<'patch'>;
  delete: CallMethod<'delete'>;
  /**
   * The openapi-fetch client underneath, with the same credentials, timeout,
   * retries and refresh: its calls resolve to `{ data, error, response }`
   * and reject only when no answer came (ZaehlwerkError NETWORK_ERROR,
   * TIMEOUT, ABORTED).
   */
  raw: RawClient;
  /** Every item of a list route, across its pages. */
  paginate<P extends ListPath>(
    path: P,
    ...init: CallArgs<InitOf<P, 'get'>>
  ): AsyncGenerator<ItemOf<P>, void, undefined>;
  /** New readings of a unit, property or meter as they arrive (GET /v1/live). */
  live(options: LiveOptions): AsyncGenerator<LiveEvent, void, undefined>;
  /**
   * Signs in with e-mail and password; later calls are the user's, and the
   * client renews the access token itself. Not for clients with an API key or
   * embed token.
   */
  login(input: SignInRequest, options?: CallOptions): Promise<TokenPair>;
  /** Ends the session on the server (its refresh token) and forgets the tokens. */
  logout(options?: CallOptions): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Sign-in, refresh and sign-out carry their credential in the body, and are
 * sent once: a refresh token is spent by its first use, even one whose answer
 * was lost.
 */
const UNSIGNED: SendOptions = { authenticate: false, retries: 0 };

/**
 * openapi-fetch's CJS build sets `exports.default` without `__esModule`, so
 * the CJS interop of our own CJS build hands over its whole exports object as
 * the default: the function is then one `.default` further in.
 */
const createFetchClient: typeof openapiFetch.default =
  (openapiFetch.default as unknown as { default?: typeof openapiFetch.default }).default ??
  openapiFetch.default;

/** The call's headers (a record or Headers, as openapi-fetch takes them) with one more. */
function withHeader(headers: unknown, name: string, value: string | undefined): unknown {
  if (value === undefined) return headers;
  if (headers instanceof Headers) {
    const copy = new Headers(headers);
    copy.set(name, value);
    return copy;
  }
  return { ...(headers as Record<string, unknown> | undefined), [name]: value };
}

/**
 * A client whose every path, parameter, body and answer is typed from the
 * API's OpenAPI document.
 *
 * @example
 * const zw = createClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.ZW_API_KEY });
 * const meter = await zw.get('/v1/meters/{meterId}', { params: { path: { meterId } } });
 * for await (const unit of zw.paginate('/v1/properties/{propertyId}/units', {
 *   params: { path: { propertyId } },
 * })) console.log(unit.name);
 */
export function createClient(options: ClientOptions): ZaehlwerkClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const retryPolicy = resolveRetryPolicy(options.retryPolicy);

  const refreshWith = async (refreshToken: string): Promise<TokenPair> =>
    call('post', '/v1/auth/refresh', { body: { refreshToken } }, UNSIGNED);
  const session = new Session(options, refreshWith, options.onTokens);
  const transport = new Transport({
    fetch: fetchImpl,
    session,
    retries: options.retries ?? DEFAULT_RETRIES,
    retryPolicy,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const raw: RawClient = createFetchClient({
    baseUrl,
    fetch: (request) => transport.send(request),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });

  async function call<T>(
    method: HttpMethod,
    path: string,
    init: (Record<string, unknown> & CallOptions) | undefined,
    send: SendOptions = {},
  ): Promise<T> {
    const { timeoutMs, retries, idempotencyKey, ...rest } = init ?? {};
    const headers = withHeader(rest.headers, 'idempotency-key', idempotencyKey);
    const sendOptions: SendOptions = { timeoutMs, retries, ...send };
    let result: { data?: unknown; error?: unknown; response: Response };
    try {
      result = await (raw.request as (m: string, p: string, i: unknown) => Promise<typeof result>)(
        method,
        path,
        { ...rest, headers, fetch: (request: Request) => transport.send(request, sendOptions) },
      );
    } catch (failure) {
      // The answer's body may fail too, after the transport: aborted, timed out, cut off, not JSON.
      throw isZaehlwerkError(failure)
        ? failure
        : errorFromFailure(failure, { caller: rest.signal as AbortSignal | undefined });
    }
    if (!result.response.ok) throw errorFromBody(result.response, result.error);
    return result.data as T;
  }

  const method =
    <M extends HttpMethod>(m: M): CallMethod<M> =>
    (path, ...init) =>
      call(m, path, init[0] as Record<string, unknown> | undefined);

  return {
    get: method('get'),
    post: method('post'),
    put: method('put'),
    patch: method('patch'),
    delete: method('delete'),
    raw,
    paginate: (path, ...init) => paginate((p, i) => call('get', p, i), path, ...init),
    live: (liveOptions) =>
      liveEvents({ baseUrl, headers: options.headers, transport, retryPolicy }, liveOptions),
    async login(input, callOptions) {
      if (session.kind === 'api-key' || session.kind === 'embed') {
        throw new TypeError('login: this client signs its calls with an API key or embed token');
      }
      const tokens = await call<TokenPair>(
        'post',
        '/v1/auth/login',
        { ...callOptions, body: input },
        UNSIGNED,
      );
      await session.adopt(tokens);
      return tokens;
    },
    async logout(callOptions) {
      const refreshToken = session.end();
      if (refreshToken === undefined) return;
      await call('post', '/v1/auth/logout', { ...callOptions, body: { refreshToken } }, UNSIGNED);
    },
  };
}
