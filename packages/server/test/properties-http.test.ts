import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import propertyRoutes from '../src/http/routes/properties.js';
import { propertiesSchemas } from '../src/http/schemas/properties.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newProperty } from './ports/tenancy-fixtures.js';
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

/** Properties over HTTP on the real stores (dynalite), with real tokens for every role. */
describe('properties over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-properties-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: propertiesSchemas,
      register: (app, stores) =>
        app.register(propertyRoutes, {
          properties: stores.properties,
          organisations: stores.organisations,
        }),
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const body = (organisationId: string) => {
    const { heatingSystem, address } = newProperty(organisationId);
    return { organisationId, heatingSystem, address, name: 'Neubau' };
  };
  /** A property of the first operator for a test to change or delete. */
  const scratch = () =>
    kit.stores.properties.create(tree.partnerId, newProperty(tree.o1.id), seeder);

  describe('what each role may do', () => {
    // Relative to operator o1 and its property p1 (see tenancy-http-fixtures.ts).
    const expected: Record<RoleName, [number, number, number, number, number]> = {
      //                create list  get  patch delete
      'partner-admin': [201, 200, 200, 200, 204],
      operator: [201, 200, 200, 200, 204],
      'other-operator': [403, 403, 403, 403, 403],
      landlord: [403, 403, 200, 403, 403],
      'other-landlord': [403, 403, 403, 403, 403],
      tenant: [403, 403, 403, 403, 403],
      'other-tenant': [403, 403, 403, 403, 403],
      // Another partner's ids do not exist for it: its organisation and properties are 404.
      stranger: [404, 404, 404, 404, 404],
    };

    it.each(ROLE_NAMES)('%s', async (role) => {
      const headers = await as(role);
      const target = await scratch();
      const doomed = await scratch();
      const statuses = [
        await app.inject({
          method: 'POST',
          url: '/v1/properties',
          headers,
          payload: body(tree.o1.id),
        }),
        await app.inject({ url: `/v1/properties?organisationId=${tree.o1.id}`, headers }),
        await app.inject({ url: `/v1/properties/${tree.p1.id}`, headers }),
        await app.inject({
          method: 'PATCH',
          url: `/v1/properties/${target.id}`,
          headers,
          payload: { version: target.version, name: `Umbenannt von ${role}` },
        }),
        await app.inject({
          method: 'DELETE',
          url: `/v1/properties/${doomed.id}?version=${doomed.version}`,
          headers,
        }),
      ].map((res) => res.statusCode);
      expect(statuses).toEqual(expected[role]);
    });

    it('answers 401 without credentials, before looking at the input', async () => {
      const res = await app.inject({ method: 'POST', url: '/v1/properties', payload: {} });
      expect(res.statusCode).toBe(401);
    });

    it('admits an operator’s API key like the operator', async () => {
      const headers = await kit.apiKey(tree.partnerId, [
        { role: 'operator', partnerId: tree.partnerId, organisationId: tree.o1.id },
      ]);
      const res = await app.inject({ url: `/v1/properties/${tree.p1.id}`, headers });
      expect(res.statusCode).toBe(200);
      const other = await app.inject({ url: `/v1/properties/${tree.p2.id}`, headers });
      expect(other.statusCode).toBe(403);
    });
  });

  it('creates a property and writes the audit entry with the caller as actor', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/properties',
      headers: await as('operator'),
      payload: body(tree.o1.id),
    });
    expect(res.statusCode).toBe(201);
    const created = res.json<{ id: string; version: number; timeZone: string }>();
    expect(created).toMatchObject({
      partnerId: tree.partnerId,
      organisationId: tree.o1.id,
      version: 1,
      timeZone: 'Europe/Berlin',
      address: { country: 'DE' },
    });
    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 5 });
    expect(items.find((e) => e.target.id === created.id)).toMatchObject({
      action: 'property.created',
      actor: { kind: 'user', id: 'u-1' },
      organisationId: tree.o1.id,
    });
  });

  it('refuses invalid input with 400, and a manager that is not a property manager', async () => {
    const headers = await as('partner-admin');
    const missing = await app.inject({
      method: 'POST',
      url: '/v1/properties',
      headers,
      payload: { organisationId: tree.o1.id },
    });
    expect(missing.statusCode).toBe(400);
    const extra = await app.inject({
      method: 'POST',
      url: '/v1/properties',
      headers,
      payload: { ...body(tree.o1.id), partnerId: 'someone-else' },
    });
    expect(extra.statusCode).toBe(400);
    const zone = await app.inject({
      method: 'POST',
      url: '/v1/properties',
      headers,
      payload: { ...body(tree.o1.id), timeZone: 'Mars/Olympus' },
    });
    expect(zone.statusCode).toBe(400);
    const manager = await app.inject({
      method: 'POST',
      url: '/v1/properties',
      headers,
      payload: { ...body(tree.o1.id), managerOrganisationId: tree.o2.id },
    });
    expect(manager.statusCode).toBe(400);
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/properties',
      headers,
      payload: body('org_nowhere'),
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('lists an operator’s properties page by page with the store’s cursor', async () => {
    const headers = await as('operator');
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await app.inject({
        url: `/v1/properties?organisationId=${tree.o1.id}&limit=1${query}`,
        headers,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: { id: string }[]; cursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(1);
      ids.push(...page.items.map((p) => p.id));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(ids).toContain(tree.p1.id);
    expect(ids).not.toContain(tree.p2.id);
    expect(new Set(ids).size).toBe(ids.length);

    const forged = await app.inject({
      url: `/v1/properties?organisationId=${tree.o1.id}&cursor=bm90LWEtY3Vyc29y`,
      headers,
    });
    expect(forged.statusCode).toBe(400);
    const missing = await app.inject({
      url: '/v1/properties?organisationId=org_nowhere',
      headers: await as('partner-admin'),
    });
    expect(missing.statusCode).toBe(404);
    // A cursor of one operator's list does not page another's.
    const first = await app.inject({
      url: `/v1/properties?organisationId=${tree.o1.id}&limit=1`,
      headers: await as('partner-admin'),
    });
    const theirs = first.json<{ cursor: string | null }>().cursor;
    if (theirs !== null) {
      const crossed = await app.inject({
        url: `/v1/properties?organisationId=${tree.o2.id}&cursor=${encodeURIComponent(theirs)}`,
        headers: await as('partner-admin'),
      });
      expect(crossed.statusCode).toBe(400);
    }
  });

  it('updates with the version last read and refuses a stale one with 409', async () => {
    const target = await scratch();
    const headers = await as('operator');
    const patch = (payload: object) =>
      app.inject({ method: 'PATCH', url: `/v1/properties/${target.id}`, headers, payload });
    const first = await patch({ version: 1, name: 'Hinterhaus', minimumAggregationUnits: 5 });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      version: 2,
      name: 'Hinterhaus',
      minimumAggregationUnits: 5,
    });
    const stale = await patch({ version: 1, name: 'Vorderhaus' });
    expect(stale.statusCode).toBe(409);
    expect(codeOf(stale)).toBe('CONFLICT');
    const removed = await patch({ version: 2, name: null, minimumAggregationUnits: null });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).not.toHaveProperty('name');
    expect(removed.json()).not.toHaveProperty('minimumAggregationUnits');
    expect((await patch({ name: 'ohne Version' })).statusCode).toBe(400);
    expect((await patch({ version: 3, minimumAggregationUnits: 1 })).statusCode).toBe(400);
  });

  it('refuses a change of operator by PATCH and points at the transfer', async () => {
    const target = await scratch();
    const patch = async (role: RoleName, payload: object) =>
      app.inject({
        method: 'PATCH',
        url: `/v1/properties/${target.id}`,
        headers: await as(role),
        payload,
      });
    // Not even for a partner admin, who reaches both operators.
    const moved = await patch('partner-admin', { version: 1, organisationId: tree.o2.id });
    expect(moved.statusCode).toBe(400);
    expect(codeOf(moved)).toBe('VALIDATION_FAILED');
    expect(moved.json<{ error: { message: string } }>().error.message).toMatch(/transfer/);
    expect(await kit.stores.properties.get(tree.partnerId, target.id)).toEqual(target);
    // The operator it already has, sent back with a change, is no change of operator.
    const same = await patch('operator', { version: 1, organisationId: tree.o1.id, name: 'Eck' });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ organisationId: tree.o1.id, name: 'Eck', version: 2 });
    // The old operator still reaches it; the other one does not.
    const other = await app.inject({
      url: `/v1/properties/${target.id}`,
      headers: await as('other-operator'),
    });
    expect(other.statusCode).toBe(403);
  });

  it('deletes only a property without units, on the latest version', async () => {
    const headers = await as('operator');
    const withUnits = await app.inject({
      method: 'DELETE',
      url: `/v1/properties/${tree.p1.id}?version=${tree.p1.version}`,
      headers,
    });
    expect(withUnits.statusCode).toBe(409);
    const target = await scratch();
    const stale = await app.inject({
      method: 'DELETE',
      url: `/v1/properties/${target.id}?version=7`,
      headers,
    });
    expect(stale.statusCode).toBe(409);
    const noVersion = await app.inject({
      method: 'DELETE',
      url: `/v1/properties/${target.id}`,
      headers,
    });
    expect(noVersion.statusCode).toBe(400);
    const gone = await app.inject({
      method: 'DELETE',
      url: `/v1/properties/${target.id}?version=1`,
      headers,
    });
    expect(gone.statusCode).toBe(204);
    expectHidden(await app.inject({ url: `/v1/properties/${target.id}`, headers }));
  });

  it('hides another partner’s property exactly like a missing one', async () => {
    const headers = await as('stranger');
    const seen = await app.inject({ url: `/v1/properties/${tree.p1.id}`, headers });
    const missing = await app.inject({ url: '/v1/properties/prop_nowhere', headers });
    expectHidden(seen);
    expectHidden(missing);
  });
});
