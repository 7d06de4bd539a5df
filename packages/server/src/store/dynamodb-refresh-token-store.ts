import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type {
  RefreshFamilyRecord,
  RefreshRevocation,
  RefreshTokenRecord,
  RefreshTokenState,
  RefreshTokenStore,
} from '../auth/refresh-tokens.js';
import { DomainError } from '../domain/errors.js';
import { assertKeyParts } from '../iot/registry-rules.js';
import { isConditionFailed } from './condition-failed.js';
import { epochSeconds } from './epoch-seconds.js';
import {
  GSI1,
  refreshFamilyIndexKey,
  refreshFamilyKey,
  refreshTokenKey,
  userSessionsPartition,
} from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

type Item = Record<string, unknown>;

/**
 * Refresh tokens and their families in the single table (key design:
 * ./README.md, "Refresh tokens"). One item per family and one per token, each
 * changed by one conditional write, so that consuming a token and revoking a
 * family are atomic without transactions (dynalite has none).
 */
export function createDynamoRefreshTokenStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): RefreshTokenStore {
  const { doc, tableName: TableName } = options;
  const taken = (cause: unknown) =>
    new DomainError('CONFLICT', 'refresh token id already taken', { cause });

  async function getItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    // Strongly consistent: rotation decides on the state and revocation read here.
    const out = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  async function putToken(token: RefreshTokenRecord): Promise<void> {
    assertKeyParts({ tokenId: token.tokenId, familyId: token.familyId });
    await doc.send(
      new PutCommand({
        TableName,
        Item: {
          ...refreshTokenKey(token.tokenId),
          entity: 'RTOKEN',
          tokenId: token.tokenId,
          familyId: token.familyId,
          secretHash: token.secretHash,
          state: token.state,
          createdAt: token.createdAt,
          // The record's expiresAt (the idle limit) is ISO text under another
          // name: `expiresAt` is the table's TTL attribute, in epoch seconds.
          idleExpiresAt: token.expiresAt,
          familyExpiresAt: token.familyExpiresAt,
          ...(token.usedAt === null ? {} : { usedAt: token.usedAt }),
          // Until the family's end, not the idle limit: a used token is what a
          // replay is recognised by, so it must outlive its own usefulness.
          [TTL_ATTRIBUTE]: epochSeconds(token.familyExpiresAt, 'familyExpiresAt'),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  return {
    async createFamily(family, first) {
      assertKeyParts({
        familyId: family.familyId,
        userId: family.userId,
        partnerId: family.partnerId,
        createdAt: family.createdAt,
      });
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...refreshFamilyKey(family.familyId),
              ...refreshFamilyIndexKey(
                family.partnerId,
                family.userId,
                family.createdAt,
                family.familyId,
              ),
              entity: 'RFAMILY',
              familyId: family.familyId,
              userId: family.userId,
              partnerId: family.partnerId,
              createdAt: family.createdAt,
              familyExpiresAt: family.expiresAt,
              ...(family.revokedAt === null ? {} : { revokedAt: family.revokedAt }),
              ...(family.revokedReason === null ? {} : { revokedReason: family.revokedReason }),
              sessionFence: family.sessionFence,
              [TTL_ATTRIBUTE]: epochSeconds(family.expiresAt, 'expiresAt'),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        throw isConditionFailed(err) ? taken(err) : err;
      }
      // Two items and no transaction: the family goes first, so that a crash in
      // between leaves a family without tokens, which nobody can present.
      try {
        await putToken(first);
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        // Undo, so a refused createFamily changes nothing. Nobody else can have
        // touched the family: its id has not left this call.
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: refreshFamilyKey(family.familyId),
            ConditionExpression: 'userId = :u AND createdAt = :c',
            ExpressionAttributeValues: { ':u': family.userId, ':c': family.createdAt },
          }),
        );
        throw taken(err);
      }
    },

    async create(token) {
      try {
        await putToken(token);
      } catch (err) {
        throw isConditionFailed(err) ? taken(err) : err;
      }
    },

    async getFamily(familyId) {
      const item = await getItem(refreshFamilyKey(familyId));
      return item ? toFamily(item) : null;
    },

    async get(tokenId) {
      const item = await getItem(refreshTokenKey(tokenId));
      return item ? toToken(item) : null;
    },

    async consume(tokenId, expectedState, usedAt) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: refreshTokenKey(tokenId),
            UpdateExpression: 'SET #state = :used, usedAt = :at',
            // The whole of "exactly once": DynamoDB evaluates the condition and
            // applies the update as one step, so of concurrent consumes one
            // sees the expected state and every other one sees 'used'.
            ConditionExpression: 'attribute_exists(pk) AND #state = :expected',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':used': 'used' satisfies RefreshTokenState,
              ':at': usedAt,
              ':expected': expectedState,
            },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        throw err;
      }
    },

    async revokeFamily(familyId, revokedAt, reason) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: refreshFamilyKey(familyId),
            UpdateExpression: 'SET revokedAt = :at, revokedReason = :reason',
            // The first revocation's time and reason stay; attribute_exists keeps
            // the update from creating a family.
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
            ExpressionAttributeValues: { ':at': revokedAt, ':reason': reason },
          }),
        );
        return true;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        // Revoked before (true) or missing (false).
        return (await getItem(refreshFamilyKey(familyId))) !== undefined;
      }
    },

    async listFamilies(partnerId, userId) {
      assertKeyParts({ partnerId, userId });
      const families: RefreshFamilyRecord[] = [];
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: GSI1,
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': userSessionsPartition(partnerId, userId) },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        families.push(...(out.Items ?? []).map(toFamily));
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return families;
    },
  };
}

function toFamily(item: Item): RefreshFamilyRecord {
  return {
    familyId: String(item.familyId),
    userId: String(item.userId),
    partnerId: String(item.partnerId),
    createdAt: String(item.createdAt),
    expiresAt: String(item.familyExpiresAt),
    revokedAt: typeof item.revokedAt === 'string' ? item.revokedAt : null,
    revokedReason:
      typeof item.revokedReason === 'string' ? (item.revokedReason as RefreshRevocation) : null,
    // Families stored before fences existed began under none.
    sessionFence: typeof item.sessionFence === 'number' ? item.sessionFence : 0,
  };
}

function toToken(item: Item): RefreshTokenRecord {
  return {
    tokenId: String(item.tokenId),
    familyId: String(item.familyId),
    secretHash: String(item.secretHash),
    state: item.state === 'active' ? 'active' : 'used',
    createdAt: String(item.createdAt),
    expiresAt: String(item.idleExpiresAt),
    familyExpiresAt: String(item.familyExpiresAt),
    usedAt: typeof item.usedAt === 'string' ? item.usedAt : null,
  };
}
