import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import meterRoutes from '../src/http/routes/meters.js';
import { metersSchemas } from '../src/http/schemas/meters.js';
import { createKeyVault } from '../src/keys/key-vault.js';
import { openLocalMasterKey } from '../src/keys/local-master-key.js';
import { encodeSealedKey } from '../src/keys/sealed-key.js';
import {
  createDynamoMeterKeyStore,
  meterKeyIdentity,
  type MeterKeyStore,
} from '../src/store/dynamodb-meter-key-store.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
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

let serial = 10_000_000;
/** A meter id no other test uses: identities are unique among a partner's installed meters. */
const nextMeterId = () => String(serial++);

const meterBody = (overrides: Record<string, unknown> = {}) => ({
  kind: 'water-meter',
  manufacturer: 'kam',
  meterId: nextMeterId(),
  deviceVersion: 27,
  deviceType: 7,
  location: 'Bad',
  installedAt: '2025-01-15T09:30:00+01:00',
  ...overrides,
});

/** Meters over HTTP on the real stores (dynalite), with real tokens for every role. */
describe('meters over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-meters-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let meterKeys: MeterKeyStore;
  /** A meter of unit u1. */
  let m1: { id: string };

  beforeAll(async () => {
    meterKeys = createDynamoMeterKeyStore(table());
    kit = await startTenancyApp({
      table: table(),
      schemas: metersSchemas,
      register: (app, stores) =>
        app.register(meterRoutes, {
          properties: stores.properties,
          units: stores.units,
          meters: stores.meters,
          meterKeys,
        }),
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
    m1 = await scratch(tree.u1.id);
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const scratch = (unitId?: string) =>
    kit.stores.meters.create(
      tree.partnerId,
      {
        ...(meterBody() as ReturnType<typeof meterBody> & { kind: 'water-meter' }),
        manufacturer: 'KAM',
        propertyId: tree.p1.id,
        ...(unitId === undefined ? {} : { unitId }),
      },
      seeder,
    );

  describe('what each role may do', () => {
    // Relative to property p1, unit u1 and its meter m1 (see tenancy-http-fixtures.ts).
    const expected: Record<RoleName, number[]> = {
      //               create list(p) list(u) get patch delete
      'partner-admin': [201, 200, 200, 200, 200, 204],
      operator: [201, 200, 200, 200, 200, 204],
      'other-operator': [403, 403, 403, 403, 403, 403],
      landlord: [403, 200, 200, 200, 403, 403],
      'other-landlord': [403, 403, 403, 403, 403, 403],
      tenant: [403, 403, 200, 200, 403, 403],
      'other-tenant': [403, 403, 403, 403, 403, 403],
      stranger: [404, 404, 404, 404, 404, 404],
    };

    it.each(ROLE_NAMES)('%s', async (role) => {
      const headers = await as(role);
      const target = await scratch(tree.u1.id);
      const doomed = await scratch(tree.u1.id);
      const statuses = [
        await app.inject({
          method: 'POST',
          url: `/v1/properties/${tree.p1.id}/meters`,
          headers,
          payload: meterBody({ unitId: tree.u1.id }),
        }),
        await app.inject({ url: `/v1/properties/${tree.p1.id}/meters`, headers }),
        await app.inject({ url: `/v1/units/${tree.u1.id}/meters`, headers }),
        await app.inject({ url: `/v1/meters/${m1.id}`, headers }),
        await app.inject({
          method: 'PATCH',
          url: `/v1/meters/${target.id}`,
          headers,
          payload: { version: target.version, location: 'Küche' },
        }),
        await app.inject({
          method: 'DELETE',
          url: `/v1/meters/${doomed.id}?version=${doomed.version}`,
          headers,
        }),
      ].map((res) => res.statusCode);
      expect(statuses).toEqual(expected[role]);
    });
  });

  it('installs a meter for the property’s operator, with its identity normalised', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/meters`,
      headers: await as('operator'),
      payload: meterBody({
        kind: 'heat-cost-allocator',
        unitId: tree.u2.id,
        ratingFactors: { kq: 1.2, kc: 0.9 },
      }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      organisationId: tree.o1.id,
      propertyId: tree.p1.id,
      unitId: tree.u2.id,
      manufacturer: 'KAM',
      installedAt: '2025-01-15T08:30:00.000Z',
      hasKey: false,
      version: 1,
    });
    expect(res.json()).not.toHaveProperty('keyRef');
  });

  it('refuses a duplicate identity, a foreign unit, a key reference and misplaced factors', async () => {
    const headers = await as('partner-admin');
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: `/v1/properties/${tree.p1.id}/meters`, headers, payload });
    const body = meterBody();
    expect((await post(body)).statusCode).toBe(201);
    const twice = await post(body);
    expect(twice.statusCode).toBe(409);
    expect((await post(meterBody({ unitId: tree.u3.id }))).statusCode).toBe(404);
    expect((await post(meterBody({ keyRef: 'meter-key:x:1' }))).statusCode).toBe(400);
    expect((await post(meterBody({ organisationId: tree.o2.id }))).statusCode).toBe(400);
    expect((await post(meterBody({ ratingFactors: { kq: 1, kc: 1 } }))).statusCode).toBe(400);
    expect((await post(meterBody({ meterId: '1234567' }))).statusCode).toBe(400);
    expect(
      (await post(meterBody({ installedAt: '2025-01-15', removedAt: undefined }))).statusCode,
    ).toBe(400);
  });

  it('retires a meter with removedAt, which frees its identity, and keeps it listed', async () => {
    const headers = await as('operator');
    const body = meterBody({ unitId: tree.u2.id });
    const made = await app.inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/meters`,
      headers,
      payload: body,
    });
    const meter = made.json<{ id: string }>();
    const retired = await app.inject({
      method: 'PATCH',
      url: `/v1/meters/${meter.id}`,
      headers,
      payload: { version: 1, removedAt: '2025-06-30T12:00:00Z' },
    });
    expect(retired.statusCode).toBe(200);
    expect(retired.json()).toMatchObject({ version: 2, removedAt: '2025-06-30T12:00:00.000Z' });
    const again = await app.inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/meters`,
      headers,
      payload: { ...body, installedAt: '2025-07-01T00:00:00Z' },
    });
    expect(again.statusCode).toBe(201);
    const listed = await app.inject({ url: `/v1/units/${tree.u2.id}/meters?limit=100`, headers });
    const ids = listed.json<{ items: { id: string }[] }>().items.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([meter.id, again.json<{ id: string }>().id]));
    const stale = await app.inject({
      method: 'PATCH',
      url: `/v1/meters/${meter.id}`,
      headers,
      payload: { version: 1, location: 'Flur' },
    });
    expect(codeOf(stale)).toBe('CONFLICT');
    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 20 });
    expect(
      items.find((e) => e.target.id === meter.id && e.action === 'meter.removed'),
    ).toMatchObject({
      actor: { kind: 'user', id: 'u-1' },
    });
  });

  it('tells managers whether a key is stored, and nobody the key or its reference', async () => {
    const meter = await scratch(tree.u1.id);
    const vault = createKeyVault({ masterKey: await openLocalMasterKey() });
    const plain = new Uint8Array(randomBytes(16));
    const sealed = await vault.seal(plain, {
      partnerId: tree.partnerId,
      meterIdentity: meterKeyIdentity(meter),
    });
    const put = await meterKeys.put(tree.partnerId, meter.id, {
      sealedKey: encodeSealedKey(sealed),
      masterKeyId: sealed.masterKeyId,
      meterIdentity: meterKeyIdentity(meter),
    });
    await kit.stores.meters.update(tree.partnerId, meter.id, { keyRef: put.keyRef }, 1, seeder);

    const read = async (role: RoleName) => {
      const res = await app.inject({ url: `/v1/meters/${meter.id}`, headers: await as(role) });
      const list = await app.inject({
        url: `/v1/units/${tree.u1.id}/meters?limit=100`,
        headers: await as(role),
      });
      for (const body of [res.body, list.body]) {
        expect(body).not.toContain(put.keyRef);
        expect(body).not.toContain(encodeSealedKey(sealed).split('.')[5]);
        expect(body.toLowerCase()).not.toContain(Buffer.from(plain).toString('hex'));
      }
      const listed = list.json<{ items: { id: string }[] }>().items.find((m) => m.id === meter.id);
      return { one: res.json<Record<string, unknown>>(), listed };
    };
    const manager = await read('operator');
    expect(manager.one).toMatchObject({
      hasKey: true,
      key: { masterKeyId: sealed.masterKeyId, updatedAt: put.updatedAt },
    });
    expect(manager.listed).toMatchObject({ hasKey: true });
    for (const role of ['landlord', 'tenant'] as const) {
      const seen = await read(role);
      expect(seen.one).not.toHaveProperty('hasKey');
      expect(seen.one).not.toHaveProperty('key');
      expect(seen.listed).not.toHaveProperty('hasKey');
    }
    expect((await read('partner-admin')).one).toMatchObject({ hasKey: true });

    // Deleting the meter (entered by mistake) drops its key too.
    const deleted = await app.inject({
      method: 'DELETE',
      url: `/v1/meters/${meter.id}?version=2`,
      headers: await as('operator'),
    });
    expect(deleted.statusCode).toBe(204);
    expect(await meterKeys.get(tree.partnerId, meter.id, put.keyRef)).toBeNull();
  });

  it('lists the building’s meters first, then by unit, page by page', async () => {
    const building = await scratch();
    const headers = await as('landlord');
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await app.inject({
        url: `/v1/properties/${tree.p1.id}/meters?limit=3${after}`,
        headers,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: { id: string }[]; cursor: string | null }>();
      ids.push(...page.items.map((m) => m.id));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(ids).toContain(m1.id);
    expect(ids.indexOf(building.id)).toBeLessThan(ids.indexOf(m1.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('hides another partner’s meter exactly like a missing one', async () => {
    const headers = await as('stranger');
    expectHidden(await app.inject({ url: `/v1/meters/${m1.id}`, headers }));
    expectHidden(await app.inject({ url: '/v1/meters/met_nowhere', headers }));
    expectHidden(await app.inject({ url: `/v1/units/${tree.u1.id}/meters`, headers }));
    expectHidden(await app.inject({ url: `/v1/properties/${tree.p1.id}/meters`, headers }));
  });
});
