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

      // A change of metering operator (a transfer) and the manager taking over b.
      await stores.properties.startTransfer(p, a.id, operator2.id, 1);
      const moved = await stores.properties.update(
        p,
        a.id,
        { managerOrganisationId: null },
        2,
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

    it('changes the operator by a transfer only: a patch naming another one is refused', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      const operator2 = await stores.organisations.create(
        p,
        { name: 'Neu', kind: 'metering-operator' },
        admin,
      );
      const property = await stores.properties.create(p, newProperty(operator.id), admin);
      await expect(
        stores.properties.update(p, property.id, { organisationId: operator2.id }, 1, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'organisationId', reason: 'immutable' }),
      );
      await expect(
        stores.properties.update(p, property.id, { organisationId: operator2.id }, 1, admin),
      ).rejects.toThrow(/transfer/);
      // The current operator sent back with the rest of the record is no change.
      const same = await stores.properties.update(
        p,
        property.id,
        { organisationId: operator.id, name: 'Haus' },
        1,
        admin,
      );
      expect(same).toMatchObject({ organisationId: operator.id, name: 'Haus', version: 2 });
    });

    it('starts a transfer: operator, list and mark in one write, no audit entry', async () => {
      const stores = make();
      const { partnerId: p, operator, manager } = await seedPartner(stores);
      const operator2 = await stores.organisations.create(
        p,
        { name: 'Neu', kind: 'metering-operator' },
        admin,
      );
      const property = await stores.properties.create(p, newProperty(operator.id), admin);
      const entriesBefore = (await stores.audit.listByPartner(p)).items.length;
      const other = await seedPartner(stores);

      // Refused before anything is written: stale, missing, another partner's, wrong kind, same.
      await expect(
        stores.properties.startTransfer(p, property.id, operator2.id, 2),
      ).rejects.toMatchObject(domainError('CONFLICT', { reason: 'version' }));
      await expect(
        stores.properties.startTransfer(p, 'prop_missing', operator2.id, 1),
      ).rejects.toMatchObject(domainError('NOT_FOUND'));
      await expect(
        stores.properties.startTransfer(p, property.id, other.operator.id, 1),
      ).rejects.toMatchObject(domainError('NOT_FOUND', { field: 'toOrganisationId' }));
      await expect(
        stores.properties.startTransfer(other.partnerId, property.id, other.operator.id, 1),
      ).rejects.toMatchObject(domainError('NOT_FOUND'));
      await expect(
        stores.properties.startTransfer(p, property.id, manager.id, 1),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'toOrganisationId', reason: 'not-allowed' }),
      );
      await expect(
        stores.properties.startTransfer(p, property.id, operator.id, 1),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'toOrganisationId', reason: 'not-allowed' }),
      );
      expect(await stores.properties.get(p, property.id)).toEqual(property);

      const started = await stores.properties.startTransfer(p, property.id, operator2.id, 1);
      expect(started).toMatchObject({
        organisationId: operator2.id,
        version: 2,
        transfer: {
          fromOrganisationId: operator.id,
          toOrganisationId: operator2.id,
          startedOnVersion: 1,
        },
      });
      expect(started.transfer?.startedAt).toBe(started.updatedAt);
      expect(await stores.properties.get(p, property.id)).toEqual(started);
      const listed = async (org: string) =>
        (
          await collect((c) => stores.properties.listByOrganisation(p, org, c ? { cursor: c } : {}))
        ).map((x) => x.id);
      expect(await listed(operator.id)).toEqual([]);
      expect(await listed(operator2.id)).toEqual([property.id]);
      // The transfer's own entry is the use case's; the store writes none.
      expect((await stores.audit.listByPartner(p)).items).toHaveLength(entriesBefore);
    });

    it('resumes a pending transfer to the same operator, refuses one elsewhere, and finishes once', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      const org = (name: string) =>
        stores.organisations.create(p, { name, kind: 'metering-operator' }, admin);
      const operator2 = await org('Zwei');
      const operator3 = await org('Drei');
      const property = await stores.properties.create(p, newProperty(operator.id), admin);
      const started = await stores.properties.startTransfer(p, property.id, operator2.id, 1);

      // The request that started it, sent again, and one that read the mark: nothing written.
      expect(await stores.properties.startTransfer(p, property.id, operator2.id, 1)).toEqual(
        started,
      );
      expect(await stores.properties.startTransfer(p, property.id, operator2.id, 2)).toEqual(
        started,
      );
      await expect(
        stores.properties.startTransfer(p, property.id, operator2.id, 3),
      ).rejects.toMatchObject(domainError('CONFLICT', { reason: 'version' }));
      await expect(
        stores.properties.startTransfer(p, property.id, operator3.id, 2),
      ).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'transfer-pending', toOrganisationId: operator2.id }),
      );
      // Back to the old operator is a transfer elsewhere too.
      await expect(
        stores.properties.startTransfer(p, property.id, operator.id, 2),
      ).rejects.toMatchObject(domainError('CONFLICT', { reason: 'transfer-pending' }));

      // A patch meanwhile keeps the mark.
      const renamed = await stores.properties.update(p, property.id, { name: 'Haus' }, 2, admin);
      expect(renamed.transfer).toEqual(started.transfer);
      expect((await stores.properties.get(p, property.id))?.transfer).toEqual(started.transfer);

      const mark = started.transfer!;
      expect(
        await stores.properties.finishTransfer(p, property.id, { ...mark, startedAt: 'x' }),
      ).toBe(false);
      expect(await stores.properties.finishTransfer(p, property.id, mark)).toBe(true);
      expect(await stores.properties.finishTransfer(p, property.id, mark)).toBe(false);
      const done = await stores.properties.get(p, property.id);
      expect(done).not.toHaveProperty('transfer');
      expect(done).toMatchObject({ organisationId: operator2.id, name: 'Haus', version: 4 });
      // Finished: the same target is now the operator, and a third one may be next.
      await expect(
        stores.properties.startTransfer(p, property.id, operator2.id, 4),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'toOrganisationId' }));
      const next = await stores.properties.startTransfer(p, property.id, operator3.id, 4);
      expect(next.transfer).toMatchObject({
        fromOrganisationId: operator2.id,
        toOrganisationId: operator3.id,
        startedOnVersion: 4,
      });
    });

    it('lets concurrent starts of the same transfer all resume the one that was written', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      const operator2 = await stores.organisations.create(
        p,
        { name: 'Zwei', kind: 'metering-operator' },
        admin,
      );
      const property = await stores.properties.create(p, newProperty(operator.id), admin);
      const results = await Promise.all(
        [1, 2, 3].map(() => stores.properties.startTransfer(p, property.id, operator2.id, 1)),
      );
      const stored = await stores.properties.get(p, property.id);
      expect(stored?.version).toBe(2);
      for (const result of results) expect(result.transfer).toEqual(stored?.transfer);
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
