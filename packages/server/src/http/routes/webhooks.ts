import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AuditLog } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import type { OrganisationStore } from '../../domain/tenancy/ports.js';
import {
  checkWebhookUrl,
  MAX_WEBHOOKS_PER_ORGANISATION,
  type Webhook,
  type WebhookDelivery,
  type WebhookEventType,
  type WebhookStore,
} from '../../domain/webhooks/webhook.js';
import type { KeyVault } from '../../keys/key-vault.js';
import type { WebhookDispatcher } from '../../webhooks/dispatcher.js';
import {
  newWebhookSecret,
  sealWebhookSecret,
  webhookSecretText,
} from '../../webhooks/webhook-secret.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import {
  CreateWebhookRequest,
  OrganisationWebhookParams,
  UpdateWebhookRequest,
  WEBHOOK_LIMIT_NOTE,
  WebhookDeleteQuery,
  WebhookDeliveriesQuery,
  WebhookParams,
} from '../schemas/webhooks.js';
import { MANAGERS, notFound, partnerOf, requireOrganisation } from './tenancy-access.js';

export interface WebhookRoutesOptions {
  organisations: Pick<OrganisationStore, 'get'>;
  webhooks: WebhookStore;
  vault: Pick<KeyVault, 'seal'>;
  dispatcher: Pick<WebhookDispatcher, 'sendTest' | 'invalidate'>;
  audit: Pick<AuditLog, 'append'>;
  /** Development only: http and private addresses allowed (WebhookUrlRules.allowLocal). */
  allowLocalUrls: boolean;
  now?: () => Date;
}

/** A secret in a response must not sit in a shared cache or the browser's. */
const NO_STORE = 'no-store';

/** The webhook as the API shows it, and as the audit log keeps it: never the sealed secret. */
export function webhookView(webhook: Webhook): Record<string, unknown> {
  const { partnerId: _partnerId, sealedSecret: _sealedSecret, ...rest } = webhook;
  return rest;
}

export function deliveryView(delivery: WebhookDelivery): Record<string, unknown> {
  const { partnerId: _partnerId, organisationId: _organisationId, ...rest } = delivery;
  return rest;
}

function newWebhookId(): string {
  return `wh_${randomBytes(8).toString('hex')}`;
}

/**
 * Webhooks of an organisation: its operators (and partner admins, and support
 * with `operate`) register where events go; landlords and tenants have none.
 */
const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRoutesOptions> = async (app, options) => {
  const { organisations, webhooks, vault, dispatcher, audit } = options;
  const now = options.now ?? (() => new Date());
  const rules = { allowLocal: options.allowLocalUrls };

  async function organisationOf(request: FastifyRequest, organisationId: string) {
    const partnerId = partnerOf(request);
    request.authorize({ partnerId, organisationId });
    await requireOrganisation(organisations, partnerId, organisationId);
    return partnerId;
  }

  async function load(request: FastifyRequest, organisationId: string, webhookId: string) {
    const partnerId = await organisationOf(request, organisationId);
    const webhook = await webhooks.get(partnerId, organisationId, webhookId);
    if (webhook === null) throw notFound(`webhook ${webhookId}`);
    return webhook;
  }

  const tags = ['webhooks'];
  const errors = { 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 404: ErrorRef };

  app.post(
    '/v1/organisations/:organisationId/webhooks',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Register a webhook; its signing secret is shown this once',
        description:
          'Events of the organisation’s meters are POSTed to the URL as JSON ' +
          '(`{id, type, createdAt, organisationId, data}`), signed in `Zaehlwerk-Signature`. ' +
          'Verify the signature over the raw body and refuse timestamps older than five ' +
          'minutes (`verifyWebhook` in @zaehlwerk/sdk does both). Answer 2xx within 5 s; ' +
          'otherwise the event is sent again after 10 s, 1, 5, 15 and 40 min (six attempts), ' +
          'with the same `id`. ' +
          WEBHOOK_LIMIT_NOTE,
        params: OrganisationWebhookParams,
        body: CreateWebhookRequest,
        response: { 201: Type.Ref('CreatedWebhook'), ...errors },
      },
    },
    async (request, reply) => {
      const { organisationId } = request.params;
      const partnerId = await organisationOf(request, organisationId);
      const url = checkWebhookUrl(request.body.url, rules);
      const existing = await webhooks.listByOrganisation(partnerId, organisationId);
      if (existing.length >= MAX_WEBHOOKS_PER_ORGANISATION) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `an organisation has at most ${MAX_WEBHOOKS_PER_ORGANISATION} webhooks`,
          { details: { field: 'organisationId', reason: 'too-many-webhooks' } },
        );
      }
      const id = newWebhookId();
      const secret = newWebhookSecret();
      const at = now().toISOString();
      const webhook: Webhook = {
        id,
        partnerId,
        organisationId,
        url,
        events: [...new Set(request.body.events)] as WebhookEventType[],
        description: request.body.description ?? '',
        enabled: request.body.enabled ?? true,
        sealedSecret: await sealWebhookSecret(vault, partnerId, id, secret),
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
      const text = webhookSecretText(secret);
      secret.fill(0);
      await webhooks.create(webhook);
      dispatcher.invalidate(partnerId, organisationId);
      await audit.append({
        partnerId,
        organisationId,
        actor: actorOf(request),
        action: 'webhook.created',
        target: { type: 'webhook', id },
        after: webhookView(webhook),
      });
      return reply
        .code(201)
        .header('cache-control', NO_STORE)
        .send({ secret: text, webhook: webhookView(webhook) });
    },
  );

  app.get(
    '/v1/organisations/:organisationId/webhooks',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'The organisation’s webhooks, never their secrets',
        description: `Oldest first, all on one page (\`cursor\` is null). ${WEBHOOK_LIMIT_NOTE}`,
        params: OrganisationWebhookParams,
        response: { 200: Type.Ref('WebhookList'), ...errors },
      },
    },
    async (request) => {
      const { organisationId } = request.params;
      const partnerId = await organisationOf(request, organisationId);
      const items = await webhooks.listByOrganisation(partnerId, organisationId);
      return { items: items.map(webhookView), cursor: null };
    },
  );

  app.get(
    '/v1/organisations/:organisationId/webhooks/:webhookId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'getWebhook',
        tags,
        summary: 'A webhook, never its secret',
        params: WebhookParams,
        response: { 200: Type.Ref('Webhook'), ...errors },
      },
    },
    async (request) => {
      const { organisationId, webhookId } = request.params;
      return webhookView(await load(request, organisationId, webhookId));
    },
  );

  app.patch(
    '/v1/organisations/:organisationId/webhooks/:webhookId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Change a webhook’s URL, events, description, or enable or disable it',
        description:
          'Fields left out stay. Disabling stops deliveries at once, retries of earlier events ' +
          'included; the secret stays the same.',
        params: WebhookParams,
        body: UpdateWebhookRequest,
        response: { 200: Type.Ref('Webhook'), ...errors, 409: ErrorRef },
      },
    },
    async (request) => {
      const { organisationId, webhookId } = request.params;
      const before = await load(request, organisationId, webhookId);
      const { version, url, events, description, enabled } = request.body;
      if (version !== before.version) {
        throw new DomainError('CONFLICT', `webhook ${webhookId} is at version ${before.version}`);
      }
      const after: Webhook = {
        ...before,
        ...(url === undefined ? {} : { url: checkWebhookUrl(url, rules) }),
        ...(events === undefined ? {} : { events: [...new Set(events)] as WebhookEventType[] }),
        ...(description === undefined ? {} : { description }),
        ...(enabled === undefined ? {} : { enabled }),
        updatedAt: now().toISOString(),
        version: before.version + 1,
      };
      await webhooks.update(after);
      dispatcher.invalidate(before.partnerId, organisationId);
      const changed = (['url', 'events', 'description', 'enabled'] as const).filter(
        (field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]),
      );
      await audit.append({
        partnerId: before.partnerId,
        organisationId,
        actor: actorOf(request),
        action: 'webhook.updated',
        target: { type: 'webhook', id: webhookId },
        before: webhookView(before),
        after: webhookView(after),
        changed,
      });
      return webhookView(after);
    },
  );

  app.delete(
    '/v1/organisations/:organisationId/webhooks/:webhookId',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete a webhook',
        description:
          'Deliveries stop at once, retries of earlier events included. Its list of delivery ' +
          'attempts expires with them.',
        params: WebhookParams,
        querystring: WebhookDeleteQuery,
        response: { 204: Type.Null(), ...errors, 409: ErrorRef },
      },
    },
    async (request, reply) => {
      const { organisationId, webhookId } = request.params;
      const before = await load(request, organisationId, webhookId);
      await webhooks.delete(before.partnerId, organisationId, webhookId, request.query.version);
      dispatcher.invalidate(before.partnerId, organisationId);
      await audit.append({
        partnerId: before.partnerId,
        organisationId,
        actor: actorOf(request),
        action: 'webhook.deleted',
        target: { type: 'webhook', id: webhookId },
        before: webhookView(before),
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/organisations/:organisationId/webhooks/:webhookId/test',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'testWebhook',
        tags,
        summary: 'Send a `ping` event now and answer how it went',
        description:
          'One attempt, no retries, disabled webhooks too: `{type: "ping", data: {webhookId, ' +
          'message}}`, signed like every event. The attempt is also listed in its deliveries. ' +
          'A failed delivery is still 200: `ok` and `error` say what happened.',
        params: WebhookParams,
        response: { 200: Type.Ref('WebhookDelivery'), ...errors },
      },
    },
    async (request) => {
      const { organisationId, webhookId } = request.params;
      const webhook = await load(request, organisationId, webhookId);
      return deliveryView(await dispatcher.sendTest(webhook));
    },
  );

  app.get(
    '/v1/organisations/:organisationId/webhooks/:webhookId/deliveries',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'A webhook’s recent delivery attempts, newest first',
        description:
          'Each attempt with the receiver’s status, how long it took, why it failed and when ' +
          'the next one is due. Kept for seven days.',
        params: WebhookParams,
        querystring: WebhookDeliveriesQuery,
        response: { 200: Type.Ref('WebhookDeliveryList'), ...errors },
      },
    },
    async (request, reply) => {
      const { organisationId, webhookId } = request.params;
      const webhook = await load(request, organisationId, webhookId);
      const items = await webhooks.listDeliveries(
        webhook.partnerId,
        organisationId,
        webhookId,
        request.query.limit ?? 20,
      );
      reply.header('cache-control', 'no-store');
      return { items: items.map(deliveryView) };
    },
  );
};

export default webhookRoutes;
