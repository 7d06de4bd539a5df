import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createApiKey, verifyApiKey } from '../../src/auth/api-keys.js';
import {
  issueRefreshToken,
  revokeRefreshToken,
  rotateRefreshToken,
} from '../../src/auth/refresh-tokens.js';
import { createDynamoApiKeyStore } from '../../src/store/dynamodb-api-key-store.js';
import { createDynamoRefreshTokenStore } from '../../src/store/dynamodb-refresh-token-store.js';
import { scanTable, useDynaliteTable } from './dynalite-table.js';

/**
 * A leaked table must hold nothing a client could present. Each store is
 * driven through the auth core as the server will drive it, then every item of
 * the table is read raw and searched for the secrets that were handed out.
 */
describe('no secret reaches the table', () => {
  const { table } = useDynaliteTable('zw-secrets');
  const now = new Date('2025-03-01T00:00:00.000Z');

  async function everyItem(doc: DynamoDBDocumentClient, tableName: string): Promise<string> {
    return JSON.stringify(await scanTable(doc, tableName));
  }

  /** The secret as text and in the other encodings a careless adapter might store. */
  function forms(secret: string): string[] {
    const bytes = Buffer.from(secret, 'base64url');
    return [secret, bytes.toString('base64'), bytes.toString('hex')];
  }

  function expectAbsent(text: string, secrets: string[]): void {
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(text.includes(secret), 'a secret is stored').toBe(false);
    }
  }

  it('API keys: only the SHA-256 of the secret is stored', async () => {
    const { doc, tableName } = table();
    const store = createDynamoApiKeyStore(table());
    const { apiKey, record } = await createApiKey(
      store,
      {
        partnerId: 'partner-1',
        name: 'Export',
        scopes: ['readings:read'],
        grants: [{ role: 'partner-admin', partnerId: 'partner-1' }],
        createdBy: 'user-1',
      },
      { now },
    );
    await verifyApiKey(store, apiKey, { now });
    const secret = apiKey.split('_').slice(2).join('_');
    expect(apiKey).toBe(`zwk_${record.keyId}_${secret}`);
    const text = await everyItem(doc, tableName);
    expect(text).toContain(record.keyId);
    expect(text).toContain(createHash('sha256').update(secret).digest('base64url'));
    expectAbsent(text, [apiKey, ...forms(secret)]);
  });

  it('refresh tokens: only the SHA-256 of each secret is stored, used ones included', async () => {
    const { doc, tableName } = table();
    const store = createDynamoRefreshTokenStore(table());
    const subject = { userId: 'user-1', partnerId: 'partner-1' };
    const first = await issueRefreshToken(store, subject, { now });
    const second = await rotateRefreshToken(store, first.token, { now });
    const third = await rotateRefreshToken(store, second.token, { now });
    await revokeRefreshToken(store, third.token, { now });
    const text = await everyItem(doc, tableName);
    for (const { token } of [first, second, third]) {
      const [, tokenId, secret] = token.slice('zwr_'.length).split('.') as [string, string, string];
      expect(text).toContain(tokenId);
      expect(text).toContain(createHash('sha256').update(secret).digest('base64url'));
      expectAbsent(text, [token, ...forms(secret)]);
    }
  });
});
