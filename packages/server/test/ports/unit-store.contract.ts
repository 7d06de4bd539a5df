import { describe, expect, it } from 'vitest';
import { admin, collect, domainError, seedUnit, type MakeStores } from './tenancy-fixtures.js';

export function describeUnitStore(name: string, make: MakeStores): void {
  describe(`UnitStore contract: ${name}`, () => {
    it('creates a unit in a property of the partner and gets it there only', async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      expect(unit).toMatchObject({
        partnerId: p,
        propertyId: property.id,
        name: 'WE 01',
        livingAreaM2: 72.5,
        heatedAreaM2: 70,
        version: 1,
      });
      expect(await stores.units.get(p, unit.id)).toEqual(unit);
      const other = await seedUnit(stores);
      expect(await stores.units.get(other.partnerId, unit.id)).toBeNull();
      await expect(
        stores.units.create(
          other.partnerId,
          { propertyId: property.id, name: 'x', livingAreaM2: 1, heatedAreaM2: 1 },
          admin,
        ),
      ).rejects.toMatchObject(domainError('NOT_FOUND', { field: 'propertyId' }));
    });

    it('validates areas and the occupant category', async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const input = { propertyId: property.id, name: 'WE 02', livingAreaM2: 50, heatedAreaM2: 50 };
      await expect(
        stores.units.create(p, { ...input, livingAreaM2: 0 }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'livingAreaM2', reason: 'out-of-range' }),
      );
      await expect(
        stores.units.create(p, { ...input, heatedAreaM2: '50' as never }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'heatedAreaM2', reason: 'type' }),
      );
      await expect(
        stores.units.create(p, { ...input, occupantCategory: 'office' as never }, admin),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'occupantCategory' }));
      await expect(
        stores.units.update(p, unit.id, { propertyId: 'prop_x' } as never, 1, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'propertyId', reason: 'immutable' }),
      );
      const next = await stores.units.update(
        p,
        unit.id,
        { floor: '2. OG', occupantCategory: 'non-residential', heatedAreaM2: 0 },
        1,
        admin,
      );
      expect(next).toMatchObject({
        floor: '2. OG',
        occupantCategory: 'non-residential',
        heatedAreaM2: 0,
        version: 2,
      });
      const cleared = await stores.units.update(p, unit.id, { floor: null }, 2, admin);
      expect(cleared).not.toHaveProperty('floor');
      expect(await stores.units.get(p, unit.id)).toEqual(cleared);
    });

    it("lists a property's units, oldest first, page by page", async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const more = [];
      for (const n of [2, 3, 4]) {
        more.push(
          await stores.units.create(
            p,
            { propertyId: property.id, name: `WE 0${n}`, livingAreaM2: 40, heatedAreaM2: 40 },
            admin,
          ),
        );
      }
      const all = await collect((cursor) =>
        stores.units.listByProperty(p, property.id, { limit: 3, ...(cursor ? { cursor } : {}) }),
      );
      expect(all.map((u) => u.id).sort()).toEqual([unit.id, ...more.map((u) => u.id)].sort());
      expect(all.map((u) => u.createdAt)).toEqual([...all.map((u) => u.createdAt)].sort());
      expect(all[0]).not.toHaveProperty('occupancy');
    });

    it('deletes an empty unit with its version, and audits under the operator', async () => {
      const stores = make();
      const { partnerId: p, operator, unit } = await seedUnit(stores);
      await expect(stores.units.delete(p, unit.id, 2, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );
      await stores.units.delete(p, unit.id, 1, admin);
      expect(await stores.units.get(p, unit.id)).toBeNull();
      const log = await stores.audit.listByOrganisation(p, operator.id);
      expect(log.items.slice(0, 2).map((e) => e.action)).toEqual(['unit.deleted', 'unit.created']);
    });
  });
}
