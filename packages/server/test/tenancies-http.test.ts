import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tenancyRoutes from '../src/http/routes/tenancies.js';
import { tenanciesSchemas } from '../src/http/schemas/tenancies.js';
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

interface TenancyBody {
  id: string;
  unitId: string;
  from: string;
  to?: string;
  tenantUserIds?: string[];
  version: number;
}

/**
 * Tenancies over HTTP on the real stores (dynalite): managers see everything,
 * landlords the tenancies without the tenants, tenants their own only.
 */
describe('tenancies over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-tenancies-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  /** u1's tenancies: an earlier one of someone else, and tenant-1's current one. */
  let earlier: { id: string };
  let current: { id: string };

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: tenanciesSchemas,
      register: (app, stores) =>
        app.register(tenancyRoutes, {
          properties: stores.properties,
          units: stores.units,
          tenancies: stores.tenancies,
          users: stores.users,
        }),
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
    const create = (from: string, to: string | undefined, tenantUserIds: string[]) =>
      kit.stores.tenancies.create(
        tree.partnerId,
        { unitId: tree.u1.id, from, ...(to === undefined ? {} : { to }), tenantUserIds },
        seeder,
      );
    earlier = await create('2023-01-01', '2023-12-31', ['tenant-0']);
    current = await create('2024-01-01', undefined, ['tenant-1']);
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  /** A unit of p1 of its own, so that tests' tenancies never overlap. */
  const scratchUnit = () =>
    kit.stores.units.create(
      tree.partnerId,
      { propertyId: tree.p1.id, name: 'WE 77', livingAreaM2: 40, heatedAreaM2: 40 },
      seeder,
    );
  const scratch = async () => {
    const unit = await scratchUnit();
    return kit.stores.tenancies.create(
      tree.partnerId,
      { unitId: unit.id, from: '2025-01-01', tenantUserIds: ['tenant-9'] },
      seeder,
    );
  };

  describe('what each role may do', () => {
    // Relative to unit u1 and its current tenancy, whose tenant is the `tenant` role's user.
    const expected: Record<RoleName, [number, number, number, number, number]> = {
      //                create list  get  patch delete
      'partner-admin': [201, 200, 200, 200, 204],
      operator: [201, 200, 200, 200, 204],
      'other-operator': [403, 403, 403, 403, 403],
      landlord: [403, 200, 200, 403, 403],
      'other-landlord': [403, 403, 403, 403, 403],
      tenant: [403, 200, 200, 403, 403],
      'other-tenant': [403, 403, 403, 403, 403],
      stranger: [404, 404, 404, 404, 404],
    };

    it.each(ROLE_NAMES)('%s', async (role) => {
      const headers = await as(role);
      const unit = await scratchUnit();
      const target = await scratch();
      const doomed = await scratch();
      const statuses = [
        await app.inject({
          method: 'POST',
          url: `/v1/units/${unit.id}/tenancies`,
          headers,
          payload: { from: '2025-04-01', to: '2026-03-31' },
        }),
        await app.inject({ url: `/v1/units/${tree.u1.id}/tenancies`, headers }),
        await app.inject({ url: `/v1/tenancies/${current.id}`, headers }),
        await app.inject({
          method: 'PATCH',
          url: `/v1/tenancies/${target.id}`,
          headers,
          payload: { version: target.version, to: '2025-12-31' },
        }),
        await app.inject({
          method: 'DELETE',
          url: `/v1/tenancies/${doomed.id}?version=${doomed.version}`,
          headers,
        }),
      ].map((res) => res.statusCode);
      expect(statuses).toEqual(expected[role]);
    });
  });

  it('shows managers the tenants, and landlords the tenancies without them', async () => {
    const list = async (role: RoleName) => {
      const res = await app.inject({
        url: `/v1/units/${tree.u1.id}/tenancies`,
        headers: await as(role),
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ items: TenancyBody[] }>().items;
    };
    const managed = await list('operator');
    expect(managed.map((t) => t.id)).toEqual([earlier.id, current.id]);
    expect(managed[1]).toMatchObject({ tenantUserIds: ['tenant-1'], from: '2024-01-01' });

    const landlords = await list('landlord');
    expect(landlords.map((t) => t.id)).toEqual([earlier.id, current.id]);
    expect(landlords.every((t) => !('tenantUserIds' in t))).toBe(true);
    const one = await app.inject({
      url: `/v1/tenancies/${current.id}`,
      headers: await as('landlord'),
    });
    expect(one.json()).not.toHaveProperty('tenantUserIds');
    expect(one.body).not.toContain('tenant-1');
  });

  it('shows a tenant only the tenancies it is a tenant of', async () => {
    const headers = await as('tenant');
    const res = await app.inject({ url: `/v1/units/${tree.u1.id}/tenancies`, headers });
    const items = res.json<{ items: TenancyBody[] }>().items;
    expect(items.map((t) => t.id)).toEqual([current.id]);
    expect(items[0]).not.toHaveProperty('tenantUserIds');
    const before = await app.inject({ url: `/v1/tenancies/${earlier.id}`, headers });
    expect(before.statusCode).toBe(403);
    // A user of the unit who is no tenant of any of its tenancies sees none.
    const stranger = await kit.bearer(
      tree.partnerId,
      [{ role: 'tenant', partnerId: tree.partnerId, unitId: tree.u1.id }],
      'tenant-new',
    );
    const none = await app.inject({ url: `/v1/units/${tree.u1.id}/tenancies`, headers: stranger });
    expect(none.json<{ items: unknown[] }>().items).toEqual([]);
    // A grant that names the tenancy reaches it, whoever the tenancy lists.
    const named = await kit.bearer(
      tree.partnerId,
      [{ role: 'tenant', partnerId: tree.partnerId, unitId: tree.u1.id, tenancyId: earlier.id }],
      'tenant-new',
    );
    const reached = await app.inject({ url: `/v1/tenancies/${earlier.id}`, headers: named });
    expect(reached.statusCode).toBe(200);
  });

  it('creates with tenants who are users of the partner, and refuses unknown ones', async () => {
    const user = await kit.stores.users.create(
      tree.partnerId,
      {
        email: `mieter-${Date.now()}@example.org`,
        name: 'Mia Mieterin',
        grants: [{ role: 'tenant', partnerId: tree.partnerId, unitId: tree.u2.id }],
      },
      seeder,
    );
    const headers = await as('operator');
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: `/v1/units/${tree.u2.id}/tenancies`, headers, payload });
    const made = await post({ from: '2025-02-01', tenantUserIds: [user.id] });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({
      unitId: tree.u2.id,
      propertyId: tree.p1.id,
      tenantUserIds: [user.id],
      version: 1,
    });
    const unknown = await post({ from: '2020-01-01', to: '2020-12-31', tenantUserIds: ['usr_x'] });
    expect(unknown.statusCode).toBe(400);
    const overlap = await post({ from: '2025-06-01', to: '2025-06-30' });
    expect(overlap.statusCode).toBe(409);
    const backwards = await post({ from: '2021-06-01', to: '2021-05-31' });
    expect(backwards.statusCode).toBe(400);
    const notADay = await post({ from: '2021-02-30' });
    expect(notADay.statusCode).toBe(400);
    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 10 });
    expect(items.find((e) => e.target.id === made.json<TenancyBody>().id)).toMatchObject({
      action: 'tenancy.created',
      actor: { kind: 'user', id: 'u-1' },
    });
  });

  it('updates on the version last read: 409 when stale, open-ended with to: null', async () => {
    const target = await scratch();
    const headers = await as('partner-admin');
    const patch = (payload: object) =>
      app.inject({ method: 'PATCH', url: `/v1/tenancies/${target.id}`, headers, payload });
    const ended = await patch({ version: 1, to: '2025-06-30' });
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toMatchObject({ version: 2, to: '2025-06-30' });
    expect(codeOf(await patch({ version: 1, to: '2025-07-31' }))).toBe('CONFLICT');
    const reopened = await patch({ version: 2, to: null });
    expect(reopened.statusCode).toBe(200);
    expect(reopened.json()).not.toHaveProperty('to');
    expect((await patch({ version: 3, tenantUserIds: ['usr_nobody'] })).statusCode).toBe(400);
    expect((await patch({ version: 3, unitId: tree.u2.id })).statusCode).toBe(400);
  });

  it('hides another partner’s tenancy and unit exactly like missing ones', async () => {
    const headers = await as('stranger');
    expectHidden(await app.inject({ url: `/v1/tenancies/${current.id}`, headers }));
    expectHidden(await app.inject({ url: '/v1/tenancies/ten_nowhere', headers }));
    expectHidden(await app.inject({ url: `/v1/units/${tree.u1.id}/tenancies`, headers }));
  });
});
