import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export interface CorsOptions {
  /** Every origin some active partner allows (its widget pages and portals). */
  allowedOrigins(): Promise<ReadonlySet<string>>;
  /** How long the set is reused before it is read again; default 60 s. */
  cacheMs?: number;
}

/**
 * Cross-origin calls from the partners' own origins only. A preflight carries
 * no credentials, so it cannot be tied to one partner: an origin is allowed
 * when any active partner lists it, and the embed token then binds the call
 * to its own origins (checked again in auth). No cookies are used, so no
 * credentials mode.
 */
const corsPlugin: FastifyPluginAsync<CorsOptions> = async (app, options) => {
  const cacheMs = options.cacheMs ?? 60_000;
  let cached: { at: number; origins: Promise<ReadonlySet<string>> } | undefined;
  const origins = () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > cacheMs) {
      const loading = options.allowedOrigins();
      cached = { at: now, origins: loading };
      // A failed read is not kept: the next request tries again.
      loading.catch(() => {
        if (cached?.origins === loading) cached = undefined;
      });
    }
    return cached.origins;
  };
  await app.register(cors, {
    origin: async (origin: string | undefined) =>
      origin !== undefined && (await origins()).has(origin),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // last-event-id: the SDK's live stream resumes with it; idempotency-key: it retries POSTs with one.
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-api-key',
      'accept-language',
      'if-match',
      'last-event-id',
      'idempotency-key',
    ],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
};

export default fp(corsPlugin, { name: 'zw-cors' });
