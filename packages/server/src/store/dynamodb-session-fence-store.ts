import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  checkFenceSubject,
  checkFenceTime,
  SESSION_FENCE_RETENTION_SECONDS,
  type SessionFenceStore,
} from '../auth/session-fence.js';
import { isConditionFailed } from './condition-failed.js';
import { sessionFenceKey } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

/**
 * Session fences in the single table (key design: ./README.md, "Session
 * fences"): one item per user, raised by conditional updates, so that the
 * fence never goes down whatever runs concurrently.
 */
export function createDynamoSessionFenceStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): SessionFenceStore {
  const { doc, tableName: TableName } = options;

  return {
    async get(partnerId, userId) {
      checkFenceSubject(partnerId, userId);
      // Strongly consistent: a raise must hold from the moment it was acknowledged.
      const out = await doc.send(
        new GetCommand({
          TableName,
          Key: sessionFenceKey(partnerId, userId),
          ConsistentRead: true,
        }),
      );
      const fence = out.Item?.fence;
      return typeof fence === 'number' ? fence : 0;
    },

    async raise(partnerId, userId, atMs) {
      checkFenceSubject(partnerId, userId);
      checkFenceTime(atMs);
      const Key = sessionFenceKey(partnerId, userId);
      const ttl = Math.ceil(atMs / 1000) + SESSION_FENCE_RETENTION_SECONDS;
      const common = {
        TableName,
        Key,
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ReturnValues: 'ALL_NEW' as const,
      };
      try {
        const out = await doc.send(
          new UpdateCommand({
            ...common,
            UpdateExpression:
              'SET fence = :at, entity = :entity, partnerId = :p, userId = :u, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(fence) OR fence < :at',
            ExpressionAttributeValues: {
              ':at': atMs,
              ':entity': 'FENCE',
              ':p': partnerId,
              ':u': userId,
              ':ttl': ttl,
            },
          }),
        );
        return Number(out.Attributes?.fence);
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      // The stored fence is at `atMs` or later (a concurrent raise, or a clock
      // ahead of ours): one more, atomically, so that this raise still counts.
      const out = await doc.send(
        new UpdateCommand({
          ...common,
          UpdateExpression: 'SET fence = fence + :one, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(fence)',
          ExpressionAttributeValues: { ':one': 1, ':ttl': ttl },
        }),
      );
      return Number(out.Attributes?.fence);
    },
  };
}
