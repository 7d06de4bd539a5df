import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { alarmId, parseAlarmId } from '../../domain/alarms/alarm.js';
import type { AuditLog } from '../../domain/audit.js';
import type {
  MeterStore,
  OrganisationStore,
  PropertyStore,
  TenancyStore,
} from '../../domain/tenancy/ports.js';
import type { IngestStore, StoredAlarm, TimeRange } from '../../ingest/ingest-store.js';
import { actorOf } from '../actor.js';
import { AlarmParams, MeterAlarmsQuery, OrganisationAlarmsQuery } from '../schemas/alarms.js';
import { ErrorRef } from '../schemas/common.js';
import { MeterParams } from '../schemas/meters.js';
import { OrganisationParams } from '../schemas/organisations.js';
import { askedRange, INGEST_READERS, meterReach, tenancyWindows } from './ingest-access.js';
import { meterScope } from './meters.js';
import {
  MANAGERS,
  notFound,
  pageOptions,
  partnerOf,
  requireOrganisation,
} from './tenancy-access.js';

export interface AlarmRoutesOptions {
  organisations: Pick<OrganisationStore, 'get'>;
  properties: Pick<PropertyStore, 'get'>;
  tenancies: Pick<TenancyStore, 'listByUnit'>;
  meters: Pick<MeterStore, 'get'>;
  ingest: Pick<IngestStore, 'listMeterAlarms' | 'listOrganisationAlarms' | 'acknowledgeAlarm'>;
  audit: Pick<AuditLog, 'append'>;
  now?: () => Date;
}

/**
 * An alarm as the API shows it. Managers see who acknowledged it. Tenants
 * (and a unit's widgets) see neither that nor the detail, whose values may
 * reach back before their tenancy, and an end after their tenancy as none.
 */
export function alarmView(
  alarm: StoredAlarm,
  view: 'manager' | 'landlord' | 'tenant',
  tenancyEnd?: string,
): Record<string, unknown> {
  const clearedAt =
    alarm.clearedAt === undefined || (tenancyEnd !== undefined && alarm.clearedAt >= tenancyEnd)
      ? null
      : alarm.clearedAt;
  return {
    id: alarmId(alarm.code, alarm.since),
    meterId: alarm.meterId,
    propertyId: alarm.propertyId,
    ...(alarm.unitId === undefined ? {} : { unitId: alarm.unitId }),
    kind: alarm.kind,
    code: alarm.code,
    severity: alarm.severity,
    source: alarm.source,
    since: alarm.since,
    clearedAt,
    ...(alarm.detail === undefined || view === 'tenant' ? {} : { detail: alarm.detail }),
    acknowledged:
      alarm.acknowledgedAt === undefined
        ? null
        : {
            at: alarm.acknowledgedAt,
            ...(view === 'manager' && alarm.acknowledgedBy !== undefined
              ? { by: alarm.acknowledgedBy }
              : {}),
          },
  };
}

/**
 * Alarms of the ingest (src/domain/alarms): an organisation's, for its
 * operator; a meter's, for whoever may read its readings, on the same terms;
 * and the operator's acknowledgement.
 */
const alarmRoutes: FastifyPluginAsyncTypebox<AlarmRoutesOptions> = async (app, options) => {
  const { organisations, properties, tenancies, meters, ingest, audit } = options;
  const now = options.now ?? (() => new Date());

  app.get(
    '/v1/organisations/:organisationId/alarms',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listOrganisationAlarms',
        tags: ['alarms'],
        summary: "The alarms of the organisation's meters",
        description:
          'Newest first by when they began, paginated: the active ones (default), or all with ' +
          'those cleared in the last 400 days. Operators and partner admins; support access ' +
          'reads it too.',
        params: OrganisationParams,
        querystring: OrganisationAlarmsQuery,
        response: {
          200: Type.Ref('AlarmList'),
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
      const { query } = request;
      const page = await ingest.listOrganisationAlarms(partnerId, organisationId, {
        ...pageOptions(query),
        state: query.state ?? 'active',
        range: askedRange(query),
      });
      reply.header('cache-control', 'no-store');
      return { items: page.items.map((a) => alarmView(a, 'manager')), cursor: page.cursor };
    },
  );

  app.get(
    '/v1/meters/:meterId/alarms',
    {
      config: { access: { roles: INGEST_READERS, embed: true } },
      schema: {
        operationId: 'listMeterAlarms',
        tags: ['alarms'],
        summary: "A meter's alarms",
        description:
          'Newest first by when they began, paginated. On the terms of the meter’s readings: ' +
          'operators and partner admins see every alarm; tenants (and a unit’s widgets) those ' +
          'that began within their tenancy (a range wholly outside it is 403), without the ' +
          'detail, and an end after the tenancy as none; landlords (and a property’s widgets) ' +
          'only the building’s own meters (403 for a unit’s meter).',
        params: MeterParams,
        querystring: MeterAlarmsQuery,
        response: {
          200: Type.Ref('AlarmList'),
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
      /** A tenant's tenancies as instants, cut to the range; `end` where a tenancy ends. */
      let windows: Array<TimeRange & { end?: string }> | null = null;
      if (reach.view === 'tenant') {
        ({ windows, range } = tenancyWindows(reach.periods, property.timeZone, range));
      }
      const page = await ingest.listMeterAlarms(partnerId, meter.id, range, pageOptions(query));
      const items = page.items.flatMap((alarm) => {
        if (windows === null) return [alarmView(alarm, reach.view)];
        const w = windows.find((x) => alarm.since >= x.from && alarm.since < x.to);
        return w === undefined ? [] : [alarmView(alarm, 'tenant', w.end)];
      });
      reply.header('cache-control', 'no-store');
      return { items, cursor: page.cursor };
    },
  );

  app.post(
    '/v1/meters/:meterId/alarms/:alarmId/acknowledge',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'acknowledgeAlarm',
        tags: ['alarms'],
        summary: 'Acknowledge an alarm',
        description:
          'Marks the alarm seen by the caller, active or cleared, and records it in the audit ' +
          'log (`alarm.acknowledged`). Idempotent: acknowledging it again changes nothing and ' +
          'answers with the first acknowledgement. Operators and partner admins only.',
        params: AlarmParams,
        response: {
          200: Type.Ref('Alarm'),
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
      const parsed = parseAlarmId(request.params.alarmId);
      if (parsed === null) throw notFound(`alarm ${request.params.alarmId}`);
      const actor = actorOf(request);
      const { alarm, changed } = await ingest.acknowledgeAlarm(
        partnerId,
        meter.id,
        parsed.code,
        parsed.since,
        { at: now().toISOString(), actor },
      );
      if (changed) {
        await audit.append({
          partnerId,
          organisationId: meter.organisationId,
          actor,
          action: 'alarm.acknowledged',
          target: { type: 'meter', id: meter.id },
          after: {
            alarmId: request.params.alarmId,
            code: alarm.code,
            since: alarm.since,
            clearedAt: alarm.clearedAt ?? null,
            acknowledgedAt: alarm.acknowledgedAt,
          },
        });
      }
      return alarmView(alarm, 'manager');
    },
  );
};

export default alarmRoutes;
