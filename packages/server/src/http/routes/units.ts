import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Role } from '../../auth/principal.js';
import type { PropertyStore, UnitStore } from '../../domain/tenancy/ports.js';
import type { UnitPatch } from '../../domain/tenancy/unit.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import { PropertyParams } from '../schemas/properties.js';
import { DeleteQuery, PageQuery } from '../schemas/tenancy-common.js';
import { CreateUnitRequest, UnitParams, UpdateUnitRequest } from '../schemas/units.js';
import {
  loadProperty,
  loadUnit,
  MANAGERS,
  pageOptions,
  partnerOf,
  patchOf,
  propertyScope,
  unitScope,
} from './tenancy-access.js';

export interface UnitRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  units: UnitStore;
}

/** A landlord sees the property's units; a tenant only the unit its grant names. */
const LIST_READERS: readonly Role[] = [...MANAGERS, 'landlord'];
const READERS: readonly Role[] = [...MANAGERS, 'landlord', 'tenant'];

const unitRoutes: FastifyPluginAsyncTypebox<UnitRoutesOptions> = async (app, options) => {
  const { properties, units } = options;

  app.post(
    '/v1/properties/:propertyId/units',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'createUnit',
        tags: ['units'],
        summary: 'Add a unit (dwelling) to a property',
        params: PropertyParams,
        body: CreateUnitRequest,
        response: {
          201: Type.Ref('Unit'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      request.authorize(propertyScope(property));
      const unit = await units.create(
        partnerId,
        { ...request.body, propertyId: property.id },
        actorOf(request),
      );
      return reply.code(201).send(unit);
    },
  );

  app.get(
    '/v1/properties/:propertyId/units',
    {
      config: { access: { roles: LIST_READERS } },
      schema: {
        operationId: 'listUnits',
        tags: ['units'],
        summary: "A property's units",
        description: 'Oldest first, paginated.',
        params: PropertyParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('UnitList'),
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
      request.authorize(propertyScope(property));
      return units.listByProperty(partnerId, property.id, pageOptions(request.query));
    },
  );

  app.get(
    '/v1/units/:unitId',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'getUnit',
        tags: ['units'],
        summary: 'A unit',
        params: UnitParams,
        response: { 200: Type.Ref('Unit'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => {
      const { unit, property } = await loadUnit(
        { properties, units },
        partnerOf(request),
        request.params.unitId,
      );
      request.authorize(unitScope(property, unit));
      return unit;
    },
  );

  app.patch(
    '/v1/units/:unitId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'updateUnit',
        tags: ['units'],
        summary: 'Change a unit',
        description: 'Send the version last read; 409 when it changed meanwhile.',
        params: UnitParams,
        body: UpdateUnitRequest,
        response: {
          200: Type.Ref('Unit'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
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
      request.authorize(unitScope(property, unit));
      return units.update(
        partnerId,
        unit.id,
        patchOf(request.body) as UnitPatch,
        request.body.version,
        actorOf(request),
      );
    },
  );

  app.delete(
    '/v1/units/:unitId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'deleteUnit',
        tags: ['units'],
        summary: 'Delete a unit without tenancies or meters',
        description: '409 while it has tenancies or meters, or when the version is not the latest.',
        params: UnitParams,
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
      const partnerId = partnerOf(request);
      const { unit, property } = await loadUnit(
        { properties, units },
        partnerId,
        request.params.unitId,
      );
      request.authorize(unitScope(property, unit));
      await units.delete(partnerId, unit.id, request.query.version, actorOf(request));
      return reply.code(204).send(null);
    },
  );
};

export default unitRoutes;
