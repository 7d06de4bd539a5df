import createFetchClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/schema.js';

export interface ClientOptions {
  /** Where the API lives, e.g. https://api.example.com (no trailing /v1). */
  baseUrl: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export type ZaehlwerkClient = Client<paths>;

/**
 * A client whose every path, parameter, body and answer is typed from the
 * API's OpenAPI document. Calls resolve to `{ data, error, response }`.
 *
 * @example
 * const zw = createClient({ baseUrl: 'http://127.0.0.1:3000' });
 * const { data } = await zw.GET('/health');
 * console.log(data?.status);
 */
export function createClient(options: ClientOptions): ZaehlwerkClient {
  return createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
}
