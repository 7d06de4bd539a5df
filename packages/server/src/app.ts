import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from './domain/errors.js';
import type { StorageHealth } from './domain/ports.js';
import errorsPlugin from './http/plugins/errors.js';
import i18nPlugin from './http/plugins/i18n.js';
import swaggerPlugin from './http/plugins/swagger.js';
import healthRoutes from './http/routes/health.js';
import ruleIngestRoutes, { type RuleIngest } from './http/routes/iot-rule-ingest.js';
import { ErrorRef, ErrorResponse } from './http/schemas/common.js';
import { Health } from './http/schemas/health.js';
import { VERSION } from './version.js';

export interface AppDeps {
  storage: StorageHealth;
  /** Fastify's logger option; off unless given. */
  logger?: FastifyServerOptions['logger'];
  version?: string;
  /** The local IoT Core's CA certificate, served to gateways and tools that must trust the broker. */
  caCertificatePem?: string;
  /** With AWS IoT Core: where its ingest rule delivers batches (hidden from OpenAPI). */
  ruleIngest?: RuleIngest;
}

/** Headers whose values must never reach a log line. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-zw-ingest-token"]',
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

  // Registered without a CA too, so that the OpenAPI document is the same wherever it is emitted.
  const caCertificatePem = deps.caCertificatePem;
  app.get(
    '/v1/iot/ca.pem',
    {
      schema: {
        operationId: 'getIotCaCertificate',
        tags: ['iot'],
        summary: "The local IoT Core's CA certificate",
        description:
          'The PEM certificate of the CA that signs the MQTT broker and every gateway certificate ' +
          'of the local IoT Core emulator. Gateways and tools trust the broker through it. It is ' +
          'public; a CA kept in memory changes at every start. 503 when no local IoT Core runs.',
        response: {
          200: {
            description: 'The CA certificate, PEM',
            content: { 'application/x-pem-file': { schema: Type.String() } },
          },
          503: ErrorRef,
        },
      },
    },
    async (_request, reply) => {
      if (caCertificatePem === undefined) {
        throw new DomainError('SERVICE_UNAVAILABLE', 'no local IoT Core is running');
      }
      return reply
        .header('cache-control', 'no-cache')
        .type('application/x-pem-file')
        .send(caCertificatePem);
    },
  );

  if (deps.ruleIngest !== undefined) {
    await app.register(ruleIngestRoutes, { ingest: deps.ruleIngest });
  }

  return app;
}
