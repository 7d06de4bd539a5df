import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import unitRoutes from '../src/http/routes/units.js';
import { unitsSchemas } from '../src/http/schemas/units.js';
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

/** Units over HTTP on the real stores (dynalite), with real tokens for every role. */
describe('units over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-units-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: unitsSchemas,
      register: (app, stores) =>
        app.register(unitRoutes, { properties: stores.properties, units: stores.units }),
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const unitBody = { name: 'WE 09', floor: '3. OG', livingAreaM2: 54, heatedAreaM2: 50 };
  const scratch = () =>
    kit.stores.units.create(
      tree.partnerId,
      { propertyId: tree.p1.id, name: 'WE 99', livingAreaM2: 40, heatedAreaM2: 40 },
      seeder,
    );

  describe('what each role may do', () => {
    // Relative to property p1 and its unit u1 (see tenancy-http-fixtures.ts).
    const expected: Record<RoleName, [number, number, number, number, number]> = {
      //                create list  get  patch delete
      'partner-admin': [201, 200, 200, 200, 204],
      operator: [201, 200, 200, 200, 204],
      'other-operator': [403, 403, 403, 403, 403],
      landlord: [403, 200, 200, 403, 403],
      'other-landlord': [403, 403, 403, 403, 403],
      tenant: [403, 403, 200, 403, 403],
      'other-tenant': [403, 403, 403, 403, 403],
      stranger: [404, 404, 404, 404, 404],
    };

    it.each(ROLE_NAMES)('%s', async (role) => {
      const headers = await as(role);
      const target = await scratch();
      const doomed = await scratch();
      const statuses = [
        await app.inject({
          method: 'POST',
          url: `/v1/properties/${tree.p1.id}/units`,
          headers,
          payload: unitBody,
        }),
        await app.inject({ url: `/v1/properties/${tree.p1.id}/units`, headers }),
        await app.inject({ url: `/v1/units/${tree.u1.id}`, headers }),
        await app.inject({
          method: 'PATCH',
          url: `/v1/units/${target.id}`,
          headers,
          payload: { version: target.version, name: 'WE 98' },
        }),
        await app.inject({
          method: 'DELETE',
          url: `/v1/units/${doomed.id}?version=${doomed.version}`,
          headers,
        }),
      ].map((res) => res.statusCode);
      expect(statuses).toEqual(expected[role]);
    });
  });

  it('creates a unit in the property of the path, never another', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/units`,
      headers: await as('operator'),
      payload: { ...unitBody, occupantCategory: 'non-residential' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      propertyId: tree.p1.id,
      partnerId: tree.partnerId,
      name: 'WE 09',
      occupantCategory: 'non-residential',
      version: 1,
    });
    const smuggled = await app.inject({
      method: 'POST',
      url: `/v1/properties/${tree.p1.id}/units`,
      headers: await as('operator'),
      payload: { ...unitBody, propertyId: tree.p2.id },
    });
    expect(smuggled.statusCode).toBe(400);
  });

  it('refuses invalid input with 400 and an unknown property with 404', async () => {
    const headers = await as('partner-admin');
    const post = (url: string, payload: object) =>
      app.inject({ method: 'POST', url, headers, payload });
    const zeroArea = await post(`/v1/properties/${tree.p1.id}/units`, {
      ...unitBody,
      livingAreaM2: 0,
    });
    expect(zeroArea.statusCode).toBe(400);
    const blank = await post(`/v1/properties/${tree.p1.id}/units`, { ...unitBody, name: '  ' });
    expect(blank.statusCode).toBe(400);
    expect((await post('/v1/properties/prop_nowhere/units', unitBody)).statusCode).toBe(404);
  });

  it('updates on the version last read, removes with null, 409 when stale', async () => {
    const target = await scratch();
    const headers = await as('operator');
    const patch = (payload: object) =>
      app.inject({ method: 'PATCH', url: `/v1/units/${target.id}`, headers, payload });
    const first = await patch({ version: 1, floor: 'EG', occupantCategory: 'residential' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 2, floor: 'EG' });
    expect(codeOf(await patch({ version: 1, floor: '1. OG' }))).toBe('CONFLICT');
    const cleared = await patch({ version: 2, floor: null, occupantCategory: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).not.toHaveProperty('floor');
    expect(cleared.json()).not.toHaveProperty('occupantCategory');
    expect((await patch({ version: 3, name: null })).statusCode).toBe(400);
    expect((await patch({ version: 3, propertyId: tree.p2.id })).statusCode).toBe(400);
  });

  it('deletes only a unit without tenancies', async () => {
    const target = await scratch();
    await kit.stores.tenancies.create(
      tree.partnerId,
      { unitId: target.id, from: '2025-01-01' },
      seeder,
    );
    const res = await app.inject({
      method: 'DELETE',
      url: `/v1/units/${target.id}?version=1`,
      headers: await as('operator'),
    });
    expect(res.statusCode).toBe(409);
  });

  it('lists a property’s units page by page', async () => {
    const headers = await as('landlord');
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await app.inject({
        url: `/v1/properties/${tree.p1.id}/units?limit=2${after}`,
        headers,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json<{
        items: { id: string; propertyId: string }[];
        cursor: string | null;
      }>();
      expect(page.items.every((u) => u.propertyId === tree.p1.id)).toBe(true);
      ids.push(...page.items.map((u) => u.id));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(ids).toEqual(expect.arrayContaining([tree.u1.id, tree.u2.id]));
    expect(ids).not.toContain(tree.u3.id);
  });

  it('hides another partner’s unit exactly like a missing one', async () => {
    const headers = await as('stranger');
    expectHidden(await app.inject({ url: `/v1/units/${tree.u1.id}`, headers }));
    expectHidden(await app.inject({ url: '/v1/units/unit_nowhere', headers }));
    expectHidden(await app.inject({ url: `/v1/properties/${tree.p1.id}/units`, headers }));
  });
});
