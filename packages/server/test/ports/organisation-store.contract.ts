import { describe, expect, it } from 'vitest';
import {
  admin,
  collect,
  domainError,
  newProperty,
  partnerId,
  seedPartner,
  type MakeStores,
} from './tenancy-fixtures.js';

export function describeOrganisationStore(name: string, make: MakeStores): void {
  describe(`OrganisationStore contract: ${name}`, () => {
    it('creates an organisation under its partner and gets it only there', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      expect(operator).toMatchObject({
        partnerId: p,
        kind: 'metering-operator',
        version: 1,
        contact: {},
      });
      expect(operator.id).toMatch(/^org_/);
      expect(await stores.organisations.get(p, operator.id)).toEqual(operator);
      const other = await seedPartner(stores);
      expect(await stores.organisations.get(other.partnerId, operator.id)).toBeNull();
      await expect(
        stores.organisations.update(other.partnerId, operator.id, { name: 'x' }, 1, admin),
      ).rejects.toMatchObject(domainError('NOT_FOUND'));
      await expect(
        stores.organisations.create(
          partnerId('none'),
          { name: 'x', kind: 'property-manager' },
          admin,
        ),
      ).rejects.toMatchObject(domainError('NOT_FOUND', { field: 'partnerId' }));
    });

    it('validates input and keeps the kind', async () => {
      const stores = make();
      const { partnerId: p, operator } = await seedPartner(stores);
      await expect(
        stores.organisations.create(p, { name: 'x', kind: 'landlord' as never }, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'kind', reason: 'not-allowed' }),
      );
      await expect(
        stores.organisations.create(
          p,
          { name: 'x', kind: 'metering-operator', contact: { email: 'nope' } },
          admin,
        ),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED', { field: 'contact/email' }));
      await expect(
        stores.organisations.update(
          p,
          operator.id,
          { kind: 'property-manager' } as never,
          1,
          admin,
        ),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'kind', reason: 'immutable' }),
      );
      const updated = await stores.organisations.update(
        p,
        operator.id,
        { contact: { email: 'Office@Example.org', phone: '+49 30 1234567' } },
        1,
        admin,
      );
      expect(updated).toMatchObject({
        version: 2,
        contact: { email: 'office@example.org', phone: '+49 30 1234567' },
      });
      await expect(
        stores.organisations.update(p, operator.id, { name: 'late' }, 1, admin),
      ).rejects.toMatchObject(domainError('CONFLICT'));
    });

    it("lists a partner's organisations oldest first, page by page, and nobody else's", async () => {
      const stores = make();
      const { partnerId: p, operator, manager } = await seedPartner(stores);
      const third = await stores.organisations.create(
        p,
        { name: 'Dritte', kind: 'property-manager' },
        admin,
      );
      const other = await seedPartner(stores);
      const all = await collect((cursor) =>
        stores.organisations.list(p, { limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(all.map((o) => o.id)).toEqual([operator.id, manager.id, third.id]);
      const first = await stores.organisations.list(p, { limit: 1 });
      expect(first.cursor).not.toBeNull();
      // A cursor of one partner's list opens nothing of another's.
      await expect(
        stores.organisations.list(other.partnerId, { cursor: first.cursor! }),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED'));
    });

    it('refuses to delete an organisation that still serves or manages a property', async () => {
      const stores = make();
      const { partnerId: p, operator, manager } = await seedPartner(stores);
      const property = await stores.properties.create(
        p,
        newProperty(operator.id, { managerOrganisationId: manager.id }),
        admin,
      );
      await expect(stores.organisations.delete(p, operator.id, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'has-properties' }),
      );
      await expect(stores.organisations.delete(p, manager.id, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'has-properties' }),
      );
      await stores.properties.update(p, property.id, { managerOrganisationId: null }, 1, admin);
      await stores.organisations.delete(p, manager.id, 1, admin);
      expect(await stores.organisations.get(p, manager.id)).toBeNull();
      await expect(stores.organisations.delete(p, manager.id, 1, admin)).rejects.toMatchObject(
        domainError('NOT_FOUND'),
      );
      const log = await stores.audit.listByOrganisation(p, manager.id);
      expect(log.items.map((e) => e.action)).toEqual([
        'organisation.deleted',
        'organisation.created',
      ]);
    });
  });
}
