import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { apiKeyStoreContract } from '../../src/auth/api-key-store.contract.js';
import { createApiKey, revokeApiKey, verifyApiKey } from '../../src/auth/api-keys.js';
import {
  API_KEY_RETENTION_SECONDS,
  createDynamoApiKeyStore,
} from '../../src/store/dynamodb-api-key-store.js';
import { apiKeyKey, GSI1, partnerApiKeysPartition } from '../../src/store/keys.js';
import { useDynaliteTable } from './dynalite-table.js';

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-api-keys');
  apiKeyStoreContract('DynamoDB', () => createDynamoApiKeyStore(table()));

  describe('DynamoDB API key layout', () => {
    const now = new Date('2025-03-01T00:00:00.000Z');
    const input = (partnerId: string) => ({
      partnerId,
      name: 'Export',
      scopes: ['readings:read'],
      grants: [{ role: 'partner-admin' as const, partnerId }],
      createdBy: 'user-1',
    });

    it('lists keys under their partner only, oldest first', async () => {
      const { doc, tableName } = table();
      const store = createDynamoApiKeyStore(table());
      const run = randomUUID().slice(0, 8);
      const [a, b] = [`partner-a-${run}`, `partner-b-${run}`];
      const first = await createApiKey(store, input(a), { now });
      const second = await createApiKey(store, input(a), { now: new Date(now.getTime() + 1000) });
      await createApiKey(store, input(b), { now });
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': partnerApiKeysPartition(a) },
        }),
      );
      expect(out.Items?.map((i) => i.keyId)).toEqual([first.record.keyId, second.record.keyId]);
    });

    it('authenticates and revokes through the store, with TTL only once a key can end', async () => {
      const { doc, tableName } = table();
      const store = createDynamoApiKeyStore(table());
      const partner = `partner-${randomUUID().slice(0, 8)}`;
      const raw = async (keyId: string) =>
        (await doc.send(new GetCommand({ TableName: tableName, Key: apiKeyKey(keyId) }))).Item;

      const open = await createApiKey(store, input(partner), { now });
      expect(await raw(open.record.keyId)).not.toHaveProperty('expiresAt');
      const principal = await verifyApiKey(store, open.apiKey, { now });
      expect(principal).toMatchObject({ kind: 'api-key', partnerId: partner });

      const expiring = await createApiKey(
        store,
        { ...input(partner), expiresAt: new Date('2025-06-01T00:00:00.000Z') },
        { now },
      );
      const item = await raw(expiring.record.keyId);
      expect(item).toMatchObject({
        keyExpiresAt: '2025-06-01T00:00:00.000Z',
        expiresAt: Date.parse('2025-06-01T00:00:00.000Z') / 1000 + API_KEY_RETENTION_SECONDS,
      });

      const revokedAt = new Date('2025-03-02T00:00:00.000Z');
      await revokeApiKey(
        store,
        { keyId: open.record.keyId, partnerId: partner },
        { now: revokedAt },
      );
      expect(await raw(open.record.keyId)).toMatchObject({
        revokedAt: revokedAt.toISOString(),
        expiresAt: revokedAt.getTime() / 1000 + API_KEY_RETENTION_SECONDS,
      });
      await expect(verifyApiKey(store, open.apiKey, { now })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        details: { reason: 'revoked' },
      });
    });

    it('refuses a key id or partner with the key separator', async () => {
      const store = createDynamoApiKeyStore(table());
      const record = {
        keyId: 'abc#def',
        partnerId: 'partner-1',
        name: 'x',
        scopes: [],
        grants: [],
        createdBy: 'user-1',
        createdAt: now.toISOString(),
        expiresAt: null,
        revokedAt: null,
        secretHash: 'x'.repeat(43),
      };
      await expect(store.create(record)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        store.create({ ...record, keyId: 'abcdef', partnerId: 'p#1' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('keeps the first of concurrent revocations', async () => {
      const store = createDynamoApiKeyStore(table());
      const partner = `partner-${randomUUID().slice(0, 8)}`;
      const { record } = await createApiKey(store, input(partner), { now });
      const times = Array.from({ length: 6 }, (_, i) => `2025-03-02T00:00:0${i}.000Z`);
      const results = await Promise.all(times.map((t) => store.revoke(record.keyId, t)));
      const stored = (await store.get(record.keyId))?.revokedAt;
      expect(times).toContain(stored);
      expect(results.map((r) => r?.revokedAt)).toEqual(times.map(() => stored));
    });
  });
});
