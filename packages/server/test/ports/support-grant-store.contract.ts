import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SupportGrant, SupportGrantStore } from '../../src/domain/support-access.js';

/**
 * What every SupportGrantStore must do. Authentication trusts activeForUser
 * on every request, so its cases matter most: an expired or revoked grant,
 * another user's or another partner's, must never come back.
 */
export function supportGrantStoreContract(
  name: string,
  make: () => SupportGrantStore | Promise<SupportGrantStore>,
): void {
  describe(`SupportGrantStore contract: ${name}`, () => {
    const short = () => randomUUID().replaceAll('-', '').slice(0, 12);
    const NOW = new Date('2025-03-10T12:00:00.000Z');
    const at = (hours: number) => new Date(NOW.getTime() + hours * 3600_000).toISOString();

    function grant(overrides: Partial<SupportGrant> = {}): SupportGrant {
      return {
        id: `sup_${short()}`,
        partnerId: 'p-1',
        organisationId: 'org_1',
        userId: 'usr_support',
        access: 'read',
        reason: 'Ticket 4711: gateway offline',
        grantedBy: { kind: 'user', id: 'usr_operator' },
        createdAt: at(-1),
        expiresAt: at(24),
        ...overrides,
      };
    }

    it('stores a grant and reads it back exactly, under its partner only', async () => {
      const store = await make();
      const g = grant({ access: 'operate' });
      await store.create(g);
      expect(await store.get('p-1', g.id)).toEqual(g);
      expect(await store.get('p-2', g.id)).toBeNull();
      expect(await store.get('p-1', `sup_${short()}`)).toBeNull();
    });

    it('refuses a taken id with CONFLICT, changing nothing', async () => {
      const store = await make();
      const g = grant();
      await store.create(g);
      await expect(
        store.create({ ...g, userId: 'usr_other', reason: 'another' }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.get('p-1', g.id)).toEqual(g);
      expect(await store.activeForUser('p-1', 'usr_other', NOW)).toEqual([]);
    });

    it("gives a user's active grants only: not expired, not revoked, not another's", async () => {
      const store = await make();
      const userId = `usr_${short()}`;
      const active = grant({ userId, organisationId: 'org_a' });
      const later = grant({ userId, organisationId: 'org_b', expiresAt: at(48) });
      const expired = grant({ userId, createdAt: at(-48), expiresAt: at(-1) });
      const endsNow = grant({ userId, expiresAt: NOW.toISOString() });
      const revoked = grant({ userId });
      const otherUser = grant();
      const otherPartner = grant({ userId, partnerId: 'p-2' });
      for (const g of [active, later, expired, endsNow, revoked, otherUser, otherPartner]) {
        await store.create(g);
      }
      await store.revoke('p-1', revoked.id, at(-0.5), { kind: 'user', id: 'usr_operator' });
      const found = await store.activeForUser('p-1', userId, NOW);
      expect(found.map((g) => g.id).sort()).toEqual([active.id, later.id].sort());
      expect(await store.activeForUser('p-2', userId, NOW)).toEqual([otherPartner]);
      // The same grants a day later: only the longer one is left.
      const tomorrow = new Date(NOW.getTime() + 25 * 3600_000);
      expect(await store.activeForUser('p-1', userId, tomorrow)).toEqual([later]);
    });

    it('revokes once: the first time and actor stay; another partner cannot', async () => {
      const store = await make();
      const g = grant();
      await store.create(g);
      const first = { kind: 'user', id: 'usr_operator' } as const;
      expect(await store.revoke('p-2', g.id, at(0), first)).toBeNull();
      expect(await store.get('p-1', g.id)).toEqual(g);
      const revoked = await store.revoke('p-1', g.id, at(0), first);
      expect(revoked).toEqual({ ...g, revokedAt: at(0), revokedBy: first });
      const again = await store.revoke('p-1', g.id, at(1), { kind: 'user', id: 'usr_support' });
      expect(again).toEqual(revoked);
      expect(await store.get('p-1', g.id)).toEqual(revoked);
      expect(await store.revoke('p-1', `sup_${short()}`, at(0), first)).toBeNull();
    });

    it("lists an organisation's grants newest first, ended ones included, page by page", async () => {
      const store = await make();
      const organisationId = `org_${short()}`;
      const made: SupportGrant[] = [];
      for (let i = 0; i < 5; i += 1) {
        const g = grant({
          organisationId,
          createdAt: at(-10 + i),
          expiresAt: i === 0 ? at(-5) : at(24),
        });
        await store.create(g);
        made.push(g);
      }
      await store.create(grant({ organisationId: `org_${short()}` }));
      await store.create(grant({ organisationId, partnerId: 'p-2' }));
      await store.revoke('p-1', made[1]!.id, at(0), { kind: 'user', id: 'usr_operator' });

      const first = await store.listByOrganisation('p-1', organisationId, { limit: 3 });
      expect(first.items.map((g) => g.id)).toEqual([made[4]!.id, made[3]!.id, made[2]!.id]);
      expect(first.cursor).not.toBeNull();
      const second = await store.listByOrganisation('p-1', organisationId, {
        limit: 3,
        cursor: first.cursor!,
      });
      expect(second.items.map((g) => g.id)).toEqual([made[1]!.id, made[0]!.id]);
      expect(second.items[0]).toMatchObject({ revokedAt: at(0) });
      expect(second.cursor).toBeNull();
      expect((await store.listByOrganisation('p-2', organisationId)).items).toHaveLength(1);

      // A cursor is valid for its own list only.
      for (const [partnerId, org] of [
        ['p-2', organisationId],
        ['p-1', `org_${short()}`],
      ] as const) {
        await expect(
          store.listByOrganisation(partnerId, org, { cursor: first.cursor! }),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      await expect(
        store.listByOrganisation('p-1', organisationId, { cursor: 'bm90LWEtY3Vyc29y' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('refuses ids that could reach another key', async () => {
      const store = await make();
      await expect(store.create(grant({ userId: 'usr#x' }))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(store.get('p#1', 'sup_x')).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(store.activeForUser('p-1', 'u#1', NOW)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(store.listByOrganisation('p-1', 'o#1')).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });
}
