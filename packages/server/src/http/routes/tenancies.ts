import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Role, RoleGrant } from '../../auth/principal.js';
import { DomainError } from '../../domain/errors.js';
import type {
  PropertyStore,
  TenancyStore,
  UnitStore,
  UserStore,
} from '../../domain/tenancy/ports.js';
import type { Tenancy, TenancyPatch } from '../../domain/tenancy/tenancy.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import { CreateTenancyRequest, TenancyParams, UpdateTenancyRequest } from '../schemas/tenancies.js';
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
  unitScope,
  viewOf,
} from './tenancy-access.js';

export interface TenancyRoutesOptions {
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get'>;
  tenancies: TenancyStore;
  /** Tenants named in a tenancy must be users of the partner. */
  users: Pick<UserStore, 'get'>;
}

/**
 * Landlords see the tenancies of their property without the tenants' ids;
 * tenants see the tenancies they are a tenant of, also without them (nobody
 * reads who else shares a lease through the API).
 */
const READERS: readonly Role[] = [...MANAGERS, 'landlord', 'tenant'];

/** Whether a caller that reached the unit as its tenant is a tenant of this tenancy. */
function isTenantOf(request: FastifyRequest, grants: readonly RoleGrant[], tenancy: Tenancy) {
  const principal = request.principal;
  if (principal === null) return false;
  return (
    grants.some((g) => g.tenancyId === tenancy.id) ||
    (principal.kind === 'user' && tenancy.tenantUserIds.includes(principal.subject))
  );
}

/** The tenancy as the reaching grants may see it, or null when it is not theirs to see. */
function visible(
  request: FastifyRequest,
  grants: readonly RoleGrant[],
  tenancy: Tenancy,
): Partial<Tenancy> | null {
  const view = viewOf(grants);
  if (view === 'manager') return tenancy;
  if (view === 'tenant' && !isTenantOf(request, grants, tenancy)) return null;
  const { tenantUserIds: _hidden, ...rest } = tenancy;
  return rest;
}

const tenancyRoutes: FastifyPluginAsyncTypebox<TenancyRoutesOptions> = async (app, options) => {
  const { properties, units, tenancies, users } = options;

  async function checkTenants(partnerId: string, userIds: readonly string[] | undefined) {
    for (const [index, userId] of (userIds ?? []).entries()) {
      if ((await users.get(partnerId, userId)) === null) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `tenantUserIds/${index}: no user of the partner has this id`,
          { details: { field: `tenantUserIds/${index}`, reason: 'not-allowed' } },
        );
      }
    }
  }

  /** The tenancy with the grants that reach it; its property and unit come from the store. */
  async function reachable(request: FastifyRequest, tenancyId: string) {
    const partnerId = partnerOf(request);
    const tenancy = await tenancies.get(partnerId, tenancyId);
    if (tenancy === null) throw notFound(`tenancy ${tenancyId}`);
    const property = await loadProperty(properties, partnerId, tenancy.propertyId);
    const grants = request.authorize({
      partnerId,
      organisationId: property.organisationId,
      propertyId: property.id,
      unitId: tenancy.unitId,
    });
    return { tenancy, grants };
  }

  app.post(
    '/v1/units/:unitId/tenancies',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'createTenancy',
        tags: ['tenancies'],
        summary: 'Start a tenancy of a unit',
        description:
          'Days are inclusive at both ends. 409 when it overlaps another tenancy of the unit; ' +
          '400 when a tenant is not a user of the partner.',
        params: UnitParams,
        body: CreateTenancyRequest,
        response: {
          201: Type.Ref('Tenancy'),
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
      await checkTenants(partnerId, request.body.tenantUserIds);
      const tenancy = await tenancies.create(
        partnerId,
        { ...request.body, unitId: unit.id },
        actorOf(request),
      );
      return reply.code(201).send(tenancy);
    },
  );

  app.get(
    '/v1/units/:unitId/tenancies',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'listTenancies',
        tags: ['tenancies'],
        summary: "A unit's tenancies",
        description:
          'By first day, paginated. A tenant sees only the tenancies it is a tenant of, so a ' +
          'page may hold fewer items than the limit while `cursor` says more follow.',
        params: UnitParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('TenancyList'),
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
      const page = await tenancies.listByUnit(partnerId, unit.id, pageOptions(request.query));
      return {
        items: page.items.flatMap((t) => visible(request, grants, t) ?? []),
        cursor: page.cursor,
      };
    },
  );

  app.get(
    '/v1/tenancies/:tenancyId',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'getTenancy',
        tags: ['tenancies'],
        summary: 'A tenancy',
        description: 'Tenants reach only the tenancies they are a tenant of (403 otherwise).',
        params: TenancyParams,
        response: { 200: Type.Ref('Tenancy'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => {
      const { tenancy, grants } = await reachable(request, request.params.tenancyId);
      const shown = visible(request, grants, tenancy);
      if (shown === null) {
        throw new DomainError('FORBIDDEN', 'the caller is not a tenant of this tenancy');
      }
      return shown;
    },
  );

  app.patch(
    '/v1/tenancies/:tenancyId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'updateTenancy',
        tags: ['tenancies'],
        summary: 'Change a tenancy’s days or tenants',
        description:
          'Send the version last read; 409 when it changed meanwhile or the new days overlap ' +
          'another tenancy of the unit.',
        params: TenancyParams,
        body: UpdateTenancyRequest,
        response: {
          200: Type.Ref('Tenancy'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const { tenancy } = await reachable(request, request.params.tenancyId);
      await checkTenants(tenancy.partnerId, request.body.tenantUserIds);
      return tenancies.update(
        tenancy.partnerId,
        tenancy.id,
        patchOf(request.body) as TenancyPatch,
        request.body.version,
        actorOf(request),
      );
    },
  );

  app.delete(
    '/v1/tenancies/:tenancyId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'deleteTenancy',
        tags: ['tenancies'],
        summary: 'Delete a tenancy',
        description: 'For one entered by mistake; a tenancy that ended gets its last day (`to`).',
        params: TenancyParams,
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
      const { tenancy } = await reachable(request, request.params.tenancyId);
      await tenancies.delete(
        tenancy.partnerId,
        tenancy.id,
        request.query.version,
        actorOf(request),
      );
      return reply.code(204).send(null);
    },
  );
};

export default tenancyRoutes;
