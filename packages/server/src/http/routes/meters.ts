import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ResourceScope } from '../../auth/authorize.js';
import type { Role, RoleGrant } from '../../auth/principal.js';
import type { Meter, MeterPatch, NewMeter } from '../../domain/tenancy/meter.js';
import type { MeterStore, PropertyStore, UnitStore } from '../../domain/tenancy/ports.js';
import type { MeterKeyStatus, MeterKeyStore } from '../../store/dynamodb-meter-key-store.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import { CreateMeterRequest, MeterParams, UpdateMeterRequest } from '../schemas/meters.js';
import { PropertyParams } from '../schemas/properties.js';
import { DeleteQuery, PageQuery } from '../schemas/tenancy-common.js';
import { UnitParams } from '../schemas/units.js';
import {
  loadProperty,
  loadUnit,
  MANAGERS,
  notFound,
  pageOptions,
  partnerOf,
  patchOf,
  propertyScope,
  unitScope,
  viewOf,
} from './tenancy-access.js';

export interface MeterRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get'>;
  meters: MeterStore;
  /** Whether a key is stored, and under which master key (never the key); delete drops it. */
  meterKeys: Pick<MeterKeyStore, 'statuses' | 'delete'>;
}

/**
 * Landlords see the meters of their property, tenants those of their unit:
 * what is installed where, not its readings and not its key's status.
 */
const PROPERTY_READERS: readonly Role[] = [...MANAGERS, 'landlord'];
const READERS: readonly Role[] = [...MANAGERS, 'landlord', 'tenant'];

/** The meter's own place, as stored: its operator may differ from its property's today. */
export function meterScope(meter: Meter): ResourceScope {
  return {
    partnerId: meter.partnerId,
    organisationId: meter.organisationId,
    propertyId: meter.propertyId,
    ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
  };
}

/**
 * The meter as the API shows it: never the keyRef (a handle into the key
 * store), and the key's status to those who manage keys only.
 */
export function meterView(
  meter: Meter,
  grants: readonly RoleGrant[],
  key: MeterKeyStatus | undefined,
): Record<string, unknown> {
  const { keyRef: _keyRef, ...rest } = meter;
  if (viewOf(grants) !== 'manager') return rest;
  return {
    ...rest,
    hasKey: key !== undefined,
    ...(key === undefined
      ? {}
      : { key: { masterKeyId: key.masterKeyId, updatedAt: key.updatedAt } }),
  };
}

/** Key statuses of the meters that name a key, in one batch read. */
export async function keyStatuses(
  meterKeys: Pick<MeterKeyStore, 'statuses'>,
  partnerId: string,
  meters: readonly Meter[],
): Promise<Map<string, MeterKeyStatus>> {
  const named = meters.flatMap((m) =>
    m.keyRef === undefined ? [] : [{ meterId: m.id, keyRef: m.keyRef }],
  );
  return named.length === 0 ? new Map() : meterKeys.statuses(partnerId, named);
}

const meterRoutes: FastifyPluginAsyncTypebox<MeterRoutesOptions> = async (app, options) => {
  const { properties, units, meters, meterKeys } = options;

  async function reachable(request: FastifyRequest, meterId: string) {
    const meter = await meters.get(partnerOf(request), meterId);
    if (meter === null) throw notFound(`meter ${meterId}`);
    const grants = request.authorize(meterScope(meter));
    return { meter, grants };
  }

  async function shown(meter: Meter, grants: readonly RoleGrant[]) {
    if (viewOf(grants) !== 'manager') return meterView(meter, grants, undefined);
    const statuses = await keyStatuses(meterKeys, meter.partnerId, [meter]);
    return meterView(meter, grants, statuses.get(meter.id));
  }

  async function page(
    partnerId: string,
    grants: readonly RoleGrant[],
    found: { items: Meter[]; cursor: string | null },
  ) {
    const statuses =
      viewOf(grants) === 'manager'
        ? await keyStatuses(meterKeys, partnerId, found.items)
        : new Map<string, MeterKeyStatus>();
    return {
      items: found.items.map((m) => meterView(m, grants, statuses.get(m.id))),
      cursor: found.cursor,
    };
  }

  app.post(
    '/v1/properties/:propertyId/meters',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'createMeter',
        tags: ['meters'],
        summary: 'Install a meter in a property or one of its units',
        description:
          'The meter belongs to the property’s metering operator. 404 when the unit is not the ' +
          'property’s; 409 when an installed meter of the partner has the same identity.',
        params: PropertyParams,
        body: CreateMeterRequest,
        response: {
          201: Type.Ref('Meter'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      const grants = request.authorize(propertyScope(property));
      const meter = await meters.create(
        partnerId,
        { ...request.body, propertyId: property.id } as NewMeter,
        actorOf(request),
      );
      return reply.code(201).send(meterView(meter, grants, undefined));
    },
  );

  app.get(
    '/v1/properties/:propertyId/meters',
    {
      config: { access: { roles: PROPERTY_READERS } },
      schema: {
        operationId: 'listPropertyMeters',
        tags: ['meters'],
        summary: "A property's meters",
        description:
          'The building’s own meters first, then by unit; removed ones included. Paginated.',
        params: PropertyParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('MeterList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      const grants = request.authorize(propertyScope(property));
      const found = await meters.listByProperty(partnerId, property.id, pageOptions(request.query));
      return page(partnerId, grants, found);
    },
  );

  app.get(
    '/v1/units/:unitId/meters',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'listUnitMeters',
        tags: ['meters'],
        summary: "A unit's meters",
        description: 'Removed ones included. Paginated.',
        params: UnitParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('MeterList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const { unit, property } = await loadUnit(
        { properties, units },
        partnerId,
        request.params.unitId,
      );
      const grants = request.authorize(unitScope(property, unit));
      const found = await meters.listByUnit(partnerId, unit.id, pageOptions(request.query));
      return page(partnerId, grants, found);
    },
  );

  app.get(
    '/v1/meters/:meterId',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'getMeter',
        tags: ['meters'],
        summary: 'A meter',
        params: MeterParams,
        response: { 200: Type.Ref('Meter'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => {
      const { meter, grants } = await reachable(request, request.params.meterId);
      return shown(meter, grants);
    },
  );

  app.patch(
    '/v1/meters/:meterId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'updateMeter',
        tags: ['meters'],
        summary: 'Change a meter, or retire it (removedAt)',
        description:
          'Send the version last read; 409 when it changed meanwhile. Setting `removedAt` ' +
          'retires the meter and frees its identity.',
        params: MeterParams,
        body: UpdateMeterRequest,
        response: {
          200: Type.Ref('Meter'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const { meter, grants } = await reachable(request, request.params.meterId);
      const updated = await meters.update(
        meter.partnerId,
        meter.id,
        patchOf(request.body) as MeterPatch,
        request.body.version,
        actorOf(request),
      );
      return shown(updated, grants);
    },
  );

  app.delete(
    '/v1/meters/:meterId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'deleteMeter',
        tags: ['meters'],
        summary: 'Delete a meter entered by mistake',
        description: 'A meter that was in use is retired instead (PATCH `removedAt`).',
        params: MeterParams,
        querystring: DeleteQuery,
        response: {
          204: Type.Null(),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const { meter } = await reachable(request, request.params.meterId);
      await meters.delete(meter.partnerId, meter.id, request.query.version, actorOf(request));
      // After the meter: a crash in between leaves an unreachable key, never a keyless meter.
      await meterKeys.delete(meter.partnerId, meter.id);
      return reply.code(204).send(null);
    },
  );
};

export default meterRoutes;
