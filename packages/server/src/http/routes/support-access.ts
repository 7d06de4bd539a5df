import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { authorize } from '../../auth/authorize.js';
import type { Role } from '../../auth/principal.js';
import { newSupportGrantId, supportScope, withoutSupport } from '../../auth/support-access.js';
import type { AuditLog } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import {
  newSupportGrant,
  supportGrantStatus,
  type SupportGrant,
  type SupportGrantStore,
} from '../../domain/support-access.js';
import type { OrganisationStore, UserStore } from '../../domain/tenancy/ports.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import {
  CreateSupportAccessRequest,
  OrganisationSupportParams,
  SupportAccessParams,
} from '../schemas/support-access.js';
import { PageQuery } from '../schemas/tenancy-common.js';
import { pageOptions, partnerOf } from './tenancy-access.js';

export interface SupportAccessRoutesOptions {
  /** The store the authenticator reads, so that a revocation holds from the next request on. */
  supportGrants: Pick<SupportGrantStore, 'create' | 'get' | 'listByOrganisation' | 'revoke'>;
  organisations: Pick<OrganisationStore, 'get'>;
  users: Pick<UserStore, 'get'>;
  audit: Pick<AuditLog, 'append'>;
  now?: () => Date;
  newId?: () => string;
}

/** The organisation's own managers open the door: its operators and the partner's admins. */
const MANAGERS: readonly Role[] = ['partner-admin', 'operator'];

const supportAccessRoutes: FastifyPluginAsyncTypebox<SupportAccessRoutesOptions> = async (
  app,
  options,
) => {
  const { supportGrants, organisations, users, audit } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? newSupportGrantId;

  const view = (grant: SupportGrant, at: Date) => ({
    ...grant,
    status: supportGrantStatus(grant, at),
  });

  /** The organisation, if the caller manages it: another partner's is NOT_FOUND, as a missing one is. */
  async function managed(request: FastifyRequest, organisationId: string) {
    const organisation = await organisations.get(partnerOf(request), organisationId);
    if (organisation === null) {
      throw new DomainError('NOT_FOUND', `no organisation '${organisationId}'`);
    }
    request.authorize({ partnerId: organisation.partnerId, organisationId: organisation.id });
    return organisation;
  }

  app.post(
    '/v1/organisations/:organisationId/support-access',
    {
      // Support access never counts here: support staff must not extend their own.
      config: { access: { roles: MANAGERS, apiKeys: false, support: 'none' } },
      schema: {
        operationId: 'grantSupportAccess',
        tags: ['support-access'],
        summary: 'Let a support user in, for a limited time',
        description:
          "The organisation's operators and the partner's admins let a support user of the same " +
          'partner (the gateway vendor’s or the partner’s support staff, who may hold no grants ' +
          'of their own) act as an operator of the organisation until `expiresAt`, at most 30 ' +
          'days ahead: `read` on reads only, `operate` on everything an operator may do except ' +
          'opening access (API keys, embed tokens, support access). 404 for a user the partner ' +
          'does not have; 400 for a disabled one. Audited as `support-access.granted`; every ' +
          'request the access serves as `support-access.used`, in the organisation’s log.',
        params: OrganisationSupportParams,
        body: CreateSupportAccessRequest,
        response: {
          201: Type.Ref('SupportAccess'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const organisation = await managed(request, request.params.organisationId);
      const { userId, access, reason, expiresAt } = request.body;
      const user = await users.get(organisation.partnerId, userId);
      if (user === null) {
        throw new DomainError('NOT_FOUND', `no user '${userId}'`, { details: { field: 'userId' } });
      }
      if (user.status !== 'active') {
        throw new DomainError('VALIDATION_FAILED', 'userId: the user is disabled', {
          details: { field: 'userId', reason: 'not-allowed' },
        });
      }
      const at = now();
      const grant = newSupportGrant(
        newId(),
        organisation.partnerId,
        { organisationId: organisation.id, userId: user.id, access, reason, expiresAt },
        actorOf(request),
        at,
      );
      await supportGrants.create(grant);
      await audit.append({
        partnerId: grant.partnerId,
        organisationId: grant.organisationId,
        actor: grant.grantedBy,
        action: 'support-access.granted',
        target: { type: 'support-access', id: grant.id },
        after: grant,
      });
      return reply.code(201).send(view(grant, at));
    },
  );

  app.get(
    '/v1/organisations/:organisationId/support-access',
    {
      config: { access: { roles: MANAGERS, support: 'none' } },
      schema: {
        operationId: 'listSupportAccess',
        tags: ['support-access'],
        summary: 'Who was let in: active support access and access that ended',
        description:
          'Newest first, paginated. Access that expired or was revoked stays listed for 90 days ' +
          'after it ended.',
        params: OrganisationSupportParams,
        querystring: PageQuery,
        response: {
          200: Type.Ref('SupportAccessList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const organisation = await managed(request, request.params.organisationId);
      const page = await supportGrants.listByOrganisation(
        organisation.partnerId,
        organisation.id,
        pageOptions(request.query),
      );
      const at = now();
      return { items: page.items.map((grant) => view(grant, at)), cursor: page.cursor };
    },
  );

  app.delete(
    '/v1/organisations/:organisationId/support-access/:supportAccessId',
    {
      // Both levels admitted, so that a `read` grantee can end their own access;
      // the handler lets support users end nothing else.
      config: { access: { roles: MANAGERS, support: 'any' } },
      schema: {
        operationId: 'revokeSupportAccess',
        tags: ['support-access'],
        summary: 'End support access now',
        description:
          'By the organisation’s operators or the partner’s admins, or by the support user ' +
          'themselves. It holds from the next request on. Access that has ended already is ' +
          'answered as it is. Audited as `support-access.revoked`.',
        params: SupportAccessParams,
        response: {
          200: Type.Ref('SupportAccess'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const { organisationId, supportAccessId } = request.params;
      const principal = request.principal!;
      const grant = await supportGrants.get(partnerOf(request), supportAccessId);
      if (grant === null || grant.organisationId !== organisationId) {
        throw new DomainError('NOT_FOUND', `no support access '${supportAccessId}'`);
      }
      const grantee = principal.kind === 'user' && principal.subject === grant.userId;
      // Anyone else needs grants of their own: support access revokes no one else's.
      if (!grantee) authorize(withoutSupport(principal), MANAGERS, supportScope(grant));
      const at = now();
      if (supportGrantStatus(grant, at) !== 'active') return view(grant, at);
      const revoked = await supportGrants.revoke(
        grant.partnerId,
        grant.id,
        at.toISOString(),
        actorOf(request),
      );
      if (revoked === null) throw new DomainError('NOT_FOUND', `no support access '${grant.id}'`);
      // Only the revocation that took effect is logged: the store keeps the first one.
      if (revoked.revokedAt === at.toISOString()) {
        await audit.append({
          partnerId: revoked.partnerId,
          organisationId: revoked.organisationId,
          actor: actorOf(request),
          action: 'support-access.revoked',
          target: { type: 'support-access', id: revoked.id },
          before: grant,
          after: revoked,
          changed: ['revokedAt', 'revokedBy'],
        });
      }
      return view(revoked, at);
    },
  );
};

export default supportAccessRoutes;
