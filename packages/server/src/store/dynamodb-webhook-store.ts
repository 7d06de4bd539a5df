import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import {
  DELIVERY_RETENTION_SECONDS,
  MAX_WEBHOOKS_PER_ORGANISATION,
  type Webhook,
  type WebhookDelivery,
  type WebhookStore,
} from '../domain/webhooks/webhook.js';
import { assertKeyParts } from '../iot/registry-rules.js';
import { isConditionFailed } from './condition-failed.js';
import { epochSeconds } from './epoch-seconds.js';
import {
  organisationWebhooksPartition,
  webhookDeliveriesPartition,
  webhookDeliveryKey,
  webhookKey,
} from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

type Item = Record<string, unknown>;

const WEBHOOK_FIELDS = [
  'id',
  'partnerId',
  'organisationId',
  'url',
  'events',
  'description',
  'enabled',
  'sealedSecret',
  'createdAt',
  'updatedAt',
  'version',
] as const;

const DELIVERY_FIELDS = [
  'id',
  'partnerId',
  'organisationId',
  'webhookId',
  'eventId',
  'eventType',
  'attempt',
  'at',
  'statusCode',
  'durationMs',
  'ok',
  'error',
  'nextRetryAt',
] as const;

function pick<T>(item: Item, fields: readonly string[]): T {
  return Object.fromEntries(fields.map((f) => [f, item[f]])) as T;
}

/**
 * Webhooks and their delivery attempts in the single table (key design:
 * ./README.md, "Webhooks"): an organisation's subscriptions in one partition,
 * each webhook's attempts in another, newest last, expiring by TTL.
 */
export function createDynamoWebhookStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Default DELIVERY_RETENTION_SECONDS. */
  deliveryRetentionSeconds?: number;
}): WebhookStore {
  const { doc, tableName: TableName } = options;
  const retention = options.deliveryRetentionSeconds ?? DELIVERY_RETENTION_SECONDS;

  const toItem = (webhook: Webhook): Item => ({
    ...webhookKey(webhook.partnerId, webhook.organisationId, webhook.id),
    entity: 'WEBHOOK',
    ...pick<Item>(webhook as unknown as Item, WEBHOOK_FIELDS),
  });

  async function get(partnerId: string, organisationId: string, webhookId: string) {
    assertKeyParts({ partnerId, organisationId, webhookId });
    const out = await doc.send(
      new GetCommand({
        TableName,
        Key: webhookKey(partnerId, organisationId, webhookId),
        // A disable or delete must stop deliveries from the moment it was acknowledged.
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? null : pick<Webhook>(out.Item, WEBHOOK_FIELDS);
  }

  return {
    async create(webhook) {
      assertKeyParts({
        partnerId: webhook.partnerId,
        organisationId: webhook.organisationId,
        webhookId: webhook.id,
      });
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: toItem(webhook),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        throw isConditionFailed(err)
          ? new DomainError('CONFLICT', 'webhook id already taken', { cause: err })
          : err;
      }
    },

    get,

    async listByOrganisation(partnerId, organisationId) {
      assertKeyParts({ partnerId, organisationId });
      const out = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: {
            ':p': organisationWebhooksPartition(partnerId, organisationId),
          },
          ConsistentRead: true,
          // A bound on a read that runs for every ingested batch; creation keeps within it.
          Limit: MAX_WEBHOOKS_PER_ORGANISATION * 2,
        }),
      );
      return (out.Items ?? [])
        .map((item) => pick<Webhook>(item, WEBHOOK_FIELDS))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async update(next) {
      assertKeyParts({
        partnerId: next.partnerId,
        organisationId: next.organisationId,
        webhookId: next.id,
      });
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: toItem(next),
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': next.version - 1 },
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        throw (await get(next.partnerId, next.organisationId, next.id)) === null
          ? new DomainError('NOT_FOUND', `webhook ${next.id} does not exist`)
          : new DomainError('CONFLICT', `webhook ${next.id} was changed meanwhile`, { cause: err });
      }
    },

    async delete(partnerId, organisationId, webhookId, version) {
      assertKeyParts({ partnerId, organisationId, webhookId });
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: webhookKey(partnerId, organisationId, webhookId),
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': version },
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        throw (await get(partnerId, organisationId, webhookId)) === null
          ? new DomainError('NOT_FOUND', `webhook ${webhookId} does not exist`)
          : new DomainError('CONFLICT', `webhook ${webhookId} was changed meanwhile`, {
              cause: err,
            });
      }
    },

    async recordDelivery(delivery) {
      assertKeyParts({
        partnerId: delivery.partnerId,
        organisationId: delivery.organisationId,
        webhookId: delivery.webhookId,
        id: delivery.id,
      });
      const key = webhookDeliveryKey(
        delivery.partnerId,
        delivery.organisationId,
        delivery.webhookId,
        delivery.at,
        delivery.id,
      );
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            ...key,
            entity: 'WEBHOOK_DELIVERY',
            ...pick<Item>(delivery as unknown as Item, DELIVERY_FIELDS),
            [TTL_ATTRIBUTE]: epochSeconds(delivery.at, 'at') + retention,
          },
        }),
      );
    },

    async listDeliveries(partnerId, organisationId, webhookId, limit) {
      assertKeyParts({ partnerId, organisationId, webhookId });
      const now = Math.floor(Date.now() / 1000);
      const out = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: {
            ':p': webhookDeliveriesPartition(partnerId, organisationId, webhookId),
          },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      // TTL deletes lazily: an expired attempt may still be read, and is not shown.
      return (out.Items ?? [])
        .filter((item) => typeof item[TTL_ATTRIBUTE] !== 'number' || item[TTL_ATTRIBUTE] > now)
        .map((item) => pick<WebhookDelivery>(item, DELIVERY_FIELDS));
    },
  };
}
