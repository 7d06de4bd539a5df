import type { Client, ClientPathsWithMethod, MaybeOptionalInit } from 'openapi-fetch';
import type { paths } from './generated/schema.js';

/** The methods the API has routes for. */
export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export type RawClient = Client<paths, `${string}/${string}`>;

/** The API's paths that have a route for the method. */
export type PathsWith<M extends HttpMethod> = ClientPathsWithMethod<RawClient, M>;

type Operation<P extends PathsWith<M>, M extends HttpMethod> = paths[P][M];

/** What a call of the route takes (params, body, headers, ...), as openapi-fetch has it. */
export type InitOf<P extends PathsWith<M>, M extends HttpMethod> = MaybeOptionalInit<paths[P], M>;

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 206;

type ContentOf<R> = R extends { content: infer C }
  ? C extends { 'application/json': infer J }
    ? J
    : C[keyof C]
  : undefined;

/** What a successful call of the route answers; undefined for routes that answer 204. */
export type DataOf<P extends PathsWith<M>, M extends HttpMethod> =
  Operation<P, M> extends { responses: infer R }
    ? ContentOf<R[Extract<keyof R, SuccessStatus>]>
    : never;

/** What a call may change of the client's defaults. */
export interface CallOptions {
  /** Ends the call (ABORTED), retries and their waits included. */
  signal?: AbortSignal | undefined;
  /** The client's `timeoutMs` for this call; 0: none. */
  timeoutMs?: number | undefined;
  /** The client's `retries` for this call. */
  retries?: number | undefined;
  /**
   * Sent as `Idempotency-Key`: lets a POST or PATCH be retried after a 429,
   * a 503 or a network failure. Use one key per intended change.
   */
  idempotencyKey?: string | undefined;
}

/** The call's init is optional exactly when the route needs no params or body. */
export type CallArgs<I> = undefined extends I
  ? [init?: NonNullable<I> & CallOptions]
  : [init: I & CallOptions];

/** A typed call that resolves to the answer's data and throws ZaehlwerkError otherwise. */
export type CallMethod<M extends HttpMethod> = <P extends PathsWith<M>>(
  path: P,
  ...init: CallArgs<InitOf<P, M>>
) => Promise<DataOf<P, M>>;
