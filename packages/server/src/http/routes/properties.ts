import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Role } from '../../auth/principal.js';
import type { OrganisationStore, PropertyStore } from '../../domain/tenancy/ports.js';
import type { NewProperty, PropertyPatch } from '../../domain/tenancy/property.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import {
  CreatePropertyRequest,
  PropertyListQuery,
  PropertyParams,
  UpdatePropertyRequest,
} from '../schemas/properties.js';
import { DeleteQuery } from '../schemas/tenancy-common.js';
import {
  loadProperty,
  MANAGERS,
  pageOptions,
  partnerOf,
  patchOf,
  propertyScope,
  requireOrganisation,
} from './tenancy-access.js';

export interface PropertyRoutesOptions {
  properties: PropertyStore;
  organisations: Pick<OrganisationStore, 'get'>;
}

/** Landlords read the property their grant names; tenants see their unit, not the building's record. */
const READERS: readonly Role[] = [...MANAGERS, 'landlord'];

const propertyRoutes: FastifyPluginAsyncTypebox<PropertyRoutesOptions> = async (app, options) => {
  const { properties, organisations } = options;

  app.post(
    '/v1/properties',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'createProperty',
        tags: ['properties'],
        summary: 'Create a property (building)',
        description:
          'For a metering operator of the partner (operators: their own organisation). 404 when ' +
          'the operator or the manager organisation does not exist.',
        body: CreatePropertyRequest,
        response: {
          201: Type.Ref('Property'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      request.authorize({ partnerId, organisationId: request.body.organisationId });
      const property = await properties.create(
        partnerId,
        request.body as NewProperty,
        actorOf(request),
      );
      return reply.code(201).send(property);
    },
  );

  app.get(
    '/v1/properties',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listProperties',
        tags: ['properties'],
        summary: "A metering operator's properties",
        description: 'Oldest first, paginated. 404 when the organisation does not exist.',
        querystring: PropertyListQuery,
        response: {
          200: Type.Ref('PropertyList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const { organisationId } = request.query;
      request.authorize({ partnerId, organisationId });
      await requireOrganisation(organisations, partnerId, organisationId);
      return properties.listByOrganisation(partnerId, organisationId, pageOptions(request.query));
    },
  );

  app.get(
    '/v1/properties/:propertyId',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'getProperty',
        tags: ['properties'],
        summary: 'A property',
        params: PropertyParams,
        response: { 200: Type.Ref('Property'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => {
      const property = await loadProperty(
        properties,
        partnerOf(request),
        request.params.propertyId,
      );
      request.authorize(propertyScope(property));
      return property;
    },
  );

  app.patch(
    '/v1/properties/:propertyId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'updateProperty',
        tags: ['properties'],
        summary: 'Change a property',
        description:
          'Send the version last read; 409 when it changed meanwhile. The operator ' +
          '(`organisationId`) does not change here (400): that is a transfer, ' +
          '`POST /v1/properties/{propertyId}/transfer`, which moves the meters along.',
        params: PropertyParams,
        body: UpdatePropertyRequest,
        response: {
          200: Type.Ref('Property'),
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
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      request.authorize(propertyScope(property));
      return properties.update(
        partnerId,
        property.id,
        patchOf(request.body) as PropertyPatch,
        request.body.version,
        actorOf(request),
      );
    },
  );

  app.delete(
    '/v1/properties/:propertyId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'deleteProperty',
        tags: ['properties'],
        summary: 'Delete a property without units or meters',
        description: '409 while it has units or meters, or when the version is not the latest.',
        params: PropertyParams,
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
      const property = await loadProperty(properties, partnerId, request.params.propertyId);
      request.authorize(propertyScope(property));
      await properties.delete(partnerId, property.id, request.query.version, actorOf(request));
      return reply.code(204).send(null);
    },
  );
};

export default propertyRoutes;
