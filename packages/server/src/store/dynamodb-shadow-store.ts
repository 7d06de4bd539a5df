import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAllOfIndexPartition } from './query-all.js';
import { DomainError } from '../domain/errors.js';
import type { ShadowDocument } from '../iot/local/shadow/shadow-document.js';
import type { ShadowRecord, ShadowStore } from '../iot/local/shadow/shadow-store.js';
import { assertKeyParts } from '../iot/registry-rules.js';
import { shadowIndexKey, shadowKey, thingShadowsPartition } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

type Item = Record<string, unknown>;

/**
 * The emulator's Device Shadows in the single table (key design: ./README.md,
 * "Device Shadow"). One item per shadow; every write is a whole-item put
 * conditional on the version the writer read, so concurrent updates cannot
 * both land on the same version (dynalite has no transactions, none needed).
 */
export function createDynamoShadowStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}): ShadowStore {
  const { doc, tableName: TableName } = options;
  const now = options.now ?? (() => new Date());
  const nowSeconds = () => Math.floor(now().getTime() / 1000);

  return {
    async get(thingName, shadowName) {
      // Strongly consistent: the next update's condition is built on this version.
      const out = await doc.send(
        new GetCommand({ TableName, Key: shadowKey(thingName, shadowName), ConsistentRead: true }),
      );
      const item = out.Item;
      if (item === undefined) return null;
      // DynamoDB's TTL deletes "within a few days", so readers check expiry themselves.
      const expiresAt = typeof item[TTL_ATTRIBUTE] === 'number' ? item[TTL_ATTRIBUTE] : null;
      if (expiresAt !== null && expiresAt < nowSeconds()) return null;
      return toRecord(item);
    },

    async put(record, expectedVersion) {
      assertKeyParts({ thingName: record.thingName, partnerId: record.partnerId });
      if (record.shadowName !== null) assertKeyParts({ shadowName: record.shadowName });
      const listed = record.shadowName !== null && record.document !== null;
      const item: Item = {
        ...shadowKey(record.thingName, record.shadowName),
        // Sparse index: live named shadows only, under the thing's partner.
        ...(listed
          ? shadowIndexKey(record.partnerId, record.thingName, record.shadowName as string)
          : {}),
        entity: 'SHADOW',
        thingName: record.thingName,
        // '' for the classic shadow: a key-free attribute, kept explicit for readers.
        shadowName: record.shadowName ?? '',
        partnerId: record.partnerId,
        version: record.version,
        // As JSON text: the document keeps its exact numbers and key order, which
        // a DynamoDB map would not (38-digit decimals, unordered keys).
        ...(record.document === null ? {} : { document: JSON.stringify(record.document) }),
        updatedAt: record.updatedAt,
        ...(record.expiresAt === null ? {} : { [TTL_ATTRIBUTE]: record.expiresAt }),
      };
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: item,
            ...(expectedVersion === null
              ? {
                  // No record, or a tombstone past its 48 hours not yet swept by TTL.
                  ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
                  ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
                  ExpressionAttributeValues: { ':now': nowSeconds() },
                }
              : {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': expectedVersion },
                }),
          }),
        );
      } catch (err) {
        if (err instanceof Error && err.name === 'ConditionalCheckFailedException') {
          throw new DomainError(
            'CONFLICT',
            `shadow ${record.thingName}/${record.shadowName ?? '(classic)'} is not at version ${expectedVersion ?? 'none'}`,
            { cause: err },
          );
        }
        throw err;
      }
    },

    async listNamedShadows(partnerId, thingName) {
      const items = await queryAllOfIndexPartition(doc, {
        tableName: TableName,
        partition: thingShadowsPartition(partnerId, thingName),
      });
      return items.map((item) => String(item.gsi1sk));
    },
  };
}

function toRecord(item: Item): ShadowRecord {
  const shadowName = typeof item.shadowName === 'string' ? item.shadowName : '';
  return {
    thingName: String(item.thingName),
    shadowName: shadowName === '' ? null : shadowName,
    partnerId: String(item.partnerId),
    version: Number(item.version),
    document:
      typeof item.document === 'string' ? (JSON.parse(item.document) as ShadowDocument) : null,
    updatedAt: String(item.updatedAt),
    expiresAt: typeof item[TTL_ATTRIBUTE] === 'number' ? item[TTL_ATTRIBUTE] : null,
  };
}
