import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { sessionFenceStoreContract } from '../../src/auth/session-fence-store.contract.js';
import { SESSION_FENCE_RETENTION_SECONDS } from '../../src/auth/session-fence.js';
import { createDynamoSessionFenceStore } from '../../src/store/dynamodb-session-fence-store.js';
import { sessionFenceKey } from '../../src/store/keys.js';
import { useDynaliteTable } from './dynalite-table.js';

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-session-fences');
  sessionFenceStoreContract('DynamoDB', () => createDynamoSessionFenceStore(table()));

  it('keeps one item per user, under the partner, forgotten by TTL after the retention', async () => {
    const { doc, tableName } = table();
    const store = createDynamoSessionFenceStore(table());
    const at = Date.parse('2025-03-01T00:00:00.500Z');
    await store.raise('p-1', 'usr_layout', at);
    const item = (
      await doc.send(
        new GetCommand({ TableName: tableName, Key: sessionFenceKey('p-1', 'usr_layout') }),
      )
    ).Item;
    expect(item).toEqual({
      pk: 'P#p-1#USER#usr_layout#FENCE',
      sk: 'FENCE',
      entity: 'FENCE',
      partnerId: 'p-1',
      userId: 'usr_layout',
      fence: at,
      expiresAt: Math.ceil(at / 1000) + SESSION_FENCE_RETENTION_SECONDS,
    });
  });
});
