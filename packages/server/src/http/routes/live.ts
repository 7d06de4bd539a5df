import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from 'typebox';
import type { ResourceScope } from '../../auth/authorize.js';
import { localDay } from '../../domain/consumption/day.js';
import { DomainError, isDomainError } from '../../domain/errors.js';
import type {
  MeterStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
} from '../../domain/tenancy/ports.js';
import type { Property } from '../../domain/tenancy/property.js';
import { periodCovers } from '../../domain/tenancy/tenancy.js';
import type { AlarmEvent, IngestStore, Reading } from '../../ingest/ingest-store.js';
import {
  liveEventId,
  type LiveFilter,
  type LiveHub,
  type LiveSubscription,
} from '../../ingest/live-hub.js';
import {
  DEFAULT_RESUME_LIMITS,
  planResume,
  type ResumeLimits,
  type ResumePlan,
} from '../../ingest/live-resume.js';
import { ErrorRef } from '../schemas/common.js';
import { LiveHeaders, LiveQuery } from '../schemas/ingest.js';
import {
  INGEST_READERS,
  outsideTenancy,
  periodInstants,
  reachOf,
  unitValuesRefused,
} from './ingest-access.js';
import { alarmView } from './alarms.js';
import { readingView } from './meter-readings.js';
import { meterScope } from './meters.js';
import {
  loadProperty,
  loadUnit,
  notFound,
  partnerOf,
  propertyScope,
  unitScope,
} from './tenancy-access.js';

export interface LiveRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get'>;
  tenancies: Pick<TenancyStore, 'listByUnit'>;
  meters: Pick<MeterStore, 'get' | 'listByUnit' | 'listByProperty'>;
  hub: Pick<LiveHub, 'subscribe'>;
  /** Where a reconnecting stream's missed readings are read from. */
  ingest: Pick<IngestStore, 'listReadings'>;
  /** Bounds of a resume (Last-Event-ID); 15 minutes, 1000 readings, 1000 meters when absent. */
  resume?: Partial<ResumeLimits>;
  /** How often an idle stream sends a comment, so proxies keep it open; 15 s when absent. */
  heartbeatMs?: number;
  now?: () => Date;
}

/** Ask the browser to wait this long before it reconnects a dropped stream. */
const RETRY_MS = 5000;

/** What the stream is of: exactly one of the three, as the query names it. */
function targetOf(query: { unitId?: string; propertyId?: string; meterId?: string }) {
  const named = (['unitId', 'propertyId', 'meterId'] as const).filter(
    (k) => query[k] !== undefined,
  );
  if (named.length !== 1) {
    throw new DomainError('VALIDATION_FAILED', 'name exactly one of unitId, propertyId, meterId', {
      details: { field: 'unitId', reason: 'required' },
    });
  }
  return named[0]!;
}

const liveRoutes: FastifyPluginAsyncTypebox<LiveRoutesOptions> = async (app, options) => {
  const { properties, units, tenancies, meters, hub, ingest } = options;
  const now = options.now ?? (() => new Date());
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const resumeLimits: ResumeLimits = { ...DEFAULT_RESUME_LIMITS, ...options.resume };
  /** The open streams, with the work that ends each. */
  const open = new Map<LiveSubscription, Promise<void>>();
  let closing = false;

  // Open streams never end on their own: end them, so that the server can close.
  app.addHook('preClose', async () => {
    closing = true;
    const ending = [...open.values()];
    for (const subscription of open.keys()) subscription.close();
    await Promise.all(ending);
  });

  /**
   * The filter of what the caller may see live of the resource: its own
   * tenancy's readings for a tenant, the building's own meters for a
   * landlord, its organisation's for an operator.
   */
  async function filterFor(
    request: FastifyRequest,
    scope: ResourceScope,
    property: Property,
    base: LiveFilter,
    unitId: string | undefined,
  ): Promise<LiveFilter> {
    const grants = request.authorize(scope);
    const at = now();
    const reach = await reachOf(request, grants, {
      tenancies,
      property,
      ...(unitId === undefined ? {} : { unitId }),
      now: at,
    });
    switch (reach.view) {
      case 'manager':
        return reach.organisationId === undefined
          ? base
          : { ...base, organisationId: reach.organisationId };
      case 'landlord':
        if (unitId !== undefined) throw unitValuesRefused();
        return { ...base, unitValues: false };
      case 'tenant': {
        if (unitId === undefined) throw unitValuesRefused();
        const today = localDay(at.toISOString(), property.timeZone);
        const period = reach.periods.find((p) => periodCovers(p, today));
        if (period === undefined) throw outsideTenancy();
        const window = periodInstants(period, property.timeZone);
        return {
          ...base,
          notBefore: window.from,
          ...(window.to === undefined ? {} : { notAfter: window.to }),
        };
      }
    }
  }

  app.get(
    '/v1/live',
    {
      config: { access: { roles: INGEST_READERS, embed: true } },
      // A HEAD would open a stream that never ends, for nothing.
      exposeHeadRoute: false,
      schema: {
        operationId: 'streamLiveReadings',
        tags: ['readings'],
        summary: 'New readings as they are stored (Server-Sent Events)',
        description:
          'Name exactly one of `unitId`, `propertyId`, `meterId`. Each new reading comes as an ' +
          'event `reading` whose data is the reading as listMeterReadings shows it and whose ' +
          '`id` is `<at>#<digest>`; a comment every 15 seconds keeps the connection open. Who ' +
          'sees what is as for the readings: tenants (and a unit’s widgets) their unit’s ' +
          'meters during their current tenancy, landlords (and a property’s widgets) the ' +
          'building’s own meters only, operators their organisation’s. A client that does not ' +
          'keep up is sent an event `overflow` (data `{"reason": "too-slow"}`) and the stream ' +
          'ends, as is every client when the server may have missed readings (`"interrupted"`: ' +
          'its feed from the ingest workers was down): reconnect with `Last-Event-ID`, or read ' +
          'what was missed from listMeterReadings. Send the token in the Authorization header ' +
          '(fetch, not EventSource).\n\n' +
          'Resuming: a client that reconnects sends the id of the last event it got as ' +
          '`Last-Event-ID` (or, if it cannot set headers, as `lastEventId`; the header wins). ' +
          'The stream then first replays, from the store and in id order, the readings after ' +
          'that id the caller may see, and continues live without a gap or a repeat between ' +
          'the two. By default a replay covers ids at most 15 minutes from now and at most 1000 ' +
          'readings (and, for a property, 1000 meters); otherwise, or for an id this API did ' +
          'not send, the stream starts with an event `reset` (data `{"reason": ' +
          '"out-of-window" | "too-many" | "invalid-id"}`) and continues live: read what was ' +
          'missed from listMeterReadings. "After" is in id order, the time a reading was first ' +
          'heard: a reading heard earlier but delivered late by a gateway’s buffer while the ' +
          'client was away is not replayed, and if the last event was such a late reading, ' +
          'readings sent before it may come again (their ids are the same).\n\n' +
          'Alarms: with `alarms=true` the stream also carries an event `alarm` (no `id`) each ' +
          'time an alarm of a meter in scope is raised or cleared; its data is the alarm as ' +
          'listMeterAlarms shows it to the caller, plus `type` (`raised` | `cleared`). Tenants ' +
          'are told of alarms that began in their tenancy. Alarms are not replayed on resume: ' +
          'read listMeterAlarms or listOrganisationAlarms after a reconnect.',
        querystring: LiveQuery,
        headers: LiveHeaders,
        response: {
          200: {
            description: 'An event stream (text/event-stream) that stays open.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          503: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { query } = request;
      let filter: LiveFilter;
      switch (targetOf(query)) {
        case 'meterId': {
          const meter = await meters.get(partnerId, query.meterId!);
          if (meter === null) throw notFound(`meter ${query.meterId}`);
          const property = await loadProperty(properties, partnerId, meter.propertyId);
          filter = await filterFor(
            request,
            meterScope(meter),
            property,
            { partnerId, meterId: meter.id },
            meter.unitId,
          );
          break;
        }
        case 'unitId': {
          const { unit, property } = await loadUnit(
            { properties, units },
            partnerId,
            query.unitId!,
          );
          filter = await filterFor(
            request,
            unitScope(property, unit),
            property,
            { partnerId, unitId: unit.id },
            unit.id,
          );
          break;
        }
        case 'propertyId': {
          const property = await loadProperty(properties, partnerId, query.propertyId!);
          filter = await filterFor(
            request,
            propertyScope(property),
            property,
            { partnerId, propertyId: property.id },
            undefined,
          );
          break;
        }
      }

      if (query.alarms === true) filter = { ...filter, alarms: true };
      // Subscribed before the store is read: what is stored meanwhile comes live, not lost.
      let subscription: LiveSubscription;
      try {
        subscription = hub.subscribe(filter);
      } catch (error) {
        if (isDomainError(error)) throw error;
        throw new DomainError('SERVICE_UNAVAILABLE', 'too many live streams at once', {
          cause: error,
        });
      }
      const lastEventId = request.headers['last-event-id'] || query.lastEventId;
      let resume: ResumePlan | null = null;
      if (lastEventId) {
        try {
          resume = await planResume({
            ingest,
            meters,
            filter,
            lastEventId,
            now: now(),
            limits: resumeLimits,
          });
        } catch (error) {
          subscription.close();
          throw error;
        }
      }
      // Closed while the store was read: a stream begun now would hold the close up.
      if (closing) {
        subscription.close();
        throw new DomainError('SERVICE_UNAVAILABLE', 'the server is shutting down');
      }
      reply.hijack();
      const raw = reply.raw;
      // The hooks' headers (CORS) sit on the reply, helmet's on the raw response already.
      const headers: OutgoingHttpHeaders = {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        // The connection ends with the stream: nothing is sent on it afterwards.
        connection: 'close',
        'x-request-id': request.id,
      };
      raw.writeHead(200, headers);
      raw.write(`retry: ${RETRY_MS}\n\n`);

      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), heartbeatMs);
      heartbeat.unref();
      const stop = () => subscription.close();
      raw.on('close', stop);

      /** Sends one event; waits while the client's buffer is full (the hub queues meanwhile). */
      const send = async (event: string) => {
        if (raw.write(event)) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            raw.off('drain', done);
            raw.off('close', done);
            resolve();
          };
          raw.on('drain', done);
          raw.on('close', done);
        });
      };
      const readingEvent = (reading: Reading) =>
        `id: ${liveEventId(reading)}\nevent: reading\n` +
        `data: ${JSON.stringify(readingView(reading))}\n\n`;
      // No id: an alarm is not a place in the readings to resume from, and the client's
      // Last-Event-ID stays the last reading's.
      const alarmEvent = (alarm: AlarmEvent) =>
        `event: alarm\ndata: ${JSON.stringify({
          type: alarm.type,
          ...alarmView(
            {
              ...alarm,
              ...(alarm.type === 'cleared' ? { clearedAt: alarm.at } : {}),
            },
            filter.notBefore !== undefined
              ? 'tenant'
              : filter.unitValues === false
                ? 'landlord'
                : 'manager',
          ),
        })}\n\n`;
      /** Replayed readings by meter and id: their live copies, if any come, are not sent again. */
      const replayed = new Set<string>();

      const pump = (async () => {
        try {
          if (resume !== null && 'reset' in resume) {
            await send(`event: reset\ndata: ${JSON.stringify({ reason: resume.reset })}\n\n`);
          } else if (resume !== null) {
            for (const reading of resume.replay) {
              if (raw.destroyed) break;
              replayed.add(`${reading.meterId}#${liveEventId(reading)}`);
              await send(readingEvent(reading));
            }
          }
          for await (const item of subscription) {
            if (item.type === 'alarm') {
              await send(alarmEvent(item.alarm));
              continue;
            }
            const { reading } = item;
            if (replayed.delete(`${reading.meterId}#${liveEventId(reading)}`)) continue;
            await send(readingEvent(reading));
          }
          if (subscription.endedBecause !== null && !raw.destroyed) {
            const reason = JSON.stringify({ reason: subscription.endedBecause });
            raw.write(`event: overflow\ndata: ${reason}\n\n`);
          }
        } catch (error) {
          request.log.warn({ err: error }, 'live stream failed');
        } finally {
          clearInterval(heartbeat);
          raw.off('close', stop);
          subscription.close();
          // Ended once the last byte left (the connection then closes), or the client went away.
          if (!raw.destroyed) {
            await new Promise<void>((resolve) => {
              raw.once('close', resolve);
              raw.end(resolve);
            });
          }
          open.delete(subscription);
        }
      })();
      open.set(subscription, pump);
      return reply;
    },
  );
};

export default liveRoutes;
