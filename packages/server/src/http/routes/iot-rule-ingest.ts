import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import type { TelegramBatchDelivery } from '../../domain/ports.js';
import { INGEST_AUTH_HEADER, parseRuleRequest } from '../../iot/aws/ingest-rule.js';

export interface RuleIngest {
  /** The secret the `zw_ingest` rule's HTTP action sends in `x-zw-ingest-token`. */
  token: string;
  deliver(batch: TelegramBatchDelivery): Promise<void>;
  confirmDestination(confirmationToken: string): Promise<void>;
}

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * POST /v1/iot/rules/zw_ingest: where AWS IoT Core's ingest rule delivers
 * gateway batches (and once, the destination confirmation). Answered 204 only
 * after the ingest has the batch, so a failure reaches the rule's error action.
 * Hidden from the OpenAPI document: it is the platform's, not an integrator's.
 */
const ruleIngestRoutes: FastifyPluginAsyncTypebox<{ ingest: RuleIngest }> = async (
  app,
  { ingest },
) => {
  app.post(
    '/v1/iot/rules/zw_ingest',
    {
      // Not a user's route: the ingest token, checked below, is its credential.
      config: { access: { public: 'authenticated by the ingest token' } },
      schema: {
        hide: true,
        headers: Type.Object({ [INGEST_AUTH_HEADER]: Type.Optional(Type.String()) }),
        // parseRuleRequest reads the fields; the schema only insists on an object.
        body: Type.Object({}, { additionalProperties: true }),
      },
    },
    async (request, reply) => {
      const given = request.headers[INGEST_AUTH_HEADER];
      if (typeof given !== 'string' || !sameSecret(given, ingest.token)) {
        throw new DomainError('UNAUTHENTICATED', 'missing or wrong ingest token');
      }
      const parsed = parseRuleRequest(request.body);
      if (parsed.kind === 'destination-confirmation') {
        await ingest.confirmDestination(parsed.confirmationToken);
        request.log.info({ destinationArn: parsed.destinationArn }, 'ingest destination confirmed');
      } else {
        await ingest.deliver(parsed.batch);
      }
      return reply.code(204).send();
    },
  );
};

export default ruleIngestRoutes;
