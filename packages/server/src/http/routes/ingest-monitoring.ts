import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SHADOW_NAME, validate } from '@zaehlwerk/firmware-contract';
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
  iot: Pick<IotCore, 'getGateway' | 'getShadow'>;
  organisations: Pick<OrganisationStore, 'get'>;
  ingest: Pick<IngestStore, 'getGatewayHealth' | 'listRejected' | 'listUnregistered'>;
  now?: () => Date;
}

/** A gateway that sent nothing for this long is `silent` (they upload every few minutes). */
const SILENT_AFTER_MS = 60 * 60 * 1000;

/** What the gateway last reported in its configuration shadow, as the health shows it. */
export interface ShadowView {
  reported: Record<string, unknown> | null;
  reportedAt: string | null;
  version: number;
  conforms: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The newest `timestamp` (epoch seconds) in a shadow's per-leaf metadata, or null. */
function newestTimestamp(metadata: unknown): number | null {
  if (Array.isArray(metadata)) {
    return metadata.reduce<number | null>((newest, item) => {
      const t = newestTimestamp(item);
      return t === null || (newest !== null && newest >= t) ? newest : t;
    }, null);
  }
  if (!isObject(metadata)) return null;
  let newest = typeof metadata.timestamp === 'number' ? metadata.timestamp : null;
  for (const [key, child] of Object.entries(metadata)) {
    if (key === 'timestamp') continue;
    const t = newestTimestamp(child);
    if (t !== null && (newest === null || t > newest)) newest = t;
  }
  return newest;
}

/**
 * The reported part of a shadow document as IoT Core answers a get (state,
 * metadata, version): the state as the gateway wrote it, when it last wrote
 * any of it, and whether it is what the firmware contract prescribes.
 */
export function shadowView(document: Record<string, unknown>): ShadowView {
  const state = isObject(document.state) ? document.state : {};
  const reported = isObject(state.reported) ? state.reported : null;
  const metadata = isObject(document.metadata) ? document.metadata.reported : undefined;
  const at = reported === null ? null : newestTimestamp(metadata);
  return {
    reported,
    reportedAt: at === null ? null : new Date(at * 1000).toISOString(),
    version: typeof document.version === 'number' ? document.version : 0,
    conforms: reported !== null && validate('shadow-reported', reported).ok,
  };
}

/** The health as the API shows it; a gateway never heard from has zeros. */
export function healthView(
  gateway: { thingName: string; organisationId: string; lastConnectedAt: string | null },
  health: GatewayHealth | null,
  now: Date,
  /** Null when the gateway has no shadow; undefined when it could not be read. */
  shadow?: ShadowView | null,
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
    ...(shadow === undefined ? {} : { shadow }),
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
          'first batch arrives. `shadow` is what the gateway last reported of itself in its ' +
          'configuration shadow (`' +
          SHADOW_NAME +
          '`): firmware, the configuration it applied, radio and buffer state; null when it ' +
          'has none, and absent when IoT Core could not be asked.',
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
      const [stored, shadow] = await Promise.all([
        ingest.getGatewayHealth(gateway.thingName),
        // The health stands without it: a shadow service that fails leaves the field out.
        iot.getShadow(gateway.thingName, SHADOW_NAME).then(
          (document) => (document === null ? null : shadowView(document)),
          (error: unknown) => {
            request.log.warn({ err: error }, 'reading the gateway’s shadow failed');
            return undefined;
          },
        ),
      ]);
      // Counted for an earlier owner of the same thing name: not this one's to see.
      const health =
        stored !== null &&
        stored.partnerId === gateway.partnerId &&
        stored.organisationId === gateway.organisationId
          ? stored
          : null;
      return healthView(gateway, health, now(), shadow);
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
