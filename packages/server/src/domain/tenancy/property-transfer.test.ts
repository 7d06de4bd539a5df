import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../../../test/ports/dynalite-table.js';
import {
  admin,
  newProperty,
  seedPartner,
  type TenancyStores,
} from '../../../test/ports/tenancy-fixtures.js';
import { createDynamoMeterStore } from '../../store/dynamodb-meter-store.js';
import { createDynamoTenancyStores } from '../../store/dynamodb-tenancy-stores.js';
import { DomainError } from '../errors.js';
import type { NewMeter } from './meter.js';
import type { MeterStore } from './ports.js';
import { transferProperty, type PropertyTransferDeps } from './property-transfer.js';

let serial = 30_000_000;
function waterMeter(propertyId: string, unitId?: string, removedAt?: string): NewMeter {
  serial += 1;
  return {
    propertyId,
    ...(unitId === undefined ? {} : { unitId }),
    kind: 'water-meter',
    manufacturer: 'ZWM',
    meterId: String(serial),
    deviceVersion: 1,
    deviceType: 7,
    installedAt: '2024-01-01T00:00:00Z',
    ...(removedAt === undefined ? {} : { removedAt }),
  };
}

describe('transferProperty on dynalite', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-property-transfer');
  const make = (): TenancyStores => ({ ...createDynamoTenancyStores(table()), table: table() });

  /** An operator's property with two units, meters in each, one removed, and a building meter. */
  async function seed(stores: TenancyStores) {
    const { partnerId, operator } = await seedPartner(stores);
    const target = await stores.organisations.create(
      partnerId,
      { name: 'Messdienst West', kind: 'metering-operator' },
      admin,
    );
    const property = await stores.properties.create(partnerId, newProperty(operator.id), admin);
    const unit = (name: string) =>
      stores.units.create(
        partnerId,
        { propertyId: property.id, name, livingAreaM2: 60, heatedAreaM2: 60 },
        admin,
      );
    const u1 = await unit('WE 01');
    const u2 = await unit('WE 02');
    const meters = [
      await stores.meters.create(partnerId, waterMeter(property.id), admin),
      await stores.meters.create(partnerId, waterMeter(property.id, u1.id), admin),
      await stores.meters.create(
        partnerId,
        waterMeter(property.id, u1.id, '2024-06-30T00:00:00Z'),
        admin,
      ),
      await stores.meters.create(partnerId, waterMeter(property.id, u2.id), admin),
      await stores.meters.create(partnerId, waterMeter(property.id, u2.id), admin),
    ];
    return { partnerId, from: operator.id, to: target.id, property, meters };
  }

  const deps = (stores: TenancyStores, meters: PropertyTransferDeps['meters'] = stores.meters) => ({
    properties: stores.properties,
    units: stores.units,
    meters,
    audit: stores.audit,
  });

  const transferred = async (stores: TenancyStores, partnerId: string, org: string) =>
    (await stores.audit.listByOrganisation(partnerId, org, { limit: 100 })).items.filter(
      (e) => e.action === 'property.transferred',
    );

  it('moves the property and every meter, clears the mark, and logs one entry per operator', async () => {
    const stores = make();
    const { partnerId, from, to, property, meters } = await seed(stores);
    const summary = await transferProperty(deps(stores), {
      partnerId,
      propertyId: property.id,
      toOrganisationId: to,
      expectedVersion: property.version,
      actor: admin,
    });
    const stored = await stores.properties.get(partnerId, property.id);
    expect(stored).toMatchObject({ organisationId: to, version: property.version + 2 });
    expect(stored).not.toHaveProperty('transfer');
    expect(summary).toEqual({
      propertyId: property.id,
      fromOrganisationId: from,
      toOrganisationId: to,
      at: expect.any(String),
      metersMoved: meters.length,
      unitsCount: 2,
      state: 'completed',
    });
    for (const meter of meters) {
      expect(await stores.meters.get(partnerId, meter.id)).toMatchObject({
        organisationId: to,
        version: meter.version + 1,
      });
    }
    const [inNew] = await transferred(stores, partnerId, to);
    const [inOld] = await transferred(stores, partnerId, from);
    expect(inNew).toMatchObject({
      organisationId: to,
      actor: admin,
      target: { type: 'property', id: property.id },
      before: { organisationId: from },
      after: { organisationId: to, unitsCount: 2 },
      changed: ['organisationId'],
    });
    expect([...(inNew?.after as { meterIds: string[] }).meterIds].sort()).toEqual(
      meters.map((m) => m.id).sort(),
    );
    expect({ ...inOld, id: '', at: '', organisationId: to }).toEqual({
      ...inNew,
      id: '',
      at: '',
    });
    expect(inOld?.organisationId).toBe(from);
  });

  it('completes a transfer cut short after some meters when called again, logged once', async () => {
    const stores = make();
    const { partnerId, from, to, property, meters } = await seed(stores);
    let budget = 2;
    const failing: PropertyTransferDeps['meters'] = {
      listByProperty: (...args) => stores.meters.listByProperty(...args),
      async moveToOrganisation(...args) {
        if (budget <= 0) throw new DomainError('SERVICE_UNAVAILABLE', 'storage went away (test)');
        budget -= 1;
        return stores.meters.moveToOrganisation(...args);
      },
    };
    const request = {
      partnerId,
      propertyId: property.id,
      toOrganisationId: to,
      expectedVersion: property.version,
      actor: admin,
    };
    await expect(transferProperty(deps(stores, failing), request)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });

    // What the crash left: the operator changed, the mark standing, two meters moved.
    const halfway = await stores.properties.get(partnerId, property.id);
    expect(halfway).toMatchObject({
      organisationId: to,
      transfer: { fromOrganisationId: from, toOrganisationId: to },
    });
    const orgs = await Promise.all(
      meters.map(async (m) => (await stores.meters.get(partnerId, m.id))?.organisationId),
    );
    expect(orgs.filter((o) => o === to)).toHaveLength(2);
    expect(orgs.filter((o) => o === from)).toHaveLength(meters.length - 2);
    expect(await transferred(stores, partnerId, to)).toEqual([]);

    // The same request again completes it.
    const summary = await transferProperty(deps(stores), request);
    expect(summary).toMatchObject({ metersMoved: meters.length, at: halfway?.transfer?.startedAt });
    for (const meter of meters) {
      expect((await stores.meters.get(partnerId, meter.id))?.organisationId).toBe(to);
    }
    expect(await stores.properties.get(partnerId, property.id)).not.toHaveProperty('transfer');
    expect(await transferred(stores, partnerId, to)).toHaveLength(1);
    expect(await transferred(stores, partnerId, from)).toHaveLength(1);
  });

  it('logs the transfer once when several calls complete it at the same time', async () => {
    const stores = make();
    const { partnerId, from, to, property } = await seed(stores);
    const request = {
      partnerId,
      propertyId: property.id,
      toOrganisationId: to,
      expectedVersion: property.version,
      actor: admin,
    };
    const summaries = await Promise.all(
      [1, 2, 3].map(() => transferProperty(deps(stores), request)),
    );
    expect(new Set(summaries.map((s) => s.at)).size).toBe(1);
    expect(await transferred(stores, partnerId, to)).toHaveLength(1);
    expect(await transferred(stores, partnerId, from)).toHaveLength(1);
  });

  it('catches a meter installed while the transfer walked past it', async () => {
    const stores = make();
    const { partnerId, from, to, property } = await seed(stores);
    // The meter's store has read the property (old operator) and is about to
    // put the meter when the whole transfer runs: the worst moment.
    const doc = table().doc;
    const racing = new Proxy(doc, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return async (command: unknown) => {
          if (command instanceof PutCommand && command.input.Item?.entity === 'METER') {
            await transferProperty(deps(stores), {
              partnerId,
              propertyId: property.id,
              toOrganisationId: to,
              expectedVersion: property.version,
              actor: admin,
            });
          }
          return doc.send(command as PutCommand);
        };
      },
    }) as DynamoDBDocumentClient;
    const meters: MeterStore = createDynamoMeterStore({
      doc: racing,
      tableName: table().tableName,
      audit: stores.audit,
    });
    const meter = await meters.create(partnerId, waterMeter(property.id), admin);
    expect(meter.organisationId).toBe(to);
    expect((await stores.meters.get(partnerId, meter.id))?.organisationId).toBe(to);
    const [created] = (
      await stores.audit.listByOrganisation(partnerId, to, { limit: 10 })
    ).items.filter((e) => e.action === 'meter.created');
    expect(created).toMatchObject({ target: { id: meter.id } });
    expect(await transferred(stores, partnerId, from)).toHaveLength(1);
  });
});
