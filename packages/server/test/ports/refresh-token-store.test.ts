import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { refreshTokenStoreContract } from '../../src/auth/refresh-token-store.contract.js';
import {
  issueRefreshToken,
  revokeRefreshToken,
  rotateRefreshToken,
} from '../../src/auth/refresh-tokens.js';
import { createDynamoRefreshTokenStore } from '../../src/store/dynamodb-refresh-token-store.js';
import {
  GSI1,
  refreshFamilyKey,
  refreshTokenKey,
  userSessionsPartition,
} from '../../src/store/keys.js';
import { useDynaliteTable } from './dynalite-table.js';

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-refresh-tokens');
  refreshTokenStoreContract('DynamoDB', () => createDynamoRefreshTokenStore(table()));

  describe('DynamoDB refresh token layout', () => {
    const now = new Date('2025-03-01T00:00:00.000Z');
    const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    const subject = () => ({ userId: `user-${randomUUID().slice(0, 8)}`, partnerId: 'partner-1' });
    const tokenId = (token: string) => token.split('.')[1]!;

    it('expires tokens and families by TTL at the family end, and lists a user’s sessions', async () => {
      const { doc, tableName } = table();
      const store = createDynamoRefreshTokenStore(table());
      const user = subject();
      const session = await issueRefreshToken(store, user, { now });
      const next = await rotateRefreshToken(store, session.token, { now: later(60) });
      const familyEnd = Date.parse(now.toISOString()) / 1000 + 30 * 24 * 3600;

      const raw = async (key: { pk: string; sk: string }) =>
        (await doc.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
      expect(await raw(refreshFamilyKey(session.familyId))).toMatchObject({
        familyExpiresAt: new Date(familyEnd * 1000).toISOString(),
        expiresAt: familyEnd,
      });
      expect(await raw(refreshTokenKey(tokenId(session.token)))).toMatchObject({
        state: 'used',
        usedAt: later(60).toISOString(),
        idleExpiresAt: new Date(now.getTime() + 7 * 24 * 3600 * 1000).toISOString(),
        expiresAt: familyEnd,
      });
      expect(await raw(refreshTokenKey(tokenId(next.token)))).toMatchObject({
        state: 'active',
        expiresAt: familyEnd,
      });

      await issueRefreshToken(store, user, { now: later(120) });
      const sessions = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': userSessionsPartition(user.partnerId, user.userId) },
        }),
      );
      expect(sessions.Items).toHaveLength(2);
      expect(sessions.Items?.[0]).toMatchObject({ familyId: session.familyId });
    });

    it('ends the session when one token is rotated concurrently (reuse), on the real store', async () => {
      const store = createDynamoRefreshTokenStore(table());
      const session = await issueRefreshToken(store, subject(), { now });
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          rotateRefreshToken(store, session.token, { now: later(1) }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const family = await store.getFamily(session.familyId);
      expect(family).toMatchObject({ revokedReason: 'reuse' });
      const winner = results.find((r) => r.status === 'fulfilled');
      await expect(
        rotateRefreshToken(
          store,
          (winner as PromiseFulfilledResult<{ token: string }>).value.token,
          {
            now: later(2),
          },
        ),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'family-revoked' } });
    });

    it('signs out: the family is revoked for logout, and stays revoked for the first reason', async () => {
      const store = createDynamoRefreshTokenStore(table());
      const session = await issueRefreshToken(store, subject(), { now });
      expect(await revokeRefreshToken(store, session.token, { now: later(5) })).toBe(true);
      expect(await revokeRefreshToken(store, session.token, { now: later(6) })).toBe(true);
      expect(await store.getFamily(session.familyId)).toMatchObject({
        revokedAt: later(5).toISOString(),
        revokedReason: 'logout',
      });
    });

    it('refuses ids with the key separator', async () => {
      const store = createDynamoRefreshTokenStore(table());
      const family = {
        familyId: 'fam#1',
        userId: 'user-1',
        partnerId: 'partner-1',
        createdAt: now.toISOString(),
        expiresAt: later(3600).toISOString(),
        revokedAt: null,
        revokedReason: null,
        sessionFence: 0,
      };
      const token = {
        tokenId: 'tok-1',
        familyId: 'fam#1',
        secretHash: 'h'.repeat(43),
        state: 'active' as const,
        createdAt: now.toISOString(),
        expiresAt: later(60).toISOString(),
        familyExpiresAt: later(3600).toISOString(),
        usedAt: null,
      };
      await expect(store.createFamily(family, token)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(
        store.create({ ...token, tokenId: 'tok#2', familyId: 'fam-2' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
});
