import { describe, expect, it } from 'vitest';
import {
  admin,
  domainError,
  newPartner,
  partnerId,
  run,
  testClock,
  type MakeStores,
} from './tenancy-fixtures.js';

/** What every PartnerStore must do; `make` may share one table across tests. */
export function describePartnerStore(name: string, make: MakeStores): void {
  describe(`PartnerStore contract: ${name}`, () => {
    it('creates a partner, normalised, at version 1, and gets it back', async () => {
      const { partners } = make();
      const id = partnerId();
      const created = await partners.create(newPartner(id), admin);
      expect(created).toMatchObject({
        id,
        status: 'active',
        version: 1,
        branding: {
          colours: { primary: '#0055aa', background: '#fff' },
          support: { email: 'service@example.org' },
          customDomains: [],
        },
        allowedOrigins: ['https://www.example.org'],
      });
      expect(created.createdAt).toBe(created.updatedAt);
      expect(await partners.get(id)).toEqual(created);
      expect(await partners.get(partnerId('missing'))).toBeNull();
    });

    it('refuses a taken id (CONFLICT) and invalid input (VALIDATION_FAILED with field and reason)', async () => {
      const { partners } = make();
      const id = partnerId();
      await partners.create(newPartner(id), admin);
      await expect(partners.create(newPartner(id), admin)).rejects.toMatchObject(
        domainError('CONFLICT', { field: 'id' }),
      );
      const bad = newPartner(partnerId());
      await expect(partners.create({ ...bad, id: 'Not A Slug' }, admin)).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'id', reason: 'format' }),
      );
      await expect(
        partners.create({ ...bad, branding: { ...bad.branding, defaultLocale: 'fr' } }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', {
          field: 'branding/enabledLocales',
          reason: 'not-allowed',
        }),
      );
      await expect(
        partners.create({ ...bad, allowedOrigins: ['http://www.example.org'] }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'allowedOrigins/0', reason: 'format' }),
      );
      await expect(
        partners.create(
          {
            ...bad,
            branding: {
              ...bad.branding,
              fonts: { body: 'x;}</style><script>', heading: 'serif' },
            },
          },
          admin,
        ),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'branding/fonts/body', reason: 'format' }),
      );
      // Nothing of the refused partners was stored.
      expect(await partners.get(bad.id)).toBeNull();
    });

    it('keeps custom domains unique in the deployment and finds a partner by one, case-insensitively', async () => {
      const { partners } = make();
      const r = run();
      const [a, b] = [partnerId('a'), partnerId('b')];
      const base = newPartner(a);
      const domain = `portal-${r}.example.net`;
      const pa = await partners.create(
        { ...base, branding: { ...base.branding, customDomains: [domain.toUpperCase()] } },
        admin,
      );
      expect(pa.branding.customDomains).toEqual([domain]);
      expect((await partners.findByCustomDomain(`PORTAL-${r}.Example.NET`))?.id).toBe(a);
      expect(await partners.findByCustomDomain(`other-${r}.example.net`)).toBeNull();

      const other = newPartner(b);
      await expect(
        partners.create(
          {
            ...other,
            branding: { ...other.branding, customDomains: [`x-${r}.example.net`, domain] },
          },
          admin,
        ),
      ).rejects.toMatchObject(
        domainError('CONFLICT', { field: 'branding/customDomains', reason: 'duplicate' }),
      );
      // The refused create gave back the domain it had claimed before the clash.
      const pb = await partners.create(
        { ...other, branding: { ...other.branding, customDomains: [`x-${r}.example.net`] } },
        admin,
      );
      expect((await partners.findByCustomDomain(`x-${r}.example.net`))?.id).toBe(b);

      // Giving a domain up frees it for another partner at once.
      const moved = await partners.update(
        a,
        { branding: { ...pa.branding, customDomains: [`new-${r}.example.net`] } },
        1,
        admin,
      );
      expect(moved.version).toBe(2);
      expect(await partners.findByCustomDomain(domain)).toBeNull();
      await partners.update(
        b,
        { branding: { ...pb.branding, customDomains: [`x-${r}.example.net`, domain] } },
        1,
        admin,
      );
      expect((await partners.findByCustomDomain(domain))?.id).toBe(b);
      expect((await partners.findByCustomDomain(`new-${r}.example.net`))?.id).toBe(a);
    });

    it('lets only one of two partners racing for a domain have it', async () => {
      const { partners } = make();
      const domain = `race-${run()}.example.net`;
      const ids = [partnerId('r1'), partnerId('r2'), partnerId('r3')];
      const results = await Promise.allSettled(
        ids.map((id) => {
          const p = newPartner(id);
          return partners.create(
            { ...p, branding: { ...p.branding, customDomains: [domain] } },
            admin,
          );
        }),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const winner = ids[results.findIndex((r) => r.status === 'fulfilled')];
      expect((await partners.findByCustomDomain(domain))?.id).toBe(winner);
    });

    it('updates with optimistic versions: stale is CONFLICT, missing is NOT_FOUND', async () => {
      const { partners } = make();
      const id = partnerId();
      await partners.create(newPartner(id), admin);
      const renamed = await partners.update(id, { name: 'Neu', status: 'suspended' }, 1, admin);
      expect(renamed).toMatchObject({ name: 'Neu', status: 'suspended', version: 2 });
      await expect(partners.update(id, { name: 'Alt' }, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );
      await expect(
        partners.update(partnerId('missing'), { name: 'x' }, 1, admin),
      ).rejects.toMatchObject(domainError('NOT_FOUND'));
      await expect(partners.update(id, { id: 'other' } as never, 2, admin)).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'id', reason: 'immutable' }),
      );
      expect(await partners.get(id)).toEqual(renamed);
    });

    it('audits create and update with actor, before and after', async () => {
      const clock = testClock();
      const { partners, audit } = make({ now: clock.now });
      const id = partnerId();
      await partners.create(newPartner(id), admin);
      clock.advance(1000);
      await partners.update(id, { name: 'Neu' }, 1, { kind: 'api-key', id: 'key_1' });
      const page = await audit.listByPartner(id);
      expect(page.items.map((e) => e.action)).toEqual(['partner.updated', 'partner.created']);
      expect(page.items[0]).toMatchObject({
        partnerId: id,
        actor: { kind: 'api-key', id: 'key_1' },
        target: { type: 'partner', id },
        before: { name: `Stadtwerke ${id}`, version: 1 },
        after: { name: 'Neu', version: 2 },
        changed: ['name'],
      });
      expect(page.items[1]).not.toHaveProperty('before');
    });

    it('lists partners in pages with a cursor that only this list accepts', async () => {
      const { partners } = make();
      const seen: string[] = [];
      let cursor: string | null | undefined;
      do {
        const page = await partners.list({ limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((p) => p.id));
        cursor = page.cursor;
      } while (cursor);
      expect(seen.length).toBeGreaterThan(0);
      expect([...seen].sort()).toEqual(seen);
      await expect(partners.list({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject(
        domainError('VALIDATION_FAILED'),
      );
      await expect(partners.list({ limit: 101 })).rejects.toMatchObject(
        domainError('VALIDATION_FAILED'),
      );
    });
  });
}
