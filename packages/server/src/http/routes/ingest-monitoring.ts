import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import type { IotCore } from '../../domain/ports.js';
import type { OrganisationStore } from '../../domain/tenancy/ports.js';
import { FRAME_OUTCOMES, type GatewayHealth, type IngestStore } from '../../ingest/ingest-store.js';
import { ErrorRef } from '../schemas/common.js';
import { ThingParams } from '../schemas/gateways.js';
import { OrganisationParams } from '../schemas/organisations.js';
import { PageQuery } from '../schemas/tenancy-common.js';
import { MANAGERS, pageOptions, partnerOf, requireOrganisation } from './tenancy-access.js';

export interface IngestMonitoringRoutesOptions {
  iot: Pick<IotCore, 'getGateway'>;
  organisations: Pick<OrganisationStore, 'get'>;
  ingest: Pick<IngestStore, 'getGatewayHealth' | 'listRejected' | 'listUnregistered'>;
  now?: () => Date;
}

/** A gateway that sent nothing for this long is `silent` (they upload every few minutes). */
const SILENT_AFTER_MS = 60 * 60 * 1000;

/** The health as the API shows it; a gateway never heard from has zeros. */
export function healthView(
  gateway: { thingName: string; organisationId: string; lastConnectedAt: string | null },
  health: GatewayHealth | null,
  now: Date,
) {
  const outcomes = Object.fromEntries(FRAME_OUTCOMES.map((o) => [o, health?.outcomes[o] ?? 0]));
  const batches = health?.batches ?? 0;
  const lost = health?.lostBatches ?? 0;
  const status =
    health === null
      ? 'never'
      : now.getTime() - Date.parse(health.lastSeenAt) > SILENT_AFTER_MS
        ? 'silent'
        : 'reporting';
  return {
    thingName: gateway.thingName,
    organisationId: gateway.organisationId,
    status,
    lastConnectedAt: gateway.lastConnectedAt,
    firstSeenAt: health?.firstSeenAt ?? null,
    lastSeenAt: health?.lastSeenAt ?? null,
    lastSeq: health?.lastSeq ?? null,
    batches,
    lostBatches: lost,
    batchLoss: batches + lost === 0 ? 0 : lost / (batches + lost),
    frames: health?.frames ?? 0,
    outcomes,
    framesPerHour: Object.entries(health?.framesPerHour ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([hour, frames]) => ({ hour, frames })),
  };
}

/**
 * What the ingest tells operators about their radio network: a gateway's
 * health, the frames it could not use, the meters it hears that nobody
 * registered. Managers of the organisation only.
 */
const ingestMonitoringRoutes: FastifyPluginAsyncTypebox<IngestMonitoringRoutesOptions> = async (
  app,
  options,
) => {
  const { iot, organisations, ingest } = options;
  const now = options.now ?? (() => new Date());

  app.get(
    '/v1/gateways/:thingName/health',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'getGatewayHealth',
        tags: ['gateways'],
        summary: "A gateway's health: batches, losses, frames and what became of them",
        description:
          'Counted by the ingest from every batch the gateway sent: the sequence gaps (batches ' +
          'lost on the way), frames per hour for the last 48 hours with traffic, and how many ' +
          'frames became readings, duplicates or were refused. `status` is `never` until the ' +
          'first batch arrives.',
        params: ThingParams,
        response: { 200: Type.Ref('GatewayHealth'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => {
      // The owner is the registry's, never what the health item says.
      const gateway = await iot.getGateway(request.params.thingName);
      if (gateway === null) {
        throw new DomainError('NOT_FOUND', `no gateway '${request.params.thingName}'`);
      }
      request.authorize({ partnerId: gateway.partnerId, organisationId: gateway.organisationId });
      const stored = await ingest.getGatewayHealth(gateway.thingName);
      // Counted for an earlier owner of the same thing name: not this one's to see.
      const health =
        stored !== null &&
        stored.partnerId === gateway.partnerId &&
        stored.organisationId === gateway.organisationId
          ? stored
          : null;
      return healthView(gateway, health, now());
    },
  );

  app.get(
    '/v1/organisations/:organisationId/rejected-frames',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listRejectedFrames',
        tags: ['gateways'],
        summary: "Frames the organisation's gateways sent that did not become readings",
        description:
          'Newest first, paginated, kept 30 days: malformed frames, frames without a key or ' +
          'that the key does not open, and replays. The frame is shown as received, still ' +
          'encrypted.',
        params: OrganisationParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('RejectedFrameList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { organisationId } = request.params;
      request.authorize({ partnerId, organisationId });
      await requireOrganisation(organisations, partnerId, organisationId);
      const page = await ingest.listRejected(partnerId, organisationId, pageOptions(request.query));
      reply.header('cache-control', 'no-store');
      return {
        items: page.items.map(({ partnerId: _p, organisationId: _o, ...rest }) => rest),
        cursor: page.cursor,
      };
    },
  );

  app.get(
    '/v1/organisations/:organisationId/unregistered-meters',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listUnregisteredMeters',
        tags: ['gateways'],
        summary: "Meters the organisation's gateways hear that it has not registered",
        description:
          'By identity, paginated; a meter drops out 30 days after it was last heard. Register ' +
          'one (createMeter) and give it its key, and its next frames become readings.',
        params: OrganisationParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('UnregisteredMeterList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const { organisationId } = request.params;
      request.authorize({ partnerId, organisationId });
      await requireOrganisation(organisations, partnerId, organisationId);
      const page = await ingest.listUnregistered(
        partnerId,
        organisationId,
        pageOptions(request.query),
      );
      return {
        items: page.items.map(({ partnerId: _p, organisationId: _o, ...rest }) => rest),
        cursor: page.cursor,
      };
    },
  );
};

export default ingestMonitoringRoutes;
