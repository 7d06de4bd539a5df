import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { IngestStore, Reading, TimeRange } from '../../ingest/ingest-store.js';
import type { MeterStore, PropertyStore, TenancyStore } from '../../domain/tenancy/ports.js';
import { ErrorRef } from '../schemas/common.js';
import { ReadingsQuery, ReceptionsQuery } from '../schemas/ingest.js';
import { MeterParams } from '../schemas/meters.js';
import { askedRange, INGEST_READERS, meterReach, tenancyWindows } from './ingest-access.js';
import { meterScope } from './meters.js';
import { MANAGERS, notFound, partnerOf, pageOptions } from './tenancy-access.js';

export interface MeterReadingRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  tenancies: Pick<TenancyStore, 'listByUnit'>;
  meters: Pick<MeterStore, 'get'>;
  ingest: Pick<IngestStore, 'listReadings' | 'listReceptions' | 'getStream'>;
  now?: () => Date;
}

/** The reading as the API shows it: where it sits, not whose partner or operator it is. */
export function readingView(reading: Reading): Record<string, unknown> {
  const { partnerId: _partner, organisationId: _organisation, ...rest } = reading;
  return rest;
}

const meterReadingRoutes: FastifyPluginAsyncTypebox<MeterReadingRoutesOptions> = async (
  app,
  options,
) => {
  const { properties, tenancies, meters, ingest } = options;
  const now = options.now ?? (() => new Date());

  app.get(
    '/v1/meters/:meterId/readings',
    {
      config: { access: { roles: INGEST_READERS, embed: true } },
      schema: {
        operationId: 'listMeterReadings',
        tags: ['readings'],
        summary: "A meter's readings",
        description:
          'Decoded, verified telegrams by the time they were first heard, paginated. Operators ' +
          'and partner admins see every reading; tenants (and a unit’s widgets) the meters of ' +
          'their unit within their tenancy (a range wholly outside it is 403; one partly ' +
          'outside is cut to it); landlords (and a property’s widgets) only the building’s own ' +
          'meters (403 for a unit’s meter). A page may hold fewer items than the limit while ' +
          '`cursor` says more follow.',
        params: MeterParams,
        querystring: ReadingsQuery,
        response: {
          200: Type.Ref('ReadingList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { meter, property, reach } = await meterReach(
        request,
        { meters, properties, tenancies },
        request.params.meterId,
        now(),
      );
      const { query } = request;
      let range: TimeRange = askedRange(query);
      let windows: TimeRange[] | null = null;
      if (reach.view === 'tenant') {
        ({ windows, range } = tenancyWindows(reach.periods, property.timeZone, range));
      }
      const page = await ingest.listReadings(partnerId, meter.id, range, {
        ...pageOptions(query),
        order: query.order ?? 'asc',
      });
      const inside = (r: Reading) =>
        windows === null || windows.some((w) => r.at >= w.from && r.at < w.to);
      reply.header('cache-control', 'no-store');
      return { items: page.items.filter(inside).map(readingView), cursor: page.cursor };
    },
  );

  app.get(
    '/v1/meters/:meterId/receptions',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listMeterReceptions',
        tags: ['readings'],
        summary: 'Which gateways heard a meter, and how well',
        description:
          'Every gateway’s reception of each reading (by reading time, paginated; kept 90 ' +
          'days), and the coverage: each gateway that recently heard the meter with its last ' +
          'signal strength. Operators and partner admins only.',
        params: MeterParams,
        querystring: ReceptionsQuery,
        response: {
          200: Type.Ref('ReceptionList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const meter = await meters.get(partnerId, request.params.meterId);
      if (meter === null) throw notFound(`meter ${request.params.meterId}`);
      request.authorize(meterScope(meter));
      const { query } = request;
      const page = await ingest.listReceptions(
        partnerId,
        meter.id,
        askedRange(query),
        pageOptions(query),
      );
      const stream = await ingest.getStream(partnerId, meter.id);
      const coverage = Object.entries(stream?.radio ?? {})
        .map(([thingName, link]) => ({ thingName, at: link.at, rssi: link.rssi }))
        .sort((a, b) => b.rssi - a.rssi || a.thingName.localeCompare(b.thingName));
      return {
        items: page.items.map(({ partnerId: _p, ...rest }) => rest),
        cursor: page.cursor,
        coverage,
      };
    },
  );
};

export default meterReadingRoutes;
