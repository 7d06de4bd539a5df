import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { StorageHealth } from './domain/ports.js';
import errorsPlugin from './http/plugins/errors.js';
import i18nPlugin from './http/plugins/i18n.js';
import swaggerPlugin from './http/plugins/swagger.js';
import healthRoutes from './http/routes/health.js';
import { ErrorResponse } from './http/schemas/common.js';
import { Health } from './http/schemas/health.js';
import { VERSION } from './version.js';

export interface AppDeps {
  storage: StorageHealth;
  /** Fastify's logger option; off unless given. */
  logger?: FastifyServerOptions['logger'];
  version?: string;
}

/** Headers whose values must never reach a log line. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * The composition root: wires adapters into plugins and routes. It never
 * listens, so tests drive it with `app.inject()` and the CLI decides where it serves.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const version = deps.version ?? VERSION;
  const logger =
    deps.logger && typeof deps.logger === 'object'
      ? { ...deps.logger, redact: { paths: REDACTED, censor: '[redacted]' } }
      : (deps.logger ?? false);

  const app = Fastify({
    logger,
    // Our own ids only: a client-chosen id could be used to forge log lines.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  for (const schema of [ErrorResponse, Health]) app.addSchema(schema);

  await app.register(i18nPlugin);
  await app.register(errorsPlugin);
  await app.register(swaggerPlugin, { version });

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));
  await app.register(healthRoutes, { storage: deps.storage, version });

  return app;
}
