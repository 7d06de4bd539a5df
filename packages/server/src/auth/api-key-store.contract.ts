import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyInfo, ApiKeyRecord, ApiKeyStore } from './api-keys.js';

/**
 * What every ApiKeyStore must do. Run it on each implementation (the memory
 * store here; a DynamoDB one on dynalite when it exists), so a fake that passes
 * cannot hide a behaviour the real store lacks.
 */
export function apiKeyStoreContract(
  name: string,
  make: () => ApiKeyStore | Promise<ApiKeyStore>,
): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
      const run = randomUUID().replaceAll('-', '').slice(0, 12);
      return {
        keyId: run,
        partnerId: `partner-${run}`,
        organisationId: 'org-1',
        name: 'Billing export',
        scopes: ['readings:read', 'meters:read'],
        grants: [{ role: 'operator', partnerId: `partner-${run}`, organisationId: 'org-1' }],
        createdBy: 'user-1',
        createdAt: '2025-03-01T00:00:00.000Z',
        expiresAt: null,
        revokedAt: null,
        secretHash: 'x'.repeat(43),
        ...overrides,
      };
    }

    it('stores a key and reads it back exactly; a missing one is null', async () => {
      const store = await make();
      const created = record({ expiresAt: '2026-01-01T00:00:00.000Z' });
      await store.create(created);
      expect(await store.get(created.keyId)).toEqual(created);
      expect(await store.get('missingkey01')).toBeNull();
    });

    it('keeps an optional organisation absent when it was absent', async () => {
      const store = await make();
      const { organisationId: _o, ...partnerWide } = record();
      await store.create(partnerWide);
      expect(await store.get(partnerWide.keyId)).not.toHaveProperty('organisationId');
    });

    it('refuses a second key with the same id with CONFLICT, keeping the first', async () => {
      const store = await make();
      const first = record();
      await store.create(first);
      await expect(store.create({ ...first, name: 'other' })).rejects.toMatchObject({
        name: 'DomainError',
        code: 'CONFLICT',
      });
      expect(await store.get(first.keyId)).toEqual(first);
    });

    it('revokes once: a second revocation keeps the first time', async () => {
      const store = await make();
      const key = record();
      await store.create(key);
      const first = await store.revoke(key.keyId, '2025-03-02T00:00:00.000Z');
      expect(first).toEqual({ ...key, revokedAt: '2025-03-02T00:00:00.000Z' });
      const second = await store.revoke(key.keyId, '2025-03-03T00:00:00.000Z');
      expect(second?.revokedAt).toBe('2025-03-02T00:00:00.000Z');
      expect((await store.get(key.keyId))?.revokedAt).toBe('2025-03-02T00:00:00.000Z');
    });

    it('answers null when revoking a key that does not exist, and does not make one', async () => {
      const store = await make();
      expect(await store.revoke('missingkey02', '2025-03-02T00:00:00.000Z')).toBeNull();
      expect(await store.get('missingkey02')).toBeNull();
    });

    /** Every page of a list, following cursors. */
    async function listAll(
      store: ApiKeyStore,
      partnerId: string,
      options: { limit?: number; organisationId?: string } = {},
    ) {
      const pages: ApiKeyInfo[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(partnerId, { ...options, ...(cursor ? { cursor } : {}) });
        pages.push(page.items);
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
      return pages;
    }

    it('lists a partner’s keys oldest first, page by page, without their digests', async () => {
      const store = await make();
      const first = record();
      const partnerId = first.partnerId;
      const keys = [first];
      for (let i = 1; i < 5; i++) {
        keys.push(
          record({
            partnerId,
            grants: first.grants,
            createdAt: `2025-03-0${1 + (i % 3)}T00:00:0${i}.000Z`,
          }),
        );
      }
      const stranger = record();
      for (const key of [...keys].reverse()) await store.create(key);
      await store.create(stranger);
      await store.revoke(keys[2]!.keyId, '2025-03-09T00:00:00.000Z');

      const pages = await listAll(store, partnerId, { limit: 2 });
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const listed = pages.flat();
      const order = [...keys].sort((a, b) =>
        `${a.createdAt}#${a.keyId}` < `${b.createdAt}#${b.keyId}` ? -1 : 1,
      );
      expect(listed.map((k) => k.keyId)).toEqual(order.map((k) => k.keyId));
      expect(listed.find((k) => k.keyId === keys[2]!.keyId)?.revokedAt).toBe(
        '2025-03-09T00:00:00.000Z',
      );
      for (const item of listed) expect(item).not.toHaveProperty('secretHash');
      const { secretHash: _s, ...info } = first;
      expect(listed.find((k) => k.keyId === first.keyId)).toEqual(info);
      expect(await store.list(`partner-none-${first.keyId}`)).toEqual({ items: [], cursor: null });
    });

    it('lists only the keys limited to an organisation when one is named', async () => {
      const store = await make();
      const inOrg = record();
      const { partnerId } = inOrg;
      const { organisationId: _o, ...partnerWide } = record({ partnerId });
      const otherOrg = record({ partnerId, organisationId: 'org-2' });
      const second = record({ partnerId, createdAt: '2025-03-05T00:00:00.000Z' });
      for (const key of [inOrg, partnerWide, otherOrg, second]) await store.create(key);
      const pages = await listAll(store, partnerId, { organisationId: 'org-1', limit: 1 });
      expect(pages.flat().map((k) => k.keyId)).toEqual([inOrg.keyId, second.keyId]);
      const all = await store.list(partnerId);
      expect(all.items).toHaveLength(4);
      expect(all.cursor).toBeNull();
    });

    it('refuses a cursor of another list, a made-up one and a limit out of range', async () => {
      const store = await make();
      const a = record();
      await store.create(a);
      await store.create(record({ partnerId: a.partnerId }));
      const b = record();
      await store.create(b);
      await store.create(record({ partnerId: b.partnerId }));
      const cursorOfA = (await store.list(a.partnerId, { limit: 1 })).cursor;
      expect(cursorOfA).toEqual(expect.any(String));
      const refused = { name: 'DomainError', code: 'VALIDATION_FAILED' };
      await expect(store.list(b.partnerId, { cursor: cursorOfA! })).rejects.toMatchObject(refused);
      await expect(
        store.list(a.partnerId, { cursor: cursorOfA!, organisationId: 'org-1' }),
      ).rejects.toMatchObject(refused);
      for (const cursor of ['', 'x', Buffer.from('{"pk":1}').toString('base64url')]) {
        await expect(store.list(a.partnerId, { cursor })).rejects.toMatchObject(refused);
      }
      for (const limit of [0, 101, 1.5]) {
        await expect(store.list(a.partnerId, { limit })).rejects.toMatchObject(refused);
      }
      expect((await store.list(a.partnerId, { cursor: cursorOfA! })).items).toHaveLength(1);
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const store = await make();
      const key = record();
      await store.create(key);
      key.scopes.push('changed:after-create');
      const read = await store.get(key.keyId);
      read!.grants.length = 0;
      expect((await store.get(key.keyId))?.scopes).toEqual(['readings:read', 'meters:read']);
      expect((await store.get(key.keyId))?.grants).toHaveLength(1);
    });
  });
}
