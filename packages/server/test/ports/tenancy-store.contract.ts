import { describe, expect, it } from 'vitest';
import { admin, collect, domainError, seedUnit, type MakeStores } from './tenancy-fixtures.js';

export function describeTenancyStore(name: string, make: MakeStores): void {
  describe(`TenancyStore contract: ${name}`, () => {
    it("creates a tenancy of a unit, in the unit's property, and lists them by start day", async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const later = await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2025-04-01', tenantUserIds: ['usr_a'] },
        admin,
      );
      const earlier = await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2024-01-01', to: '2025-03-31' },
        admin,
      );
      expect(later).toMatchObject({
        partnerId: p,
        propertyId: property.id,
        unitId: unit.id,
        version: 1,
      });
      expect(later).not.toHaveProperty('to');
      expect(await stores.tenancies.get(p, later.id)).toEqual(later);
      const all = await collect((cursor) =>
        stores.tenancies.listByUnit(p, unit.id, { limit: 1, ...(cursor ? { cursor } : {}) }),
      );
      expect(all.map((t) => t.id)).toEqual([earlier.id, later.id]);
      const other = await seedUnit(stores);
      expect(await stores.tenancies.get(other.partnerId, later.id)).toBeNull();
      await expect(stores.tenancies.listByUnit(other.partnerId, unit.id)).rejects.toMatchObject(
        domainError('NOT_FOUND'),
      );
      await expect(
        stores.tenancies.create(other.partnerId, { unitId: unit.id, from: '2020-01-01' }, admin),
      ).rejects.toMatchObject(domainError('NOT_FOUND', { field: 'unitId' }));
    });

    it('refuses a tenancy that shares a day with another of the unit; adjacent ones are fine', async () => {
      const stores = make();
      const { partnerId: p, unit } = await seedUnit(stores);
      const a = await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2025-01-01', to: '2025-03-31' },
        admin,
      );
      const b = await stores.tenancies.create(p, { unitId: unit.id, from: '2025-04-01' }, admin);
      await expect(
        stores.tenancies.create(
          p,
          { unitId: unit.id, from: '2025-03-15', to: '2025-04-10' },
          admin,
        ),
      ).rejects.toMatchObject(
        domainError('CONFLICT', {
          field: 'from',
          reason: 'overlap',
          tenancyIds: [a.id, b.id].sort(),
        }),
      );
      await expect(
        stores.tenancies.create(
          p,
          { unitId: unit.id, from: '2024-06-01', to: '2025-01-01' },
          admin,
        ),
      ).rejects.toMatchObject(domainError('CONFLICT', { tenancyIds: [a.id] }));
      await expect(
        stores.tenancies.create(p, { unitId: unit.id, from: '2030-01-01' }, admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { tenancyIds: [b.id] }));
      await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2024-06-01', to: '2024-12-31' },
        admin,
      );
      // Another unit's calendar is its own.
      const unit2 = await stores.units.create(
        p,
        { propertyId: unit.propertyId, name: 'WE 02', livingAreaM2: 50, heatedAreaM2: 50 },
        admin,
      );
      await stores.tenancies.create(p, { unitId: unit2.id, from: '2025-01-01' }, admin);
    });

    it('lets exactly one of concurrent overlapping creates through', async () => {
      const stores = make();
      const { partnerId: p, unit } = await seedUnit(stores);
      const results = await Promise.allSettled(
        ['2025-01-01', '2025-01-15', '2025-02-01', '2025-02-15', '2025-03-01'].map((from) =>
          stores.tenancies.create(p, { unitId: unit.id, from, to: '2025-12-31' }, admin),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await stores.tenancies.listByUnit(p, unit.id)).items).toHaveLength(1);
    });

    it('lets at most one of two tenancies grow into each other at once', async () => {
      const stores = make();
      const { partnerId: p, unit } = await seedUnit(stores);
      const a = await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2025-01-01', to: '2025-03-31' },
        admin,
      );
      const b = await stores.tenancies.create(
        p,
        { unitId: unit.id, from: '2025-07-01', to: '2025-12-31' },
        admin,
      );
      const results = await Promise.allSettled([
        stores.tenancies.update(p, a.id, { to: '2025-08-31' }, 1, admin),
        stores.tenancies.update(p, b.id, { from: '2025-02-01' }, 1, admin),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
      const [x, y] = (await stores.tenancies.listByUnit(p, unit.id)).items;
      expect(x!.to! < y!.from).toBe(true);
    });

    it('moves dates with versions: growing into another is CONFLICT, shrinking frees days', async () => {
      const stores = make();
      const { partnerId: p, unit } = await seedUnit(stores);
      const a = await stores.tenancies.create(p, { unitId: unit.id, from: '2025-01-01' }, admin);
      await expect(
        stores.tenancies.create(p, { unitId: unit.id, from: '2025-07-01' }, admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { reason: 'overlap' }));
      // The tenant gives notice: the open tenancy gets its last day.
      const ended = await stores.tenancies.update(p, a.id, { to: '2025-06-30' }, 1, admin);
      expect(ended).toMatchObject({ to: '2025-06-30', version: 2 });
      const b = await stores.tenancies.create(p, { unitId: unit.id, from: '2025-07-01' }, admin);
      await expect(stores.tenancies.update(p, a.id, { to: null }, 2, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'overlap', tenancyIds: [b.id] }),
      );
      await expect(
        stores.tenancies.update(p, a.id, { to: '2025-05-31' }, 1, admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { reason: 'version' }));
      // The refused change left the tenancy as it was, and its days still block.
      expect(await stores.tenancies.get(p, a.id)).toEqual(ended);
      await expect(
        stores.tenancies.create(
          p,
          { unitId: unit.id, from: '2025-06-30', to: '2025-06-30' },
          admin,
        ),
      ).rejects.toMatchObject(domainError('CONFLICT', { tenancyIds: [a.id] }));
      const tenants = await stores.tenancies.update(
        p,
        a.id,
        { tenantUserIds: ['usr_1', 'usr_2'] },
        2,
        admin,
      );
      expect(tenants).toMatchObject({ tenantUserIds: ['usr_1', 'usr_2'], version: 3 });
      await expect(
        stores.tenancies.update(p, a.id, { unitId: 'unit_2' } as never, 3, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'unitId', reason: 'immutable' }),
      );
    });

    it('deletes with the version and gives the days back; the unit stays while it has tenancies', async () => {
      const stores = make();
      const { partnerId: p, operator, unit } = await seedUnit(stores);
      const a = await stores.tenancies.create(p, { unitId: unit.id, from: '2025-01-01' }, admin);
      await expect(stores.units.delete(p, unit.id, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'has-children' }),
      );
      await expect(stores.tenancies.delete(p, a.id, 2, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );
      await stores.tenancies.delete(p, a.id, 1, admin);
      expect(await stores.tenancies.get(p, a.id)).toBeNull();
      const b = await stores.tenancies.create(p, { unitId: unit.id, from: '2024-01-01' }, admin);
      await stores.tenancies.delete(p, b.id, 1, admin);
      await stores.units.delete(p, unit.id, 1, admin);
      const log = await stores.audit.listByOrganisation(p, operator.id, { limit: 5 });
      expect(log.items.map((e) => e.action)).toEqual([
        'unit.deleted',
        'tenancy.deleted',
        'tenancy.created',
        'tenancy.deleted',
        'tenancy.created',
      ]);
    });
  });
}
