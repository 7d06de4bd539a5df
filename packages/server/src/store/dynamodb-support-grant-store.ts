import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Actor } from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import {
  SUPPORT_ACCESS_RETENTION_SECONDS,
  supportGrantEnd,
  supportGrantStatus,
  type SupportGrant,
  type SupportGrantStore,
} from '../domain/support-access.js';
import {
  assertKeyParts,
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  resolvePageLimit,
} from '../iot/registry-rules.js';
import { isConditionFailed } from './condition-failed.js';
import { epochSeconds } from './epoch-seconds.js';
import {
  GSI1,
  organisationSupportPartition,
  supportGrantIdKey,
  supportGrantIndexKey,
  supportGrantKey,
  userSupportPartition,
} from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

type Item = Record<string, unknown>;

/**
 * Support grants in the single table (key design: ./README.md, "Support
 * access"). The grant is one item in its user's partition, sorted by expiry,
 * which authentication reads on every request of that user; an id item,
 * written once, leads from a grant's id to it. Every change is one
 * conditional write on the grant item, so no transaction is needed.
 */
export function createDynamoSupportGrantStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Default SUPPORT_ACCESS_RETENTION_SECONDS. */
  retentionSeconds?: number;
}): SupportGrantStore {
  const { doc, tableName: TableName } = options;
  const retentionSeconds = options.retentionSeconds ?? SUPPORT_ACCESS_RETENTION_SECONDS;
  if (!(Number.isInteger(retentionSeconds) && retentionSeconds >= 0)) {
    throw new DomainError('VALIDATION_FAILED', 'support retention must be whole seconds >= 0');
  }
  const ttlAfter = (iso: string) => epochSeconds(iso, 'expiresAt') + retentionSeconds;

  async function getItem(Key: { pk: string; sk: string }): Promise<Item | undefined> {
    // Strongly consistent: a revocation must hold from the moment it was acknowledged.
    return (await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item;
  }

  /** The grant item's key and the grant's expiry, by way of its id item; null when there is none. */
  async function locate(partnerId: string, grantId: string) {
    assertKeyParts({ partnerId, grantId });
    const idItem = await getItem(supportGrantIdKey(partnerId, grantId));
    if (idItem === undefined) return null;
    const expiresAt = String(idItem.grantExpiresAt);
    return {
      key: supportGrantKey(partnerId, String(idItem.userId), expiresAt, grantId),
      expiresAt,
    };
  }

  return {
    async create(grant) {
      assertKeyParts({
        id: grant.id,
        partnerId: grant.partnerId,
        organisationId: grant.organisationId,
        userId: grant.userId,
        createdAt: grant.createdAt,
        expiresAt: grant.expiresAt,
      });
      const taken = (cause: unknown) =>
        new DomainError('CONFLICT', 'support grant id already taken', { cause });
      const idKey = supportGrantIdKey(grant.partnerId, grant.id);
      // The id item first: it makes the id unique within the partner. A crash
      // before the grant item leaves an id that leads nowhere, read as absent.
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...idKey,
              entity: 'SUPPORTID',
              id: grant.id,
              userId: grant.userId,
              grantExpiresAt: grant.expiresAt,
              [TTL_ATTRIBUTE]: ttlAfter(grant.expiresAt),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        throw isConditionFailed(err) ? taken(err) : err;
      }
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: toItem(grant, ttlAfter(supportGrantEnd(grant))),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        // Undo, so that a refused create changes nothing: the id item is ours alone.
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: idKey,
            ConditionExpression: 'userId = :u',
            ExpressionAttributeValues: { ':u': grant.userId },
          }),
        );
        throw taken(err);
      }
    },

    async get(partnerId, grantId) {
      const found = await locate(partnerId, grantId);
      if (found === null) return null;
      const item = await getItem(found.key);
      return item ? toGrant(item) : null;
    },

    async listByOrganisation(partnerId, organisationId, listOptions = {}) {
      assertKeyParts({ partnerId, organisationId });
      const limit = resolvePageLimit(listOptions.limit);
      const partition = organisationSupportPartition(partnerId, organisationId);
      const start =
        listOptions.cursor === undefined
          ? undefined
          : decodeListCursor(listOptions.cursor, partnerId, partition);
      const out = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': partition },
          ScanIndexForward: false,
          Limit: limit + 1,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const found = out.Items ?? [];
      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toGrant),
        cursor:
          found.length > limit && last
            ? encodeCursor({ pk: last.pk, sk: last.sk, gsi1pk: last.gsi1pk, gsi1sk: last.gsi1sk })
            : null,
      };
    },

    async activeForUser(partnerId, userId, now) {
      assertKeyParts({ partnerId, userId });
      const grants: SupportGrant[] = [];
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            // Sort keys start with the expiry: the read begins at the first grant not yet expired.
            KeyConditionExpression: 'pk = :p AND sk > :now',
            ExpressionAttributeValues: {
              ':p': userSupportPartition(partnerId, userId),
              ':now': now.toISOString(),
            },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        grants.push(...(out.Items ?? []).map(toGrant));
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return grants.filter((g) => supportGrantStatus(g, now) === 'active');
    },

    async revoke(partnerId, grantId, revokedAt, revokedBy) {
      const found = await locate(partnerId, grantId);
      if (found === null) return null;
      const { key, expiresAt } = found;
      // Kept for the retention after it ended: revoked, or expired before that.
      const ended = revokedAt < expiresAt ? revokedAt : expiresAt;
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: key,
            UpdateExpression: 'SET revokedAt = :at, revokedBy = :by, #ttl = :ttl',
            // The first revocation stays; attribute_exists keeps the update from creating a grant.
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':at': revokedAt,
              ':by': actorOf(revokedBy),
              ':ttl': ttlAfter(ended),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toGrant(out.Attributes ?? {});
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        // Missing (null) or revoked before (as it stands).
        const item = await getItem(key);
        return item ? toGrant(item) : null;
      }
    },
  };
}

function actorOf(actor: Actor): Actor {
  return { kind: actor.kind, id: actor.id };
}

function toItem(grant: SupportGrant, ttl: number): Item {
  return {
    ...supportGrantKey(grant.partnerId, grant.userId, grant.expiresAt, grant.id),
    ...supportGrantIndexKey(grant.partnerId, grant.organisationId, grant.createdAt, grant.id),
    entity: 'SUPPORT',
    id: grant.id,
    partnerId: grant.partnerId,
    organisationId: grant.organisationId,
    userId: grant.userId,
    access: grant.access,
    reason: grant.reason,
    grantedBy: actorOf(grant.grantedBy),
    createdAt: grant.createdAt,
    // The grant's own expiry is ISO text under another name: `expiresAt` is
    // the table's TTL attribute and holds epoch seconds.
    grantExpiresAt: grant.expiresAt,
    ...(grant.revokedAt === undefined ? {} : { revokedAt: grant.revokedAt }),
    ...(grant.revokedBy === undefined ? {} : { revokedBy: actorOf(grant.revokedBy) }),
    [TTL_ATTRIBUTE]: ttl,
  };
}

function toGrant(item: Item): SupportGrant {
  const grantedBy = item.grantedBy as Actor;
  const revokedBy = item.revokedBy as Actor | undefined;
  return {
    id: String(item.id),
    partnerId: String(item.partnerId),
    organisationId: String(item.organisationId),
    userId: String(item.userId),
    access: item.access === 'operate' ? 'operate' : 'read',
    reason: String(item.reason),
    grantedBy: actorOf(grantedBy),
    createdAt: String(item.createdAt),
    expiresAt: String(item.grantExpiresAt),
    ...(typeof item.revokedAt === 'string' ? { revokedAt: item.revokedAt } : {}),
    ...(revokedBy === undefined ? {} : { revokedBy: actorOf(revokedBy) }),
  };
}

/**
 * A cursor is client input: exactly a page key of this organisation's index
 * partition, whose table key is a grant item of this partner with the id its
 * sort key names. Anything else never reaches DynamoDB.
 */
function decodeListCursor(cursor: string, partnerId: string, partition: string): Item {
  const fields = decodeCursorFields(cursor);
  if (Object.keys(fields).sort().join(',') !== 'gsi1pk,gsi1sk,pk,sk') throw invalidCursor();
  const { pk, sk, gsi1pk, gsi1sk } = fields;
  if (gsi1pk !== partition || typeof gsi1sk !== 'string') throw invalidCursor();
  if (typeof pk !== 'string' || typeof sk !== 'string') throw invalidCursor();
  const grantId = gsi1sk.slice(gsi1sk.lastIndexOf('#') + 1);
  const user = /^P#([^#]+)#USER#([^#]+)#SUPPORT$/.exec(pk);
  if (grantId.length === 0 || user?.[1] !== partnerId || !sk.endsWith(`#${grantId}`)) {
    throw invalidCursor();
  }
  return { pk, sk, gsi1pk, gsi1sk };
}
