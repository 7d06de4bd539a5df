import { describe, expect, it } from 'vitest';
import { PLATFORM_PARTNER_ID } from '../../src/domain/tenancy/user.js';
import {
  admin,
  collect,
  domainError,
  run,
  seedPartner,
  type MakeStores,
} from './tenancy-fixtures.js';

/** Shaped like password-hash.ts output; no real hashing needed to store one. */
export const FAKE_HASH =
  'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

export function describeUserStore(name: string, make: MakeStores): void {
  describe(`UserStore contract: ${name}`, () => {
    it('creates a user with a lower-cased e-mail and finds it by e-mail, in its partner only', async () => {
      const stores = make();
      const { partnerId: p } = await seedPartner(stores);
      const other = await seedPartner(stores);
      const email = `Anna.${run()}@Example.org`;
      const user = await stores.users.create(
        p,
        {
          email,
          name: 'Anna',
          passwordHash: FAKE_HASH,
          grants: [{ role: 'partner-admin', partnerId: p }],
        },
        admin,
      );
      expect(user).toMatchObject({
        partnerId: p,
        email: email.toLowerCase(),
        status: 'active',
        version: 1,
        passwordHash: FAKE_HASH,
      });
      expect(await stores.users.get(p, user.id)).toEqual(user);
      expect(await stores.users.findByEmail(p, email.toUpperCase())).toEqual(user);
      expect(await stores.users.get(other.partnerId, user.id)).toBeNull();
      expect(await stores.users.findByEmail(other.partnerId, email)).toBeNull();
      // The same address is another person at another partner.
      const twin = await stores.users.create(other.partnerId, { email, name: 'Anna B' }, admin);
      expect((await stores.users.findByEmail(other.partnerId, email))?.id).toBe(twin.id);
    });

    it('keeps e-mail addresses unique per partner, also under concurrent creates', async () => {
      const stores = make();
      const { partnerId: p } = await seedPartner(stores);
      const email = `bob.${run()}@example.org`;
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((n) => stores.users.create(p, { email, name: `Bob ${n}` }, admin)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toMatchObject(
            domainError('CONFLICT', { field: 'email', reason: 'duplicate' }),
          );
        }
      }
      await expect(
        stores.users.create(p, { email: email.toUpperCase(), name: 'Bob' }, admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { field: 'email' }));
    });

    it('moves the e-mail marker on a change of address and frees it on delete', async () => {
      const stores = make();
      const { partnerId: p } = await seedPartner(stores);
      const [a, b] = [`a.${run()}@example.org`, `b.${run()}@example.org`];
      const user = await stores.users.create(p, { email: a, name: 'C' }, admin);
      const moved = await stores.users.update(p, user.id, { email: b }, 1, admin);
      expect(moved.email).toBe(b);
      expect(await stores.users.findByEmail(p, a)).toBeNull();
      expect((await stores.users.findByEmail(p, b))?.id).toBe(user.id);
      const taker = await stores.users.create(p, { email: a, name: 'D' }, admin);
      await expect(stores.users.update(p, user.id, { email: a }, 2, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { field: 'email' }),
      );
      // The refused change left the user's own address where it was.
      expect((await stores.users.findByEmail(p, b))?.id).toBe(user.id);
      await stores.users.delete(p, user.id, 2, admin);
      expect(await stores.users.get(p, user.id)).toBeNull();
      expect(await stores.users.findByEmail(p, b)).toBeNull();
      await stores.users.create(p, { email: b, name: 'E' }, admin);
      expect((await stores.users.findByEmail(p, a))?.id).toBe(taker.id);
    });

    it('refuses grants outside the user, plain passwords and stale versions', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      const other = await seedPartner(stores);
      const input = { email: `g.${run()}@example.org`, name: 'G' };
      await expect(
        stores.users.create(
          p,
          { ...input, grants: [{ role: 'platform-admin', partnerId: '*' }] },
          admin,
        ),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'grants/0/role', reason: 'not-allowed' }),
      );
      await expect(
        stores.users.create(
          p,
          { ...input, grants: [{ role: 'partner-admin', partnerId: other.partnerId }] },
          admin,
        ),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'grants/0/partnerId' }));
      await expect(
        stores.users.create(p, { ...input, grants: [{ role: 'operator', partnerId: p }] }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'grants/0', reason: 'not-allowed' }),
      );
      await expect(
        stores.users.create(p, { ...input, passwordHash: 'hunter2hunter2' }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'passwordHash', reason: 'format' }),
      );
      const user = await stores.users.create(
        p,
        { ...input, grants: [{ role: 'operator', partnerId: p, organisationId: operator.id }] },
        admin,
      );
      await stores.users.update(p, user.id, { status: 'disabled' }, 1, admin);
      await expect(stores.users.update(p, user.id, { name: 'x' }, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );
      expect(await stores.users.findByEmail(p, input.email)).toMatchObject({
        status: 'disabled',
        version: 2,
      });
    });

    it('keeps platform admins apart from every partner', async () => {
      const stores = make();
      const { partnerId: p } = await seedPartner(stores);
      const email = `root.${run()}@example.org`;
      const root = await stores.users.create(
        PLATFORM_PARTNER_ID,
        { email, name: 'Root', grants: [{ role: 'platform-admin', partnerId: '*' }] },
        admin,
      );
      expect(root.partnerId).toBe('*');
      expect((await stores.users.findByEmail('*', email))?.id).toBe(root.id);
      expect(await stores.users.findByEmail(p, email)).toBeNull();
      expect(await stores.users.get(p, root.id)).toBeNull();
      await expect(
        stores.users.create(
          '*',
          { email: `x.${email}`, name: 'x', grants: [{ role: 'partner-admin', partnerId: '*' }] },
          admin,
        ),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'grants/0/role' }));
    });

    it('lists users without their password hashes', async () => {
      const stores = make();
      const { partnerId: p } = await seedPartner(stores);
      for (const n of [1, 2, 3]) {
        await stores.users.create(
          p,
          {
            email: `l${n}.${run()}@example.org`,
            name: `L${n}`,
            ...(n === 2 ? { passwordHash: FAKE_HASH } : {}),
          },
          admin,
        );
      }
      const all = await collect((cursor) =>
        stores.users.list(p, { limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(all).toHaveLength(3);
      expect(all.map((u) => u.hasPassword)).toEqual([false, true, false]);
      for (const u of all) expect(u).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(all)).not.toContain(FAKE_HASH);
    });

    it('never puts a password hash into the audit log, yet records that it changed', async () => {
      const stores = make();
      const { partnerId: p } = await seedPartner(stores);
      const user = await stores.users.create(
        p,
        { email: `h.${run()}@example.org`, name: 'H', passwordHash: FAKE_HASH },
        admin,
      );
      const second = FAKE_HASH.replace('aGFzaGhh', 'bmV3bmV3');
      await stores.users.update(p, user.id, { passwordHash: second }, 1, {
        kind: 'user',
        id: user.id,
      });
      await stores.users.delete(p, user.id, 2, admin);
      const log = await collect((cursor) =>
        stores.audit.listByPartner(p, cursor ? { cursor } : {}),
      );
      const mine = log.filter((e) => e.target.id === user.id);
      expect(mine.map((e) => e.action)).toEqual(['user.deleted', 'user.updated', 'user.created']);
      expect(mine[1]?.changed).toEqual(['passwordHash']);
      expect(mine[1]?.after).toMatchObject({ hasPassword: true });
      const text = JSON.stringify(log);
      expect(text).not.toContain(FAKE_HASH);
      expect(text).not.toContain(second);
      expect(text).not.toContain('scrypt$');
    });
  });
}
