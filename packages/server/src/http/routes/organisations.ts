import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Role } from '../../auth/principal.js';
import { DomainError } from '../../domain/errors.js';
import type {
  NewOrganisation,
  Organisation,
  OrganisationPatch,
} from '../../domain/tenancy/organisation.js';
import type { OrganisationStore } from '../../domain/tenancy/ports.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import {
  CreateOrganisationRequest,
  OrganisationParams,
  UpdateOrganisationRequest,
} from '../schemas/organisations.js';
import { DeleteQuery, PageQuery } from '../schemas/tenancy-common.js';
import { pageOptions, partnerOf } from './tenancy-access.js';

export interface OrganisationRoutesOptions {
  organisations: Pick<OrganisationStore, 'create' | 'get' | 'list' | 'update' | 'delete'>;
}

/** Partner admins set organisations up and remove them. */
const ADMINS: readonly Role[] = ['partner-admin'];
/** An operator reads and keeps its own organisation's name and contact up to date. */
const MEMBERS: readonly Role[] = ['partner-admin', 'operator'];

const organisationRoutes: FastifyPluginAsyncTypebox<OrganisationRoutesOptions> = async (
  app,
  options,
) => {
  const { organisations } = options;

  /** The organisation, if the caller may see it: another partner's is NOT_FOUND, as a missing one is. */
  async function reachable(request: FastifyRequest, organisationId: string) {
    const organisation = await organisations.get(partnerOf(request), organisationId);
    if (organisation === null) {
      throw new DomainError('NOT_FOUND', `no organisation '${organisationId}'`);
    }
    request.authorize({ partnerId: organisation.partnerId, organisationId: organisation.id });
    return organisation;
  }

  app.post(
    '/v1/organisations',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'createOrganisation',
        tags: ['organisations'],
        summary: 'Create an organisation (metering operator or property manager)',
        description: "Partner admins only; the organisation belongs to the caller's partner.",
        body: CreateOrganisationRequest,
        response: { 201: Type.Ref('Organisation'), 400: ErrorRef, 401: ErrorRef, 403: ErrorRef },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      request.authorize({ partnerId });
      const { name, kind, contact } = request.body;
      const input: NewOrganisation = { name, kind, ...(contact === undefined ? {} : { contact }) };
      const organisation = await organisations.create(partnerId, input, actorOf(request));
      return reply.code(201).send(organisation);
    },
  );

  app.get(
    '/v1/organisations',
    {
      config: { access: { roles: MEMBERS } },
      schema: {
        operationId: 'listOrganisations',
        tags: ['organisations'],
        summary: 'List the organisations the caller reaches',
        description:
          'Partner admins: every organisation of the partner, oldest first, paginated. Operators: ' +
          'the organisations their grants name, in one page (limit and cursor do not apply).',
        querystring: PageQuery,
        response: {
          200: Type.Ref('OrganisationList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const partnerId = principal.partnerId;
      if (principal.grants.some((g) => g.role === 'partner-admin')) {
        request.authorize({ partnerId });
        return organisations.list(partnerId, pageOptions(request.query));
      }
      const named = new Set(
        principal.grants.flatMap((g) =>
          g.role === 'operator' && g.organisationId !== undefined ? [g.organisationId] : [],
        ),
      );
      const items: Organisation[] = [];
      for (const organisationId of named) {
        // A grant may outlive its organisation: a removed one is left out, not an error.
        const organisation = await organisations.get(partnerId, organisationId);
        if (organisation === null) continue;
        request.authorize({ partnerId: organisation.partnerId, organisationId: organisation.id });
        items.push(organisation);
      }
      items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
      return { items, cursor: null };
    },
  );

  app.get(
    '/v1/organisations/:organisationId',
    {
      config: { access: { roles: MEMBERS } },
      schema: {
        operationId: 'getOrganisation',
        tags: ['organisations'],
        summary: 'An organisation with its contact',
        description: 'Partner admins read any of the partner; operators their own.',
        params: OrganisationParams,
        response: { 200: Type.Ref('Organisation'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => reachable(request, request.params.organisationId),
  );

  app.patch(
    '/v1/organisations/:organisationId',
    {
      config: { access: { roles: MEMBERS } },
      schema: {
        operationId: 'updateOrganisation',
        tags: ['organisations'],
        summary: "Change an organisation's name or contact",
        description:
          'Send the `version` last read: when the organisation changed since, nothing is ' +
          'changed and the answer is 409. Partner admins change any of the partner; operators ' +
          'their own.',
        params: OrganisationParams,
        body: UpdateOrganisationRequest,
        response: {
          200: Type.Ref('Organisation'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const organisation = await reachable(request, request.params.organisationId);
      const { version, name, contact } = request.body;
      const patch: OrganisationPatch = {
        ...(name === undefined ? {} : { name }),
        ...(contact === undefined ? {} : { contact }),
      };
      return organisations.update(
        organisation.partnerId,
        organisation.id,
        patch,
        version,
        actorOf(request),
      );
    },
  );

  app.delete(
    '/v1/organisations/:organisationId',
    {
      config: { access: { roles: ADMINS } },
      schema: {
        operationId: 'deleteOrganisation',
        tags: ['organisations'],
        summary: 'Delete an organisation',
        description:
          'Partner admins only, with the `version` last read (409 when stale). 409 as well while ' +
          'properties name it as their operator or manager.',
        params: OrganisationParams,
        querystring: DeleteQuery,
        response: {
          204: Type.Null({ description: 'Deleted.' }),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const organisation = await reachable(request, request.params.organisationId);
      await organisations.delete(
        organisation.partnerId,
        organisation.id,
        request.query.version,
        actorOf(request),
      );
      return reply.code(204).send(null);
    },
  );
};

export default organisationRoutes;
