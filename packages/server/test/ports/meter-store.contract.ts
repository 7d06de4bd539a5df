import { describe, expect, it } from 'vitest';
import type { NewMeter } from '../../src/domain/tenancy/meter.js';
import { admin, collect, domainError, seedUnit, type MakeStores } from './tenancy-fixtures.js';

let serial = 10_000_000;
/** A meter id no other test uses: tests share a table, identities are per partner anyway. */
const nextSerial = () => String((serial += 1));

function hca(propertyId: string, unitId: string | undefined, meterId = nextSerial()): NewMeter {
  return {
    propertyId,
    ...(unitId === undefined ? {} : { unitId }),
    kind: 'heat-cost-allocator',
    manufacturer: 'qds',
    meterId,
    deviceVersion: 0x35,
    deviceType: 0x08,
    installedAt: '2024-10-01T08:00:00+02:00',
    ratingFactors: { kq: 1.25, kc: 0.9 },
    keyRef: 'vault:meter/QDS-1',
  };
}

export function describeMeterStore(name: string, make: MakeStores): void {
  describe(`MeterStore contract: ${name}`, () => {
    it("creates a meter under the property's operator and finds it by identity, in its partner only", async () => {
      const stores = make();
      const { partnerId: p, operator, property, unit } = await seedUnit(stores);
      const input = hca(property.id, unit.id);
      const meter = await stores.meters.create(p, input, admin);
      expect(meter).toMatchObject({
        partnerId: p,
        organisationId: operator.id,
        propertyId: property.id,
        unitId: unit.id,
        manufacturer: 'QDS',
        installedAt: '2024-10-01T06:00:00.000Z',
        version: 1,
      });
      expect(meter.id).toMatch(/^met_/);
      expect(await stores.meters.get(p, meter.id)).toEqual(meter);
      const identity = {
        manufacturer: 'QDS',
        meterId: input.meterId,
        deviceVersion: 0x35,
        deviceType: 8,
      };
      expect(await stores.meters.findByIdentity(p, identity)).toEqual(meter);
      expect(
        await stores.meters.findByIdentity(p, { ...identity, deviceVersion: 0x36 }),
      ).toBeNull();
      const other = await seedUnit(stores);
      expect(await stores.meters.get(other.partnerId, meter.id)).toBeNull();
      expect(await stores.meters.findByIdentity(other.partnerId, identity)).toBeNull();
      // Many at once, in the order asked, unknown and malformed identities as null.
      const second = await stores.meters.create(p, hca(property.id, unit.id), admin);
      expect(
        await stores.meters.findManyByIdentity(p, [
          { ...identity, deviceVersion: 0x36 },
          { ...identity, meterId: second.meterId },
          identity,
          { ...identity, manufacturer: 'not a manufacturer' },
          identity,
        ]),
      ).toEqual([null, second, meter, null, meter]);
      expect(await stores.meters.findManyByIdentity(other.partnerId, [identity])).toEqual([null]);
      expect(await stores.meters.findManyByIdentity(p, [])).toEqual([]);
      // Unique per partner: another partner may register the same device.
      await stores.meters.create(
        other.partnerId,
        hca(other.property.id, other.unit.id, input.meterId),
        admin,
      );
      await expect(
        stores.meters.create(p, hca(property.id, undefined, input.meterId), admin),
      ).rejects.toMatchObject(domainError('CONFLICT', { field: 'meterId', reason: 'duplicate' }));
    });

    it('lets one of concurrent creates of the same identity win', async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const meterId = nextSerial();
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => stores.meters.create(p, hca(property.id, unit.id, meterId), admin)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await stores.meters.listByUnit(p, unit.id)).items).toHaveLength(1);
    });

    it('validates identity, kind-specific fields and placement', async () => {
      const stores = make();
      const { partnerId: p, manager, property, unit } = await seedUnit(stores);
      const other = await seedUnit(stores);
      const base = hca(property.id, unit.id);
      const cases: Array<[Partial<NewMeter>, string, string]> = [
        [{ meterId: '1234567' }, 'meterId', 'format'],
        [{ manufacturer: 'Q1S' }, 'manufacturer', 'format'],
        [{ deviceVersion: 256 }, 'deviceVersion', 'out-of-range'],
        [{ kind: 'water-meter' }, 'ratingFactors', 'not-allowed'],
        [{ ratingFactors: { kq: 0, kc: 1 } }, 'ratingFactors/kq', 'out-of-range'],
        [{ keyRef: '00112233445566778899AABBCCDDEEFF' }, 'keyRef', 'not-allowed'],
        [{ installedAt: '2024-10-01' }, 'installedAt', 'format'],
        [{ removedAt: '2024-09-01T00:00:00Z' }, 'removedAt', 'order'],
        [{ organisationId: manager.id }, 'organisationId', 'not-allowed'],
      ];
      for (const [change, field, reason] of cases) {
        await expect(stores.meters.create(p, { ...base, ...change }, admin)).rejects.toMatchObject(
          domainError('VALIDATION_FAILED', { field, reason }),
        );
      }
      await expect(
        stores.meters.create(p, { ...base, unitId: other.unit.id }, admin),
      ).rejects.toMatchObject(domainError('NOT_FOUND', { field: 'unitId' }));
      await expect(stores.meters.create(other.partnerId, base, admin)).rejects.toMatchObject(
        domainError('NOT_FOUND', { field: 'propertyId' }),
      );
      // Nothing of the refused meters was stored, and the identity stayed free.
      expect((await stores.meters.listByProperty(p, property.id)).items).toEqual([]);
      await stores.meters.create(p, base, admin);
    });

    it('lists meters by property (its own first) and by unit', async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const unit2 = await stores.units.create(
        p,
        { propertyId: property.id, name: 'WE 02', livingAreaM2: 50, heatedAreaM2: 50 },
        admin,
      );
      const a = await stores.meters.create(p, hca(property.id, unit.id), admin);
      const b = await stores.meters.create(p, hca(property.id, unit2.id), admin);
      const c = await stores.meters.create(p, hca(property.id, unit.id), admin);
      const building = await stores.meters.create(
        p,
        {
          propertyId: property.id,
          kind: 'heat-meter',
          manufacturer: 'KAM',
          meterId: nextSerial(),
          deviceVersion: 1,
          deviceType: 4,
          installedAt: '2024-01-01T00:00:00Z',
        },
        admin,
      );
      const all = await collect((cursor) =>
        stores.meters.listByProperty(p, property.id, { limit: 3, ...(cursor ? { cursor } : {}) }),
      );
      expect(all[0]?.id).toBe(building.id);
      expect(all.map((m) => m.id).sort()).toEqual([a.id, b.id, c.id, building.id].sort());
      const ofUnit = await collect((cursor) =>
        stores.meters.listByUnit(p, unit.id, { limit: 1, ...(cursor ? { cursor } : {}) }),
      );
      expect(ofUnit.map((m) => m.id)).toEqual([a.id, c.id]);
      // A cursor of one unit's list does not continue another unit's.
      const first = await stores.meters.listByUnit(p, unit.id, { limit: 1 });
      await expect(
        stores.meters.listByUnit(p, unit2.id, { cursor: first.cursor! }),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED'));
      await expect(stores.meters.listByUnit(p, 'unit_missing')).rejects.toMatchObject(
        domainError('NOT_FOUND'),
      );
      // Children keep their parents.
      await expect(stores.units.delete(p, unit2.id, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'has-children' }),
      );
      await expect(stores.properties.delete(p, property.id, 1, admin)).rejects.toMatchObject(
        domainError('CONFLICT', { reason: 'has-children' }),
      );
    });

    it('retires a meter with removedAt, which frees its identity for the next installation', async () => {
      const stores = make();
      const { partnerId: p, operator, property, unit } = await seedUnit(stores);
      const input = hca(property.id, unit.id);
      const old = await stores.meters.create(p, input, admin);
      const identity = {
        manufacturer: 'QDS',
        meterId: input.meterId,
        deviceVersion: 0x35,
        deviceType: 8,
      };
      await expect(
        stores.meters.update(p, old.id, { unitId: 'unit_x' } as never, 1, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'unitId', reason: 'immutable' }),
      );
      const removed = await stores.meters.update(
        p,
        old.id,
        { removedAt: '2025-02-01T00:00:00Z' },
        1,
        admin,
      );
      expect(removed).toMatchObject({ removedAt: '2025-02-01T00:00:00.000Z', version: 2 });
      expect(await stores.meters.findByIdentity(p, identity)).toBeNull();
      const again = await stores.meters.create(
        p,
        { ...input, installedAt: '2025-02-01T00:00:00Z' },
        admin,
      );
      expect(await stores.meters.findByIdentity(p, identity)).toEqual(again);
      await expect(
        stores.meters.update(p, old.id, { removedAt: null } as never, 2, admin),
      ).rejects.toMatchObject(
        domainError('VALIDATION_FAILED', { field: 'removedAt', reason: 'immutable' }),
      );
      // Correcting the date of a removal is allowed, and does not touch the new installation.
      await stores.meters.update(p, old.id, { removedAt: '2025-02-02T00:00:00Z' }, 2, admin);
      expect((await stores.meters.findByIdentity(p, identity))?.id).toBe(again.id);
      // The batched lookup answers as the single one: the removed installation never, the new one.
      expect(await stores.meters.findManyByIdentity(p, [identity])).toEqual([again]);
      const log = await stores.audit.listByOrganisation(p, operator.id, { limit: 4 });
      expect(log.items.map((e) => e.action)).toEqual([
        'meter.updated',
        'meter.created',
        'meter.removed',
        'meter.created',
      ]);
    });

    it("moves a meter to its property's new operator, removed ones too, without an audit entry", async () => {
      const stores = make();
      const { partnerId: p, operator, property, unit } = await seedUnit(stores);
      const operator2 = await stores.organisations.create(
        p,
        { name: 'Messdienst West', kind: 'metering-operator' },
        admin,
      );
      const operator3 = await stores.organisations.create(
        p,
        { name: 'Messdienst Ost', kind: 'metering-operator' },
        admin,
      );
      const input = hca(property.id, unit.id);
      const meter = await stores.meters.create(p, input, admin);
      const retired = await stores.meters.create(
        p,
        { ...hca(property.id, undefined), removedAt: '2024-12-31T00:00:00Z' },
        admin,
      );
      const entries = async () => (await stores.audit.listByPartner(p, { limit: 100 })).items;
      const logged = (await entries()).length;

      const moved = await stores.meters.moveToOrganisation(p, meter.id, operator.id, operator2.id);
      expect(moved).toEqual({
        ...meter,
        organisationId: operator2.id,
        version: 2,
        updatedAt: moved.updatedAt,
      });
      expect(await stores.meters.get(p, meter.id)).toEqual(moved);
      // Ingest finds it with its new operator; the identity marker did not change.
      const identity = {
        manufacturer: 'QDS',
        meterId: input.meterId,
        deviceVersion: 0x35,
        deviceType: 8,
      };
      expect(await stores.meters.findByIdentity(p, identity)).toEqual(moved);
      expect(
        (await stores.meters.moveToOrganisation(p, retired.id, operator.id, operator2.id))
          .organisationId,
      ).toBe(operator2.id);

      // Again (a resumed transfer): as it is, nothing written.
      expect(
        await stores.meters.moveToOrganisation(p, meter.id, operator.id, operator2.id),
      ).toEqual(moved);
      // Neither end: someone else moved it.
      await expect(
        stores.meters.moveToOrganisation(p, meter.id, operator.id, operator3.id),
      ).rejects.toMatchObject(domainError('CONFLICT', { reason: 'organisation' }));
      await expect(
        stores.meters.moveToOrganisation(p, 'met_missing', operator.id, operator2.id),
      ).rejects.toMatchObject(domainError('NOT_FOUND'));
      const other = await seedUnit(stores);
      await expect(
        stores.meters.moveToOrganisation(other.partnerId, meter.id, operator.id, operator2.id),
      ).rejects.toMatchObject(domainError('NOT_FOUND'));
      await expect(
        stores.meters.moveToOrganisation(p, meter.id, operator.id, 'org#x'),
      ).rejects.toMatchObject(domainError('VALIDATION_FAILED'));
      expect((await entries()).length).toBe(logged);

      // The move bumped the version: a change made on the version read before it is stale.
      await expect(
        stores.meters.update(p, meter.id, { location: 'Bad' }, 1, admin),
      ).rejects.toMatchObject(domainError('CONFLICT'));
      const changed = await stores.meters.update(p, meter.id, { location: 'Bad' }, 2, admin);
      expect(changed).toMatchObject({ organisationId: operator2.id, version: 3 });
    });

    it('installs a meter under the operator the property has after a transfer started', async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const operator2 = await stores.organisations.create(
        p,
        { name: 'Messdienst West', kind: 'metering-operator' },
        admin,
      );
      await stores.properties.startTransfer(p, property.id, operator2.id, property.version);
      const meter = await stores.meters.create(p, hca(property.id, unit.id), admin);
      expect(meter.organisationId).toBe(operator2.id);
      const log = await stores.audit.listByOrganisation(p, operator2.id, { limit: 1 });
      expect(log.items[0]).toMatchObject({ action: 'meter.created', target: { id: meter.id } });
    });

    it('deletes a mistaken meter with its version, which frees its identity', async () => {
      const stores = make();
      const { partnerId: p, property, unit } = await seedUnit(stores);
      const input = hca(property.id, unit.id);
      const meter = await stores.meters.create(p, input, admin);
      await expect(stores.meters.delete(p, meter.id, 2, admin)).rejects.toMatchObject(
        domainError('CONFLICT'),
      );
      await stores.meters.delete(p, meter.id, 1, admin);
      expect(await stores.meters.get(p, meter.id)).toBeNull();
      await stores.meters.create(p, input, admin);
      await expect(stores.meters.delete(p, meter.id, 1, admin)).rejects.toMatchObject(
        domainError('NOT_FOUND'),
      );
    });
  });
}
