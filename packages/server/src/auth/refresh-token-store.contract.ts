import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type {
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from './refresh-tokens.js';

/**
 * What every RefreshTokenStore must do. Run it on each implementation (the
 * memory store here; a DynamoDB one on dynalite when it exists). The race test
 * matters most: rotation is only safe if exactly one consume of a token wins.
 */
export function refreshTokenStoreContract(
  name: string,
  make: () => RefreshTokenStore | Promise<RefreshTokenStore>,
): void {
  describe(`RefreshTokenStore contract: ${name}`, () => {
    const id = () => randomUUID().replaceAll('-', '').slice(0, 22);

    function family(overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord {
      return {
        familyId: id(),
        userId: 'user-1',
        partnerId: 'partner-1',
        createdAt: '2025-03-01T00:00:00.000Z',
        expiresAt: '2025-03-31T00:00:00.000Z',
        revokedAt: null,
        revokedReason: null,
        sessionFence: 0,
        ...overrides,
      };
    }

    function token(familyId: string, overrides: Partial<RefreshTokenRecord> = {}) {
      const record: RefreshTokenRecord = {
        tokenId: id(),
        familyId,
        secretHash: 'h'.repeat(43),
        state: 'active',
        createdAt: '2025-03-01T00:00:00.000Z',
        expiresAt: '2025-03-08T00:00:00.000Z',
        familyExpiresAt: '2025-03-31T00:00:00.000Z',
        usedAt: null,
        ...overrides,
      };
      return record;
    }

    const conflict = { name: 'DomainError', code: 'CONFLICT' };

    it('stores a family with its first token and reads both back exactly', async () => {
      const store = await make();
      const f = family();
      const t = token(f.familyId);
      await store.createFamily(f, t);
      expect(await store.getFamily(f.familyId)).toEqual(f);
      expect(await store.get(t.tokenId)).toEqual(t);
      expect(await store.getFamily(id())).toBeNull();
      expect(await store.get(id())).toBeNull();
    });

    it('refuses a taken family id or token id with CONFLICT, changing nothing', async () => {
      const store = await make();
      const f = family();
      const t = token(f.familyId);
      await store.createFamily(f, t);
      await expect(
        store.createFamily({ ...f, userId: 'user-2' }, token(f.familyId)),
      ).rejects.toMatchObject(conflict);
      const other = family();
      await expect(
        store.createFamily(other, { ...t, familyId: other.familyId }),
      ).rejects.toMatchObject(conflict);
      expect(await store.getFamily(other.familyId)).toBeNull();
      await expect(store.create({ ...t, secretHash: 'x'.repeat(43) })).rejects.toMatchObject(
        conflict,
      );
      expect(await store.getFamily(f.familyId)).toEqual(f);
      expect(await store.get(t.tokenId)).toEqual(t);
    });

    it('adds further tokens to a family', async () => {
      const store = await make();
      const f = family();
      await store.createFamily(f, token(f.familyId));
      const next = token(f.familyId, { createdAt: '2025-03-02T00:00:00.000Z' });
      await store.create(next);
      expect(await store.get(next.tokenId)).toEqual(next);
    });

    it('consumes an active token once: the second consume fails', async () => {
      const store = await make();
      const f = family();
      const t = token(f.familyId);
      await store.createFamily(f, t);
      expect(await store.consume(t.tokenId, 'active', '2025-03-02T00:00:00.000Z')).toBe(true);
      expect(await store.get(t.tokenId)).toEqual({
        ...t,
        state: 'used',
        usedAt: '2025-03-02T00:00:00.000Z',
      });
      expect(await store.consume(t.tokenId, 'active', '2025-03-03T00:00:00.000Z')).toBe(false);
      expect((await store.get(t.tokenId))?.usedAt).toBe('2025-03-02T00:00:00.000Z');
      expect(await store.consume(id(), 'active', '2025-03-03T00:00:00.000Z')).toBe(false);
    });

    it('lets exactly one of many concurrent consumes win', async () => {
      const store = await make();
      const f = family();
      const t = token(f.familyId);
      await store.createFamily(f, t);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.consume(t.tokenId, 'active', `2025-03-02T00:00:0${i}.000Z`),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('revokes a family once: the first time and reason stay', async () => {
      const store = await make();
      const f = family();
      await store.createFamily(f, token(f.familyId));
      expect(await store.revokeFamily(f.familyId, '2025-03-02T00:00:00.000Z', 'reuse')).toBe(true);
      expect(await store.revokeFamily(f.familyId, '2025-03-03T00:00:00.000Z', 'logout')).toBe(true);
      expect(await store.getFamily(f.familyId)).toEqual({
        ...f,
        revokedAt: '2025-03-02T00:00:00.000Z',
        revokedReason: 'reuse',
      });
      const missing = id();
      expect(await store.revokeFamily(missing, '2025-03-02T00:00:00.000Z', 'logout')).toBe(false);
      expect(await store.getFamily(missing)).toBeNull();
    });

    it('lists one user’s families, oldest first, revoked ones included', async () => {
      const store = await make();
      const userId = `user-${id()}`;
      const second = family({ userId, createdAt: '2025-03-02T00:00:00.000Z', sessionFence: 7 });
      const first = family({ userId, createdAt: '2025-03-01T00:00:00.000Z' });
      const foreign = family({ userId, partnerId: 'partner-2' });
      for (const f of [second, first, foreign, family()]) {
        await store.createFamily(f, token(f.familyId));
      }
      await store.revokeFamily(second.familyId, '2025-03-03T00:00:00.000Z', 'account-changed');
      expect(await store.listFamilies('partner-1', userId)).toEqual([
        first,
        { ...second, revokedAt: '2025-03-03T00:00:00.000Z', revokedReason: 'account-changed' },
      ]);
      expect(await store.listFamilies('partner-2', userId)).toEqual([foreign]);
      expect(await store.listFamilies('partner-1', `user-${id()}`)).toEqual([]);
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const store = await make();
      const f = family();
      const t = token(f.familyId);
      await store.createFamily(f, t);
      t.state = 'used';
      f.revokedAt = 'x';
      const read = await store.get(t.tokenId);
      read!.state = 'used';
      expect((await store.get(t.tokenId))?.state).toBe('active');
      expect((await store.getFamily(f.familyId))?.revokedAt).toBeNull();
    });
  });
}
