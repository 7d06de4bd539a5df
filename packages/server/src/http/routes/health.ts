import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StorageHealth } from '../../domain/ports.js';
import { Health } from '../schemas/health.js';

const PROBE_TIMEOUT_MS = 2000;

/** GET /health: is the platform able to serve, i.e. can it reach its table? */
const healthRoutes: FastifyPluginAsyncTypebox<{ storage: StorageHealth; version: string }> = async (
  app,
  { storage, version },
) => {
  const startedAt = Date.now();
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['system'],
        summary: 'Health of the platform',
        description:
          'Answers 200 when the DynamoDB table is reachable and 503 otherwise, with the reason. ' +
          'Suitable for load balancer and container health checks.',
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const table = await storage.check(AbortSignal.timeout(PROBE_TIMEOUT_MS));
      const ok = table.status === 'ok';
      return reply
        .code(ok ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({
          status: ok ? 'ok' : 'unavailable',
          version,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          checks: { table },
        });
    },
  );
};

export default healthRoutes;
