import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import type { GatewayThing, IotCore } from '../../domain/ports.js';
import type { Meter } from '../../domain/tenancy/meter.js';
import type { MeterStore } from '../../domain/tenancy/ports.js';
import { heardMeters } from '../../ingest/gateway-coverage.js';
import type { IngestStore, Reception } from '../../ingest/ingest-store.js';
import { mapLimited } from '../../iot/map-limited.js';
import { ErrorRef } from '../schemas/common.js';
import { ThingParams } from '../schemas/gateways.js';
import { GatewayMetersQuery, GatewayReceptionsQuery } from '../schemas/ingest.js';
import { MANAGERS, pageOptions } from './tenancy-access.js';
import { askedRange, LATEST_INSTANT } from './ingest-access.js';

export interface GatewayReceptionRoutesOptions {
  iot: Pick<IotCore, 'getGateway'>;
  meters: Pick<MeterStore, 'get'>;
  ingest: Pick<IngestStore, 'listGatewayReceptions'>;
  /** Receptions counted at most for a gateway's meters; 2000 when absent. */
  maxCounted?: number;
  now?: () => Date;
}

/** Meter records read at once. */
const CONCURRENCY = 8;
const PAGE = 100;

/**
 * What a gateway hears, from the gateway's side: radio coverage for placing
 * it. Only meters of the gateway's own organisation show; another operator's
 * that it hears are counted in that operator's unregistered meters instead,
 * and a meter that has moved to another operator since drops out.
 */
const gatewayReceptionRoutes: FastifyPluginAsyncTypebox<GatewayReceptionRoutesOptions> = async (
  app,
  options,
) => {
  const { iot, meters, ingest } = options;
  const now = options.now ?? (() => new Date());
  const maxCounted = options.maxCounted ?? 2000;

  /** The gateway, if the caller manages it; another partner's answers as a missing one. */
  async function reachable(request: FastifyRequest, thingName: string): Promise<GatewayThing> {
    const gateway = await iot.getGateway(thingName);
    if (gateway === null) throw new DomainError('NOT_FOUND', `no gateway '${thingName}'`);
    request.authorize({ partnerId: gateway.partnerId, organisationId: gateway.organisationId });
    return gateway;
  }

  /** The gateway organisation's meters among these ids (each read once per request). */
  function ownMeters(gateway: GatewayThing) {
    const known = new Map<string, Promise<Meter | null>>();
    return async (meterIds: Iterable<string>): Promise<Map<string, Meter>> => {
      const ids = [...new Set(meterIds)];
      const found = await mapLimited(ids, CONCURRENCY, (id) => {
        let meter = known.get(id);
        if (meter === undefined) {
          meter = meters.get(gateway.partnerId, id);
          known.set(id, meter);
        }
        return meter;
      });
      const own = new Map<string, Meter>();
      for (const meter of found) {
        if (meter !== null && meter.organisationId === gateway.organisationId) {
          own.set(meter.id, meter);
        }
      }
      return own;
    };
  }

  const view = ({ partnerId: _p, ...rest }: Reception) => rest;

  app.get(
    '/v1/gateways/:thingName/receptions',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listGatewayReceptions',
        tags: ['gateways'],
        summary: 'What a gateway heard',
        description:
          'Each reception of a reading by this gateway (meter, transmission, reading time, when ' +
          'it heard it, signal strength, mode, whether it came late from its buffer), newest ' +
          'first by when it heard it, paginated; kept 90 days. Only meters of the gateway’s ' +
          'organisation show: another operator’s meters it hears are that operator’s ' +
          'unregistered meters, and a meter moved to another operator since drops out. A page ' +
          'may hold fewer items than the limit while `cursor` says more follow. Operators of ' +
          'the organisation and partner admins.',
        params: ThingParams,
        querystring: GatewayReceptionsQuery,
        response: {
          200: Type.Ref('GatewayReceptionList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const gateway = await reachable(request, request.params.thingName);
      const { query } = request;
      const page = await ingest.listGatewayReceptions(
        gateway.partnerId,
        gateway.thingName,
        askedRange(query),
        pageOptions(query),
      );
      const own = await ownMeters(gateway)(page.items.map((r) => r.meterId));
      reply.header('cache-control', 'no-store');
      return {
        items: page.items.filter((r) => own.has(r.meterId)).map(view),
        cursor: page.cursor,
      };
    },
  );

  app.get(
    '/v1/gateways/:thingName/meters',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listGatewayMeters',
        tags: ['gateways'],
        summary: 'The meters a gateway hears, and how well',
        description:
          'For placing a gateway: each meter of the gateway’s organisation it heard in the ' +
          'last `hours` (24 by default), with when it last heard it, that signal strength, and ' +
          'the mean, weakest and strongest of the receptions counted; strongest first. At most ' +
          'the newest 2000 receptions are counted: `complete` says whether that covered the ' +
          'whole window, and `coveredFrom` from when it did. Another operator’s meters it ' +
          'hears are in that operator’s unregistered meters, never here. Operators of the ' +
          'organisation and partner admins.',
        params: ThingParams,
        querystring: GatewayMetersQuery,
        response: {
          200: Type.Ref('GatewayMeterList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const gateway = await reachable(request, request.params.thingName);
      const hours = request.query.hours ?? 24;
      const from = new Date(now().getTime() - hours * 3_600_000).toISOString();
      const counted: Reception[] = [];
      let cursor: string | undefined;
      do {
        const page = await ingest.listGatewayReceptions(
          gateway.partnerId,
          gateway.thingName,
          { from, to: LATEST_INSTANT },
          { limit: Math.min(PAGE, maxCounted - counted.length), ...(cursor ? { cursor } : {}) },
        );
        counted.push(...page.items);
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined && counted.length < maxCounted);
      const complete = cursor === undefined;
      const own = await ownMeters(gateway)(counted.map((r) => r.meterId));
      const items = heardMeters(counted.filter((r) => own.has(r.meterId))).map((heard) => {
        const meter = own.get(heard.meterId)!;
        return {
          meterId: heard.meterId,
          identity: {
            manufacturer: meter.manufacturer,
            meterId: meter.meterId,
            deviceVersion: meter.deviceVersion,
            deviceType: meter.deviceType,
          },
          kind: meter.kind,
          propertyId: meter.propertyId,
          ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
          ...(meter.location === undefined ? {} : { location: meter.location }),
          lastHeardAt: heard.lastHeardAt,
          lastRssi: heard.lastRssi,
          meanRssi: heard.meanRssi,
          minRssi: heard.minRssi,
          maxRssi: heard.maxRssi,
          receptions: heard.receptions,
        };
      });
      reply.header('cache-control', 'no-store');
      return {
        items,
        from,
        coveredFrom: complete || counted.length === 0 ? from : counted.at(-1)!.receivedAt,
        complete,
      };
    },
  );
};

export default gatewayReceptionRoutes;
