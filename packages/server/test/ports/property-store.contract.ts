import { describe, expect, it } from 'vitest';
import {
  admin,
  collect,
  domainError,
  newProperty,
  seedPartner,
  type MakeStores,
} from './tenancy-fixtures.js';

export function describePropertyStore(name: string, make: MakeStores): void {
  describe(`PropertyStore contract: ${name}`, () => {
    it('creates a property served by an operator, with defaults, and gets it under its partner only', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      const property = await stores.properties.create(p, newProperty(operator.id), admin);
      expect(property).toMatchObject({
        partnerId: p,
        organisationId: operator.id,
        timeZone: 'Europe/Berlin',
        address: { country: 'DE' },
        version: 1,
      });
      expect(property).not.toHaveProperty('minimumAggregationUnits');
      expect(await stores.properties.get(p, property.id)).toEqual(property);
      const other = await seedPartner(stores);
      expect(await stores.properties.get(other.partnerId, property.id)).toBeNull();
    });

    it("refuses an operator that is missing, another partner's, or not an operator", async () => {
      const stores = make();
      const { partnerId: p, operator, manager } = await seedPartner(stores);
      const other = await seedPartner(stores);
      await expect(
        stores.properties.create(other.partnerId, newProperty(operator.id), admin),
      ).rejects.toMatchObject(domainError('NOT_FOUND', { field: 'organisationId' }));
      await expect(
        stores.properties.create(p, newProperty(manager.id), admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'organisationId', reason: 'not-allowed' }),
      );
      await expect(
        stores.properties.create(
          p,
          newProperty(operator.id, { managerOrganisationId: operator.id }),
          admin,
        ),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'managerOrganisationId' }));
      await expect(
        stores.properties.create(p, newProperty(operator.id, { timeZone: 'Mars/Olympus' }), admin),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'timeZone' }));
      await expect(
        stores.properties.create(
          p,
          newProperty(operator.id, { minimumAggregationUnits: 2 }),
          admin,
        ),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', {
          field: 'minimumAggregationUnits',
          reason: 'out-of-range',
        }),
      );
    });

    it('lists properties by operator and by manager, and follows a change of either', async () => {
      const stores = make();
      const { partnerId: p, operator, manager } = await seedPartner(stores);
      const operator2 = await stores.organisations.create(
        p,
        { name: 'Neu', kind: 'metering-operator' },
        admin,
      );
      const a = await stores.properties.create(
        p,
        newProperty(operator.id, { managerOrganisationId: manager.id }),
        admin,
      );
      const b = await stores.properties.create(p, newProperty(operator.id), admin);
      const byOperator = (org: string) =>
        collect((cursor) =>
          stores.properties.listByOrganisation(p, org, { limit: 1, ...(cursor ? { cursor } : {}) }),
        );
      const byManager = (org: string) =>
        collect((cursor) =>
          stores.properties.listByManager(p, org, { limit: 1, ...(cursor ? { cursor } : {}) }),
        );
      expect((await byOperator(operator.id)).map((x) => x.id)).toEqual([a.id, b.id]);
      expect((await byManager(manager.id)).map((x) => x.id)).toEqual([a.id]);

      // A change of metering operator and the manager taking over b.
      const moved = await stores.properties.update(
        p,
        a.id,
        { organisationId: operator2.id, managerOrganisationId: null },
        1,
        admin,
      );
      expect(moved).not.toHaveProperty('managerOrganisationId');
      await stores.properties.update(p, b.id, { managerOrganisationId: manager.id }, 1, admin);
      expect((await byOperator(operator.id)).map((x) => x.id)).toEqual([b.id]);
      expect((await byOperator(operator2.id)).map((x) => x.id)).toEqual([a.id]);
      expect((await byManager(manager.id)).map((x) => x.id)).toEqual([b.id]);
      // Another partner's lists name the same organisation ids and find nothing.
      const other = await seedPartner(stores);
      expect((await stores.properties.listByManager(other.partnerId, manager.id)).items).toEqual(
        [],
      );
      expect(
        (await stores.properties.listByOrganisation(other.partnerId, operator.id)).items,
      ).toEqual([]);
    });

    it('updates with versions and audits under the operator', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      const property = await stores.properties.create(p, newProperty(operator.id), admin);
      const next = await stores.properties.update(
        p,
        property.id,
        {
          name: 'Haus A',
          minimumAggregationUnits: 5,
          heatingSystem: { kind: 'district', warmWaterCentral: false },
        },
        1,
        admin,
      );
      expect(next).toMatchObject({ name: 'Haus A', minimumAggregationUnits: 5, version: 2 });
      expect(next.heatingSystem).toEqual({ kind: 'district', warmWaterCentral: false });
      await expect(
        stores.properties.update(p, property.id, { name: 'B' }, 1, admin),
      ).rejects.toMatchObject(domainError('CONFLICT'));
      const log = await stores.audit.listByOrganisation(p, operator.id);
      expect(log.items.slice(0, 2).map((e) => e.action)).toEqual([
        'property.updated',
        'property.created',
      ]);
      expect(log.items[0]?.changed).toEqual(['heatingSystem', 'minimumAggregationUnits', 'name']);
    });
  });
}
