import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { AuditEntry } from '../src/domain/audit.js';
import type { MeterStore } from '../src/domain/tenancy/ports.js';
import type { Property } from '../src/domain/tenancy/property.js';
import auditRoutes from '../src/http/routes/audit.js';
import meterKeyRoutes from '../src/http/routes/meter-keys.js';
import meterRoutes from '../src/http/routes/meters.js';
import propertyRoutes from '../src/http/routes/properties.js';
import propertyTransferRoutes from '../src/http/routes/property-transfers.js';
import tenancyRoutes from '../src/http/routes/tenancies.js';
import unitRoutes from '../src/http/routes/units.js';
import { auditSchemas } from '../src/http/schemas/audit.js';
import { meterKeysSchemas } from '../src/http/schemas/meter-keys.js';
import { metersSchemas } from '../src/http/schemas/meters.js';
import { propertiesSchemas } from '../src/http/schemas/properties.js';
import { propertyTransferSchemas } from '../src/http/schemas/property-transfers.js';
import { tenanciesSchemas } from '../src/http/schemas/tenancies.js';
import { unitsSchemas } from '../src/http/schemas/units.js';
import { createKeyVault, type KeyVault } from '../src/keys/key-vault.js';
import { openLocalMasterKey } from '../src/keys/local-master-key.js';
import { decodeSealedKey } from '../src/keys/sealed-key.js';
import {
  createDynamoMeterKeyStore,
  meterKeyIdentity,
  type MeterKeyStore,
} from '../src/store/dynamodb-meter-key-store.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, newProperty, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import {
  codeOf,
  expectHidden,
  headersOf,
  ROLE_NAMES,
  seedTree,
  seeder,
  type RoleName,
  type Tree,
} from './tenancy-http-fixtures.js';

interface Summary {
  propertyId: string;
  fromOrganisationId: string;
  toOrganisationId: string;
  at: string;
  metersMoved: number;
  unitsCount: number;
  state: string;
}

/**
 * Transfers over HTTP on the real stores (dynalite), with real tokens, a real
 * vault for meter keys, and every route a transfer changes the answer of.
 */
describe('property transfers over HTTP', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-property-transfer-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let vault: KeyVault;
  let meterKeys: MeterKeyStore;
  /** Meter moves the transfer may still make; the next one fails (a crash halfway). */
  let moveBudget = Number.POSITIVE_INFINITY;
  /** Every hex key a test stored: no answer or audit entry may hold one. */
  const plainKeys: string[] = [];

  beforeAll(async () => {
    vault = createKeyVault({ masterKey: await openLocalMasterKey() });
    meterKeys = createDynamoMeterKeyStore(table());
    kit = await startTenancyApp({
      table: table(),
      schemas: [
        ...propertiesSchemas,
        ...propertyTransferSchemas,
        ...unitsSchemas,
        ...tenanciesSchemas,
        ...metersSchemas,
        ...meterKeysSchemas,
        ...auditSchemas,
      ],
      register: async (app, stores) => {
        const meters: Pick<MeterStore, 'listByProperty' | 'moveToOrganisation'> = {
          listByProperty: (...args) => stores.meters.listByProperty(...args),
          moveToOrganisation: async (...args) => {
            if (moveBudget <= 0) throw new Error('the process died (test)');
            moveBudget -= 1;
            return stores.meters.moveToOrganisation(...args);
          },
        };
        await app.register(propertyRoutes, {
          properties: stores.properties,
          organisations: stores.organisations,
        });
        await app.register(propertyTransferRoutes, {
          properties: stores.properties,
          units: stores.units,
          meters,
          audit: stores.audit,
        });
        await app.register(unitRoutes, { properties: stores.properties, units: stores.units });
        await app.register(tenancyRoutes, {
          properties: stores.properties,
          units: stores.units,
          tenancies: stores.tenancies,
          users: stores.users,
        });
        await app.register(meterRoutes, {
          properties: stores.properties,
          units: stores.units,
          meters: stores.meters,
          meterKeys,
        });
        await app.register(meterKeyRoutes, {
          properties: stores.properties,
          meters: stores.meters,
          meterKeys,
          vault,
          audit: stores.audit,
        });
        await app.register(auditRoutes, {
          audit: stores.audit,
          organisations: stores.organisations,
        });
      },
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  /** An operator whose grants reach both of the tree's operators. */
  const bothOperators = (): RoleGrant[] => [
    { role: 'operator', partnerId: tree.partnerId, organisationId: tree.o1.id },
    { role: 'operator', partnerId: tree.partnerId, organisationId: tree.o2.id },
  ];

  let serial = 50_000_000;
  /**
   * A building of the first operator with two units, a tenancy, a building
   * meter and a meter in each unit, one of them removed (history).
   */
  async function building() {
    const { stores } = kit;
    const p = tree.partnerId;
    const property = await stores.properties.create(
      p,
      newProperty(tree.o1.id, { name: 'Transferhaus' }),
      seeder,
    );
    const unit = (name: string) =>
      stores.units.create(
        p,
        { propertyId: property.id, name, livingAreaM2: 55, heatedAreaM2: 55 },
        seeder,
      );
    const u1 = await unit('WE 01');
    const u2 = await unit('WE 02');
    const tenancy = await stores.tenancies.create(p, { unitId: u1.id, from: '2024-01-01' }, seeder);
    const meter = (unitId?: string, removedAt?: string) =>
      stores.meters.create(
        p,
        {
          propertyId: property.id,
          ...(unitId === undefined ? {} : { unitId }),
          kind: 'water-meter',
          manufacturer: 'ZWM',
          meterId: String((serial += 1)),
          deviceVersion: 1,
          deviceType: 7,
          installedAt: '2024-01-01T00:00:00Z',
          ...(removedAt === undefined ? {} : { removedAt }),
        },
        seeder,
      );
    const meters = [
      await meter(),
      await meter(u1.id),
      await meter(u2.id),
      await meter(u2.id, '2024-06-30T00:00:00Z'),
    ];
    return { property, u1, u2, tenancy, meters };
  }

  const transfer = async (
    propertyId: string,
    payload: object,
    headers: Record<string, string> | Promise<Record<string, string>>,
  ) =>
    app.inject({
      method: 'POST',
      url: `/v1/properties/${propertyId}/transfer`,
      headers: await headers,
      payload,
    });

  const propertyNow = async (id: string) =>
    (await kit.stores.properties.get(tree.partnerId, id)) as Property;

  describe('who may transfer', () => {
    // Relative to the first operator (o1, which has the property) and the second (o2, the target).
    const expected: Record<RoleName, number> = {
      'partner-admin': 200,
      // Reaches the property but not the organisation it would go to.
      operator: 403,
      // Reaches the target but not the property.
      'other-operator': 403,
      landlord: 403,
      'other-landlord': 403,
      tenant: 403,
      'other-tenant': 403,
      stranger: 404,
    };

    it.each(ROLE_NAMES)('%s', async (role) => {
      const { property } = await building();
      const res = await transfer(
        property.id,
        { toOrganisationId: tree.o2.id, expectedVersion: property.version },
        as(role),
      );
      expect(res.statusCode, res.body).toBe(expected[role]);
      if (res.statusCode !== 200) {
        expect(await propertyNow(property.id)).toEqual(property);
      }
    });

    it('admits an operator reaching both organisations, by token and by API key', async () => {
      const first = await building();
      const byToken = await transfer(
        first.property.id,
        { toOrganisationId: tree.o2.id, expectedVersion: first.property.version },
        kit.bearer(tree.partnerId, bothOperators()),
      );
      expect(byToken.statusCode, byToken.body).toBe(200);
      const second = await building();
      const byKey = await transfer(
        second.property.id,
        { toOrganisationId: tree.o2.id, expectedVersion: second.property.version },
        kit.apiKey(tree.partnerId, bothOperators()),
      );
      expect(byKey.statusCode, byKey.body).toBe(200);
      const single = await kit.apiKey(tree.partnerId, [bothOperators()[0]!]);
      const third = await building();
      const refused = await transfer(
        third.property.id,
        { toOrganisationId: tree.o2.id, expectedVersion: third.property.version },
        single,
      );
      expect(refused.statusCode).toBe(403);
    });

    it('answers 401 without credentials', async () => {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/properties/${tree.p1.id}/transfer`,
        payload: { toOrganisationId: tree.o2.id, expectedVersion: 1 },
      });
      expect(res.statusCode).toBe(401);
    });
  });

  it('refuses bad targets, stale versions and malformed bodies, changing nothing', async () => {
    const { property } = await building();
    const headers = await as('partner-admin');
    const other = freshPartnerId('elsewhere');
    await kit.stores.partners.create(newPartner(other), seeder);
    const foreign = await kit.stores.organisations.create(
      other,
      { name: 'Fremder Messdienst', kind: 'metering-operator' },
      seeder,
    );
    const send = (payload: object) => transfer(property.id, payload, headers);
    const v = property.version;

    const cases: Array<[object, number, string]> = [
      [{ toOrganisationId: foreign.id, expectedVersion: v }, 404, 'NOT_FOUND'],
      [{ toOrganisationId: 'org_nowhere', expectedVersion: v }, 404, 'NOT_FOUND'],
      [{ toOrganisationId: tree.manager.id, expectedVersion: v }, 400, 'VALIDATION_FAILED'],
      [{ toOrganisationId: tree.o1.id, expectedVersion: v }, 400, 'VALIDATION_FAILED'],
      [{ toOrganisationId: tree.o2.id, expectedVersion: v + 1 }, 409, 'CONFLICT'],
      [{ toOrganisationId: tree.o2.id }, 400, 'VALIDATION_FAILED'],
      [{ expectedVersion: v }, 400, 'VALIDATION_FAILED'],
      [{ toOrganisationId: tree.o2.id, expectedVersion: 0 }, 400, 'VALIDATION_FAILED'],
      [{ toOrganisationId: 'org#x', expectedVersion: v }, 400, 'VALIDATION_FAILED'],
      [{ toOrganisationId: tree.o2.id, expectedVersion: v, extra: 1 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await send(payload);
      expect([res.statusCode, codeOf(res)], `${JSON.stringify(payload)}: ${res.body}`).toEqual([
        status,
        code,
      ]);
    }
    expect(await propertyNow(property.id)).toEqual(property);
  });

  it('hides another partner’s property exactly like a missing one', async () => {
    const headers = await as('stranger');
    const payload = { toOrganisationId: tree.o2.id, expectedVersion: 1 };
    expectHidden(await transfer(tree.p1.id, payload, headers));
    expectHidden(await transfer('prop_nowhere', payload, headers));
  });

  it('moves access to property, units, tenancies, meters and keys from the old operator to the new', async () => {
    const { property, u1, tenancy, meters } = await building();
    const [buildingMeter, unitMeter] = meters as [(typeof meters)[0], (typeof meters)[0]];
    const hex = randomBytes(16).toString('hex').toUpperCase();
    plainKeys.push(hex);
    const setKey = await app.inject({
      method: 'PUT',
      url: `/v1/meters/${unitMeter.id}/key`,
      headers: await as('operator'),
      payload: { key: hex },
    });
    expect(setKey.statusCode, setKey.body).toBe(200);

    const reads = [
      `/v1/properties/${property.id}`,
      `/v1/properties/${property.id}/units`,
      `/v1/units/${u1.id}`,
      `/v1/units/${u1.id}/tenancies`,
      `/v1/tenancies/${tenancy.id}`,
      `/v1/properties/${property.id}/meters`,
      `/v1/units/${u1.id}/meters`,
      `/v1/meters/${buildingMeter.id}`,
      `/v1/meters/${unitMeter.id}`,
    ];
    const statuses = async (role: RoleName) => {
      const headers = await as(role);
      return Promise.all(reads.map(async (url) => (await app.inject({ url, headers })).statusCode));
    };
    const listed = async (role: RoleName, organisationId: string) => {
      const res = await app.inject({
        url: `/v1/properties?organisationId=${organisationId}&limit=100`,
        headers: await as(role),
      });
      return res.json<{ items: { id: string }[] }>().items.map((p) => p.id);
    };
    expect(await statuses('operator')).toEqual(reads.map(() => 200));
    expect(await statuses('other-operator')).toEqual(reads.map(() => 403));
    expect(await listed('operator', tree.o1.id)).toContain(property.id);

    const res = await transfer(
      property.id,
      { toOrganisationId: tree.o2.id, expectedVersion: property.version },
      as('partner-admin'),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Summary>()).toEqual({
      propertyId: property.id,
      fromOrganisationId: tree.o1.id,
      toOrganisationId: tree.o2.id,
      at: expect.any(String),
      metersMoved: meters.length,
      unitsCount: 2,
      state: 'completed',
    });

    expect(await statuses('operator')).toEqual(reads.map(() => 403));
    expect(await statuses('other-operator')).toEqual(reads.map(() => 200));
    expect(await listed('operator', tree.o1.id)).not.toContain(property.id);
    expect(await listed('other-operator', tree.o2.id)).toContain(property.id);
    // The landlord's grant names the property, not the operator: nothing changes for them.
    const shown = await app.inject({
      url: `/v1/properties/${property.id}`,
      headers: await as('other-operator'),
    });
    expect(shown.json()).toMatchObject({
      organisationId: tree.o2.id,
      version: property.version + 2,
    });
    expect(shown.json()).not.toHaveProperty('transfer');

    // Every meter, the removed one too, is the new operator's: history follows.
    for (const meter of meters) {
      expect((await kit.stores.meters.get(tree.partnerId, meter.id))?.organisationId).toBe(
        tree.o2.id,
      );
    }

    // The key is the same envelope, sealed for partner and meter identity: it still opens.
    const meter = await app.inject({
      url: `/v1/meters/${unitMeter.id}`,
      headers: await as('other-operator'),
    });
    expect(meter.json()).toMatchObject({
      organisationId: tree.o2.id,
      hasKey: true,
      key: { masterKeyId: vault.masterKey.keyId() },
    });
    const moved = (await kit.stores.meters.get(tree.partnerId, unitMeter.id))!;
    const stored = await meterKeys.get(tree.partnerId, moved.id, moved.keyRef!);
    const opened = await vault.open(decodeSealedKey(stored!.sealedKey), {
      partnerId: tree.partnerId,
      meterIdentity: meterKeyIdentity(moved),
    });
    expect(Buffer.from(opened).toString('hex').toUpperCase()).toBe(hex);
    // Keys are managed by the new operator now, and no longer by the old one.
    const next = randomBytes(16).toString('hex').toUpperCase();
    plainKeys.push(next);
    const byOld = await app.inject({
      method: 'PUT',
      url: `/v1/meters/${unitMeter.id}/key`,
      headers: await as('operator'),
      payload: { key: next },
    });
    expect(byOld.statusCode).toBe(403);
    const byNew = await app.inject({
      method: 'PUT',
      url: `/v1/meters/${unitMeter.id}/key`,
      headers: await as('other-operator'),
      payload: { key: next },
    });
    expect(byNew.statusCode, byNew.body).toBe(200);
    expect(JSON.stringify([setKey.json(), res.json(), meter.json(), byNew.json()])).not.toMatch(
      new RegExp(plainKeys.join('|'), 'i'),
    );
  });

  it('logs one property.transferred entry in each operator’s log, without secrets', async () => {
    const { property, meters } = await building();
    const hex = randomBytes(16).toString('hex').toUpperCase();
    plainKeys.push(hex);
    await app.inject({
      method: 'PUT',
      url: `/v1/meters/${meters[1]!.id}/key`,
      headers: await as('operator'),
      payload: { key: hex },
    });
    const res = await transfer(
      property.id,
      { toOrganisationId: tree.o2.id, expectedVersion: property.version },
      kit.bearer(tree.partnerId, bothOperators(), 'u-transfer'),
    );
    expect(res.statusCode, res.body).toBe(200);

    const logOf = async (role: RoleName, organisationId: string) => {
      const page = await app.inject({
        url: `/v1/audit?organisationId=${organisationId}&limit=100`,
        headers: await as(role),
      });
      expect(page.statusCode, page.body).toBe(200);
      return page
        .json<{ items: AuditEntry[] }>()
        .items.filter((e) => e.action === 'property.transferred' && e.target.id === property.id);
    };
    const inNew = await logOf('other-operator', tree.o2.id);
    const inOld = await logOf('operator', tree.o1.id);
    expect(inNew).toHaveLength(1);
    expect(inOld).toHaveLength(1);
    expect(inNew[0]).toMatchObject({
      organisationId: tree.o2.id,
      actor: { kind: 'user', id: 'u-transfer' },
      target: { type: 'property', id: property.id },
      before: { organisationId: tree.o1.id },
      after: { organisationId: tree.o2.id, unitsCount: 2 },
    });
    const ids = (e: AuditEntry | undefined) =>
      [...(e?.after as { meterIds: string[] }).meterIds].sort();
    expect(ids(inNew[0])).toEqual(meters.map((m) => m.id).sort());
    expect(inOld[0]).toMatchObject({ organisationId: tree.o1.id, before: inNew[0]?.before });
    expect(inOld[0]?.after).toEqual(inNew[0]?.after);
    // The one step: no per-meter entries for the move, and nothing of the keys.
    const all = (await kit.stores.audit.listByPartner(tree.partnerId, { limit: 100 })).items;
    const since = all.filter((e) => e.at >= inNew[0]!.at && e.action !== 'property.transferred');
    expect(since.filter((e) => meters.some((m) => m.id === e.target.id))).toEqual([]);
    const text = JSON.stringify([...inNew, ...inOld]);
    expect(text).not.toMatch(/keyRef|sealedKey|meter-key:/);
    expect(text.toUpperCase()).not.toContain(hex);
  });

  it('completes a transfer cut short when called again, and refuses another one meanwhile', async () => {
    const { property, meters } = await building();
    const third = await kit.stores.organisations.create(
      tree.partnerId,
      { name: 'Messdienst Drei', kind: 'metering-operator' },
      seeder,
    );
    const admin = await as('partner-admin');
    const request = { toOrganisationId: tree.o2.id, expectedVersion: property.version };
    moveBudget = 2;
    let crashed;
    try {
      crashed = await transfer(property.id, request, admin);
    } finally {
      moveBudget = Number.POSITIVE_INFINITY;
    }
    expect(crashed.statusCode).toBe(500);

    // In flight: the new operator has the property and sees the transfer pending.
    const pending = await app.inject({
      url: `/v1/properties/${property.id}`,
      headers: await as('other-operator'),
    });
    expect(pending.statusCode).toBe(200);
    expect(pending.json()).toMatchObject({
      organisationId: tree.o2.id,
      version: property.version + 1,
      transfer: {
        fromOrganisationId: tree.o1.id,
        toOrganisationId: tree.o2.id,
        startedAt: expect.any(String),
      },
    });
    expect(pending.json().transfer).not.toHaveProperty('startedOnVersion');
    const orgs = async () =>
      Promise.all(
        meters.map(
          async (m) => (await kit.stores.meters.get(tree.partnerId, m.id))?.organisationId,
        ),
      );
    expect((await orgs()).filter((o) => o === tree.o2.id)).toHaveLength(2);
    const logged = async () =>
      (await kit.stores.audit.listByPartner(tree.partnerId, { limit: 100 })).items.filter(
        (e) => e.action === 'property.transferred' && e.target.id === property.id,
      );
    expect(await logged()).toEqual([]);

    // Elsewhere is refused until this one completes; so is the old way, a patch.
    const elsewhere = await transfer(
      property.id,
      { toOrganisationId: third.id, expectedVersion: property.version + 1 },
      admin,
    );
    expect([elsewhere.statusCode, codeOf(elsewhere)]).toEqual([409, 'CONFLICT']);
    const patched = await app.inject({
      method: 'PATCH',
      url: `/v1/properties/${property.id}`,
      headers: admin,
      payload: { version: property.version + 1, organisationId: third.id },
    });
    expect(patched.statusCode).toBe(400);

    // The very request again (the version it was sent with) completes it.
    const resumed = await transfer(property.id, request, admin);
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json<Summary>()).toMatchObject({
      metersMoved: meters.length,
      at: pending.json<{ transfer: { startedAt: string } }>().transfer.startedAt,
      state: 'completed',
    });
    expect(await orgs()).toEqual(meters.map(() => tree.o2.id));
    expect(await propertyNow(property.id)).not.toHaveProperty('transfer');
    const entries = await logged();
    expect(entries.map((e) => e.organisationId).sort()).toEqual([tree.o1.id, tree.o2.id].sort());

    // Completed: the request is stale now, and on the current version it names the operator
    // the property already has. A third operator may follow.
    const again = await transfer(property.id, request, admin);
    expect(again.statusCode).toBe(409);
    const current = (await propertyNow(property.id)).version;
    const same = await transfer(property.id, { ...request, expectedVersion: current }, admin);
    expect(same.statusCode).toBe(400);
    const onward = await transfer(
      property.id,
      { toOrganisationId: third.id, expectedVersion: current },
      admin,
    );
    expect(onward.statusCode, onward.body).toBe(200);
    expect(onward.json()).toMatchObject({ fromOrganisationId: tree.o2.id });
  });

  it('lets the new operator complete a pending transfer with the version it read', async () => {
    const { property } = await building();
    moveBudget = 0;
    try {
      await transfer(
        property.id,
        { toOrganisationId: tree.o2.id, expectedVersion: property.version },
        as('partner-admin'),
      );
    } finally {
      moveBudget = Number.POSITIVE_INFINITY;
    }
    const read = await propertyNow(property.id);
    expect(read.transfer).toBeDefined();
    // An operator of the target alone does not reach where the property comes from.
    const alone = await transfer(
      property.id,
      { toOrganisationId: tree.o2.id, expectedVersion: read.version },
      as('other-operator'),
    );
    expect(alone.statusCode).toBe(403);
    const both = await transfer(
      property.id,
      { toOrganisationId: tree.o2.id, expectedVersion: read.version },
      kit.bearer(tree.partnerId, bothOperators()),
    );
    expect(both.statusCode, both.body).toBe(200);
    const stale = await building();
    const staleRes = await transfer(
      stale.property.id,
      { toOrganisationId: tree.o2.id, expectedVersion: stale.property.version + 5 },
      as('partner-admin'),
    );
    expect(staleRes.statusCode).toBe(409);
  });
});
