import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Role } from '../../auth/principal.js';
import type { AuditLog } from '../../domain/audit.js';
import type { OrganisationStore } from '../../domain/tenancy/ports.js';
import { AuditQuery } from '../schemas/audit.js';
import { ErrorRef } from '../schemas/common.js';
import { pageOptions, partnerOf, requireOrganisation } from './tenancy-access.js';

export interface AuditRoutesOptions {
  audit: Pick<AuditLog, 'listByPartner' | 'listByOrganisation'>;
  organisations: Pick<OrganisationStore, 'get'>;
}

/** Partner admins read the partner's log; operators their organisation's part of it. */
const READERS: readonly Role[] = ['partner-admin', 'operator'];

const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, options) => {
  const { audit, organisations } = options;

  app.get(
    '/v1/audit',
    {
      config: { access: { roles: READERS } },
      schema: {
        operationId: 'listAuditEntries',
        tags: ['audit'],
        summary: 'Who changed what, newest first',
        description:
          "Partner admins: the partner's whole log, or an organisation's with `organisationId`. " +
          'Operators name their organisation and see the changes to its records (properties, ' +
          'units, tenancies, meters, gateways, its API keys). Users and partners belong to no ' +
          'organisation: their changes are in the partner’s log only. Secrets never appear; a ' +
          'changed password shows by name in `changed`. Paginated.',
        querystring: AuditQuery,
        response: {
          200: Type.Ref('AuditEntryList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { organisationId } = request.query;
      const page = pageOptions(request.query);
      // Without an organisation the target is the partner, which only partner admins reach.
      request.authorize(
        organisationId === undefined ? { partnerId } : { partnerId, organisationId },
      );
      if (organisationId !== undefined) {
        await requireOrganisation(organisations, partnerId, organisationId);
      }
      const entries =
        organisationId === undefined
          ? await audit.listByPartner(partnerId, page)
          : await audit.listByOrganisation(partnerId, organisationId, page);
      // Names, addresses and who-did-what: not for shared caches.
      return reply.header('cache-control', 'private, no-store').send(entries);
    },
  );
};

export default auditRoutes;
