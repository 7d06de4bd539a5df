import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { toApiKeyInfo, type ApiKeyRecord, type ApiKeyStore } from '../auth/api-keys.js';
import type { RoleGrant } from '../auth/principal.js';
import { DomainError } from '../domain/errors.js';
import {
  assertKeyParts,
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  resolvePageLimit,
} from '../iot/registry-rules.js';
import { isConditionFailed } from './condition-failed.js';
import { epochSeconds } from './epoch-seconds.js';
import { apiKeyIndexKey, apiKeyKey, GSI1, partnerApiKeysPartition } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

type Item = Record<string, unknown>;

/** How long an expired or revoked key stays listed before DynamoDB's TTL removes it. */
export const API_KEY_RETENTION_SECONDS = 90 * 24 * 3600;

/**
 * API keys in the single table (key design: ./README.md, "API keys"). One item
 * per key, read globally by key id at authentication and indexed under its
 * partner; every write is one conditional write on that item, so no
 * transaction is needed (dynalite has none).
 */
export function createDynamoApiKeyStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Default API_KEY_RETENTION_SECONDS. */
  retentionSeconds?: number;
}): ApiKeyStore {
  const { doc, tableName: TableName } = options;
  const retentionSeconds = options.retentionSeconds ?? API_KEY_RETENTION_SECONDS;
  if (!(Number.isInteger(retentionSeconds) && retentionSeconds >= 0)) {
    throw new DomainError('VALIDATION_FAILED', 'API key retention must be whole seconds >= 0');
  }
  const ttlAfter = (iso: string, field: string) => epochSeconds(iso, field) + retentionSeconds;

  async function getItem(keyId: string): Promise<Item | undefined> {
    // Strongly consistent: a revocation must hold from the moment it was acknowledged.
    const out = await doc.send(
      new GetCommand({ TableName, Key: apiKeyKey(keyId), ConsistentRead: true }),
    );
    return out.Item;
  }

  return {
    async create(record) {
      assertKeyParts({
        keyId: record.keyId,
        partnerId: record.partnerId,
        createdAt: record.createdAt,
      });
      // The earlier of expiry and revocation ends the key; the item outlives it
      // by the retention so that lists can still show why a key stopped working.
      const ends = [
        ...(record.expiresAt === null ? [] : [ttlAfter(record.expiresAt, 'expiresAt')]),
        ...(record.revokedAt === null ? [] : [ttlAfter(record.revokedAt, 'revokedAt')]),
      ];
      const ttl = ends.length === 0 ? null : Math.min(...ends);
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...apiKeyKey(record.keyId),
              ...apiKeyIndexKey(record.partnerId, record.createdAt, record.keyId),
              entity: 'APIKEY',
              keyId: record.keyId,
              partnerId: record.partnerId,
              ...(record.organisationId === undefined
                ? {}
                : { organisationId: record.organisationId }),
              name: record.name,
              scopes: record.scopes,
              grants: record.grants,
              createdBy: record.createdBy,
              createdAt: record.createdAt,
              // The key's own expiry is ISO text under another name: `expiresAt`
              // is the table's TTL attribute and holds epoch seconds.
              ...(record.expiresAt === null ? {} : { keyExpiresAt: record.expiresAt }),
              ...(record.revokedAt === null ? {} : { revokedAt: record.revokedAt }),
              secretHash: record.secretHash,
              ...(ttl === null ? {} : { [TTL_ATTRIBUTE]: ttl }),
            },
            // Key ids are global: authentication finds a key by its id alone.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (isConditionFailed(err)) {
          // The id is not echoed: it is half of a credential.
          throw new DomainError('CONFLICT', 'API key id already taken', { cause: err });
        }
        throw err;
      }
    },

    async get(keyId) {
      const item = await getItem(keyId);
      return item ? toRecord(item) : null;
    },

    async revoke(keyId, revokedAt) {
      const ttl = ttlAfter(revokedAt, 'revokedAt');
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: apiKeyKey(keyId),
            UpdateExpression: 'SET revokedAt = :at, #ttl = :ttl',
            // The first revocation's time stays, whoever revokes concurrently;
            // attribute_exists keeps the update from creating a key.
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':at': revokedAt, ':ttl': ttl },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toRecord(out.Attributes ?? {});
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        // Missing (null) or revoked before (returned as it stands).
        const item = await getItem(keyId);
        return item ? toRecord(item) : null;
      }
    },

    async list(partnerId, listOptions = {}) {
      const { organisationId } = listOptions;
      assertKeyParts({
        partnerId,
        ...(organisationId === undefined ? {} : { organisationId }),
      });
      const limit = resolvePageLimit(listOptions.limit);
      const partition = partnerApiKeysPartition(partnerId);
      let start =
        listOptions.cursor === undefined
          ? undefined
          : decodeListCursor(listOptions.cursor, partition, organisationId);
      // An organisation's keys are filtered out of the partner's partition; a
      // filtered query may come back short, so it is repeated until the page
      // is full. The cursor is the last item returned, never a key read past.
      const found: Item[] = [];
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: GSI1,
            KeyConditionExpression: 'gsi1pk = :p',
            ...(organisationId === undefined
              ? { ExpressionAttributeValues: { ':p': partition } }
              : {
                  FilterExpression: 'organisationId = :o',
                  ExpressionAttributeValues: { ':p': partition, ':o': organisationId },
                }),
            Limit: limit + 1,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        found.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (found.length <= limit && start !== undefined);
      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map((item) => toApiKeyInfo(toRecord(item))),
        cursor:
          found.length > limit && last
            ? encodeCursor({
                pk: last.pk,
                sk: last.sk,
                gsi1pk: last.gsi1pk,
                gsi1sk: last.gsi1sk,
                ...(organisationId === undefined ? {} : { organisationId }),
              })
            : null,
      };
    },
  };
}

/**
 * A cursor is client input: exactly a page key of this partner's index
 * partition, whose table key is the key its sort key names, and of the same
 * organisation filter. Anything else never reaches DynamoDB.
 */
function decodeListCursor(
  cursor: string,
  partition: string,
  organisationId: string | undefined,
): Item {
  const { organisationId: listed, ...fields } = decodeCursorFields(cursor);
  if (listed !== organisationId) throw invalidCursor();
  if (Object.keys(fields).sort().join(',') !== 'gsi1pk,gsi1sk,pk,sk') throw invalidCursor();
  const { pk, sk, gsi1pk, gsi1sk } = fields;
  if (gsi1pk !== partition || typeof gsi1sk !== 'string') throw invalidCursor();
  const keyId = gsi1sk.slice(gsi1sk.lastIndexOf('#') + 1);
  const expected = apiKeyKey(keyId);
  if (keyId.length === 0 || pk !== expected.pk || sk !== expected.sk) throw invalidCursor();
  return { pk, sk, gsi1pk, gsi1sk };
}

function toRecord(item: Item): ApiKeyRecord {
  return {
    keyId: String(item.keyId),
    partnerId: String(item.partnerId),
    ...(typeof item.organisationId === 'string' ? { organisationId: item.organisationId } : {}),
    name: String(item.name),
    scopes: Array.isArray(item.scopes) ? item.scopes.map(String) : [],
    grants: Array.isArray(item.grants) ? (item.grants as RoleGrant[]) : [],
    createdBy: String(item.createdBy),
    createdAt: String(item.createdAt),
    expiresAt: typeof item.keyExpiresAt === 'string' ? item.keyExpiresAt : null,
    revokedAt: typeof item.revokedAt === 'string' ? item.revokedAt : null,
    secretHash: String(item.secretHash),
  };
}
