import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  createApiKey,
  revokeApiKey,
  toApiKeyInfo,
  type ApiKeyInfo,
  type ApiKeyStore,
} from '../../auth/api-keys.js';
import type { ResourceScope } from '../../auth/authorize.js';
import type { Role } from '../../auth/principal.js';
import type { AuditLog } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { actorOf } from '../actor.js';
import { ApiKeyListQuery, ApiKeyParams, CreateApiKeyRequest } from '../schemas/api-keys.js';
import { ErrorRef } from '../schemas/common.js';
import {
  checkGrantTargets,
  grantsWithin,
  type GrantInput,
  type GrantTargetStores,
} from './grant-targets.js';
import { pageOptions, partnerOf, requireOrganisation } from './tenancy-access.js';

export interface ApiKeyRoutesOptions extends GrantTargetStores {
  /** The store the authenticator verifies keys against, so a revocation holds at once. */
  apiKeys: Pick<ApiKeyStore, 'create' | 'get' | 'revoke' | 'list'>;
  audit: Pick<AuditLog, 'append'>;
  now?: () => Date;
}

/** Partner admins manage the partner's keys; operators the keys limited to their organisation. */
const MANAGERS: readonly Role[] = ['partner-admin', 'operator'];

/** A secret in a response must not sit in a shared cache or the browser's. */
const NO_STORE = 'no-store';

function scopeOf(key: ApiKeyInfo): ResourceScope {
  return {
    partnerId: key.partnerId,
    ...(key.organisationId === undefined ? {} : { organisationId: key.organisationId }),
  };
}

const apiKeyRoutes: FastifyPluginAsyncTypebox<ApiKeyRoutesOptions> = async (app, options) => {
  const { apiKeys, audit } = options;
  const now = options.now ?? (() => new Date());

  /** The key, if the caller may see it: another partner's is NOT_FOUND, as a missing one is. */
  async function reachable(request: FastifyRequest, keyId: string): Promise<ApiKeyInfo> {
    const record = await apiKeys.get(keyId);
    // Compared here, not only in authorize: key ids are global, the partner is not in the lookup.
    if (record === null || record.partnerId !== partnerOf(request)) {
      throw new DomainError('NOT_FOUND', 'no such API key');
    }
    const key = toApiKeyInfo(record);
    request.authorize(scopeOf(key));
    return key;
  }

  app.post(
    '/v1/api-keys',
    {
      // A key that could make keys would outlive its own revocation through them;
      // a key made through support access would outlive the support access.
      config: { access: { roles: MANAGERS, apiKeys: false, support: 'none' } },
      schema: {
        operationId: 'createApiKey',
        tags: ['api-keys'],
        summary: 'Create an API key; its secret is shown this once',
        description:
          'Partner admins create partner-wide keys or keys limited to an organisation; operators ' +
          'only keys limited to their organisation, whose grants all lie inside it. Grants name ' +
          'organisations, properties and units of the partner that exist (404 otherwise); never ' +
          'platform admin. The answer holds the key (`zwk_…`): store it now, it is not shown ' +
          'again. Signed-in users only: an API key cannot make keys.',
        body: CreateApiKeyRequest,
        response: {
          201: Type.Ref('CreatedApiKey'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { name, organisationId, scopes, grants: inputs, expiresAt } = request.body;
      // Without an organisation the key is the partner's, which only partner admins reach.
      request.authorize(
        organisationId === undefined ? { partnerId } : { partnerId, organisationId },
      );
      if (
        organisationId !== undefined &&
        (await options.organisations.get(partnerId, organisationId)) === null
      ) {
        throw new DomainError('NOT_FOUND', `no organisation '${organisationId}'`);
      }
      const grants = await checkGrantTargets(
        options,
        partnerId,
        grantsWithin(partnerId, inputs as GrantInput[]),
      );
      const created = await createApiKey(
        apiKeys,
        {
          partnerId,
          ...(organisationId === undefined ? {} : { organisationId }),
          name,
          scopes: scopes ?? [],
          grants,
          createdBy: request.principal!.subject,
          ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt) }),
        },
        { now: now() },
      );
      const key = created.record;
      await audit.append({
        ...scopeOf(key),
        actor: actorOf(request),
        action: 'api-key.created',
        target: { type: 'api-key', id: key.keyId },
        after: key,
      });
      return reply
        .code(201)
        .header('cache-control', NO_STORE)
        .send({ apiKey: created.apiKey, key });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listApiKeys',
        tags: ['api-keys'],
        summary: 'List API keys, revoked and expired ones included',
        description:
          "Partner admins: the partner's keys, or an organisation's with `organisationId`. " +
          'Operators name their organisation and see the keys limited to it. Oldest first, ' +
          'paginated; revoked and expired keys stay listed for 90 days. Never a secret.',
        querystring: ApiKeyListQuery,
        response: {
          200: Type.Ref('ApiKeyList'),
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
      request.authorize(
        organisationId === undefined ? { partnerId } : { partnerId, organisationId },
      );
      if (organisationId !== undefined) {
        await requireOrganisation(options.organisations, partnerId, organisationId);
      }
      return apiKeys.list(partnerId, {
        ...pageOptions(request.query),
        ...(organisationId === undefined ? {} : { organisationId }),
      });
    },
  );

  app.get(
    '/v1/api-keys/:keyId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'getApiKey',
        tags: ['api-keys'],
        summary: 'An API key: name, grants, expiry and revocation, never the secret',
        params: ApiKeyParams,
        response: {
          200: Type.Ref('ApiKey'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => reachable(request, request.params.keyId),
  );

  app.post(
    '/v1/api-keys/:keyId/revoke',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['api-keys'],
        summary: 'Revoke an API key, at once and for good',
        description:
          'Requests with the key fail from now on. Revoking again changes nothing and answers ' +
          'the key as it is. The key stays listed, with `revokedAt`, for 90 days.',
        params: ApiKeyParams,
        response: {
          200: Type.Ref('ApiKey'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const before = await reachable(request, request.params.keyId);
      const at = now();
      const after = await revokeApiKey(
        apiKeys,
        { keyId: before.keyId, partnerId: before.partnerId },
        { now: at },
      );
      // Only the revocation that took effect is logged: the store keeps the first one's time.
      if (before.revokedAt === null && after.revokedAt === at.toISOString()) {
        await audit.append({
          ...scopeOf(after),
          actor: actorOf(request),
          action: 'api-key.revoked',
          target: { type: 'api-key', id: after.keyId },
          before,
          after,
          changed: ['revokedAt'],
        });
      }
      return after;
    },
  );
};

export default apiKeyRoutes;
