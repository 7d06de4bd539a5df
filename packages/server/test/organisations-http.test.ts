import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/domain/audit.js';
import organisationRoutes from '../src/http/routes/organisations.js';
import { organisationSchemas } from '../src/http/schemas/organisations.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, newProperty, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';

type Json = Record<string, unknown>;
type Org = { id: string; partnerId: string; version: number; name: string };

const SEED: Actor = { kind: 'system', id: 'test-seed' };

/**
 * Organisations over HTTP on the real stores: partner admins set them up and
 * remove them, operators read and keep their own up to date, and nobody
 * reaches another partner's.
 */
describe('organisations over HTTP', () => {
  const { table } = useDynaliteTable('zw-organisations-http');
  let kit: TenancyApp;
  const bodies: string[] = [];

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: organisationSchemas,
      register: async (app, stores) => {
        app.addHook('onSend', async (_request, _reply, payload) => {
          if (typeof payload === 'string') bodies.push(payload);
          return payload;
        });
        await app.register(organisationRoutes, { organisations: stores.organisations });
      },
    });
  });
  afterAll(() => kit?.close());

  /** A partner of its own with two organisations made by the seed. */
  async function seed() {
    const partnerId = freshPartnerId();
    await kit.stores.partners.create(newPartner(partnerId), SEED);
    const [o1, o2] = [
      await kit.stores.organisations.create(
        partnerId,
        { name: 'Messdienst Nord', kind: 'metering-operator' },
        SEED,
      ),
      await kit.stores.organisations.create(
        partnerId,
        { name: 'Hausverwaltung Süd', kind: 'property-manager' },
        SEED,
      ),
    ];
    return { partnerId, o1, o2 };
  }

  const admin = (partnerId: string) =>
    kit.bearer(partnerId, [{ role: 'partner-admin', partnerId }], 'usr_admin');
  const operator = (partnerId: string, ...organisationIds: string[]) =>
    kit.bearer(
      partnerId,
      organisationIds.map((organisationId) => ({ role: 'operator', partnerId, organisationId })),
      'usr_operator',
    );

  async function call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: Json,
  ) {
    return kit.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  }

  it('lets a partner admin create an organisation, logged in its own audit trail', async () => {
    const { partnerId } = await seed();
    const res = await call('POST', '/v1/organisations', await admin(partnerId), {
      name: 'Wärmemessung West',
      kind: 'metering-operator',
      contact: {
        email: 'Info@Waerme.example',
        address: { street: 'Hauptstr. 1', postalCode: '10115', city: 'Berlin', country: 'de' },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const org = res.json<Org & { contact: Json }>();
    expect(org).toMatchObject({
      partnerId,
      name: 'Wärmemessung West',
      kind: 'metering-operator',
      version: 1,
      contact: { email: 'info@waerme.example', address: { country: 'DE' } },
    });
    const log = await kit.stores.audit.listByOrganisation(partnerId, org.id);
    expect(log.items[0]).toMatchObject({
      action: 'organisation.created',
      actor: { kind: 'user', id: 'usr_admin' },
      target: { type: 'organisation', id: org.id },
    });
  });

  it('refuses creation to operators, tenants, strangers and bad input', async () => {
    const { partnerId, o1 } = await seed();
    const body = { name: 'X', kind: 'metering-operator' };
    expect((await call('POST', '/v1/organisations', {}, body)).statusCode).toBe(401);
    expect(
      (await call('POST', '/v1/organisations', await operator(partnerId, o1.id), body)).statusCode,
    ).toBe(403);
    const tenant = await kit.bearer(partnerId, [{ role: 'tenant', partnerId, unitId: 'unit_1' }]);
    expect((await call('POST', '/v1/organisations', tenant, body)).statusCode).toBe(403);
    const headers = await admin(partnerId);
    for (const bad of [
      { name: 'X', kind: 'bank' },
      { name: '', kind: 'metering-operator' },
      { name: 'X', kind: 'metering-operator', partnerId: 'other' },
      { name: 'X', kind: 'metering-operator', contact: { email: 'not an address' } },
    ]) {
      expect(
        (await call('POST', '/v1/organisations', headers, bad)).statusCode,
        JSON.stringify(bad),
      ).toBe(400);
    }
    // A partner admin of a partner that does not exist (yet) cannot make orphans.
    const ghost = freshPartnerId();
    expect((await call('POST', '/v1/organisations', await admin(ghost), body)).statusCode).toBe(
      404,
    );
  });

  it('lists all of the partner’s to its admin, page by page, and its own to an operator', async () => {
    const { partnerId, o1, o2 } = await seed();
    const headers = await admin(partnerId);
    const first = await call('GET', '/v1/organisations?limit=1', headers);
    expect(first.statusCode).toBe(200);
    const page1 = first.json<{ items: Org[]; cursor: string | null }>();
    expect(page1.items.map((o) => o.id)).toEqual([o1.id]);
    const second = await call('GET', `/v1/organisations?limit=1&cursor=${page1.cursor}`, headers);
    const page2 = second.json<{ items: Org[]; cursor: string | null }>();
    expect(page2.items.map((o) => o.id)).toEqual([o2.id]);
    expect(page2.cursor).toBeNull();

    const mine = await call('GET', '/v1/organisations', await operator(partnerId, o1.id));
    expect(mine.json()).toEqual({ items: [expect.objectContaining({ id: o1.id })], cursor: null });
    const both = await call(
      'GET',
      '/v1/organisations',
      await operator(partnerId, o2.id, o1.id, 'org_gone'),
    );
    expect(both.json<{ items: Org[] }>().items.map((o) => o.id)).toEqual([o1.id, o2.id]);

    const other = await seed();
    const foreign = await call('GET', '/v1/organisations', await admin(other.partnerId));
    expect(foreign.json<{ items: Org[] }>().items.map((o) => o.id)).toEqual([
      other.o1.id,
      other.o2.id,
    ]);
    // A cursor of one partner's list opens nothing of another's.
    const stolen = await call(
      'GET',
      `/v1/organisations?limit=1&cursor=${page1.cursor}`,
      await admin(other.partnerId),
    );
    expect(stolen.statusCode).toBe(400);
    const landlord = await kit.bearer(partnerId, [
      { role: 'landlord', partnerId, propertyId: 'prop_1' },
    ]);
    expect((await call('GET', '/v1/organisations', landlord)).statusCode).toBe(403);
  });

  it('shows an organisation to its operator and admin, never to another partner', async () => {
    const { partnerId, o1, o2 } = await seed();
    const own = await call('GET', `/v1/organisations/${o1.id}`, await operator(partnerId, o1.id));
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: o1.id, name: 'Messdienst Nord' });
    expect(
      (await call('GET', `/v1/organisations/${o2.id}`, await operator(partnerId, o1.id)))
        .statusCode,
    ).toBe(403);
    expect(
      (await call('GET', `/v1/organisations/${o2.id}`, await admin(partnerId))).statusCode,
    ).toBe(200);
    const viaKey = await kit.apiKey(
      partnerId,
      [{ role: 'operator', partnerId, organisationId: o1.id }],
      o1.id,
    );
    expect((await call('GET', `/v1/organisations/${o1.id}`, viaKey)).statusCode).toBe(200);

    const other = await seed();
    const stranger = await admin(other.partnerId);
    const foreign = await call('GET', `/v1/organisations/${o1.id}`, stranger);
    const missing = await call('GET', '/v1/organisations/org_missing', stranger);
    expect([foreign.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    // An operator grant naming another partner's organisation id reaches nothing either.
    expect(
      (await call('GET', `/v1/organisations/${o1.id}`, await operator(other.partnerId, o1.id)))
        .statusCode,
    ).toBe(404);
  });

  it('lets an operator update its own organisation with the version it read', async () => {
    const { partnerId, o1, o2 } = await seed();
    const headers = await operator(partnerId, o1.id);
    const res = await call('PATCH', `/v1/organisations/${o1.id}`, headers, {
      version: 1,
      name: 'Messdienst Nord GmbH',
      contact: { phone: '+49 40 123456' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Messdienst Nord GmbH',
      version: 2,
      kind: 'metering-operator',
    });
    const stale = await call('PATCH', `/v1/organisations/${o1.id}`, headers, {
      version: 1,
      name: 'Old view',
    });
    expect(stale.statusCode).toBe(409);
    expect(
      (
        await call('PATCH', `/v1/organisations/${o1.id}`, headers, {
          version: 2,
          kind: 'property-manager',
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await call('PATCH', `/v1/organisations/${o1.id}`, headers, { name: 'No version' }))
        .statusCode,
    ).toBe(400);
    expect(
      (await call('PATCH', `/v1/organisations/${o2.id}`, headers, { version: 1, name: 'Not mine' }))
        .statusCode,
    ).toBe(403);
    const other = await seed();
    expect(
      (
        await call('PATCH', `/v1/organisations/${o1.id}`, await admin(other.partnerId), {
          version: 2,
          name: 'Hijack',
        })
      ).statusCode,
    ).toBe(404);

    const log = await kit.stores.audit.listByOrganisation(partnerId, o1.id);
    expect(log.items[0]).toMatchObject({
      action: 'organisation.updated',
      actor: { kind: 'user', id: 'usr_operator' },
      changed: ['contact', 'name'],
    });
  });

  it('lets a partner admin delete an organisation no property names, with its version', async () => {
    const { partnerId, o1, o2 } = await seed();
    await kit.stores.properties.create(partnerId, newProperty(o1.id), SEED);
    const headers = await admin(partnerId);
    expect(
      (
        await call(
          'DELETE',
          `/v1/organisations/${o2.id}?version=1`,
          await operator(partnerId, o2.id),
        )
      ).statusCode,
    ).toBe(403);
    const other = await seed();
    expect(
      (await call('DELETE', `/v1/organisations/${o2.id}?version=1`, await admin(other.partnerId)))
        .statusCode,
    ).toBe(404);
    expect((await call('DELETE', `/v1/organisations/${o1.id}?version=1`, headers)).statusCode).toBe(
      409,
    );
    expect((await call('DELETE', `/v1/organisations/${o2.id}?version=7`, headers)).statusCode).toBe(
      409,
    );
    expect((await call('DELETE', `/v1/organisations/${o2.id}`, headers)).statusCode).toBe(400);
    const gone = await call('DELETE', `/v1/organisations/${o2.id}?version=1`, headers);
    expect(gone.statusCode).toBe(204);
    expect(gone.body).toBe('');
    expect((await call('GET', `/v1/organisations/${o2.id}`, headers)).statusCode).toBe(404);
    const log = await kit.stores.audit.listByPartner(partnerId);
    expect(log.items[0]).toMatchObject({
      action: 'organisation.deleted',
      actor: { kind: 'user', id: 'usr_admin' },
      target: { type: 'organisation', id: o2.id },
    });
  });

  it('declares an access rule for every route it adds', () => {
    const rules = kit.app.accessTable().filter((r) => r.url.startsWith('/v1/organisations'));
    expect(rules.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.access)}`).sort()).toEqual([
      'DELETE /v1/organisations/:organisationId {"roles":["partner-admin"]}',
      'GET /v1/organisations {"roles":["partner-admin","operator"]}',
      'GET /v1/organisations/:organisationId {"roles":["partner-admin","operator"]}',
      'PATCH /v1/organisations/:organisationId {"roles":["partner-admin","operator"]}',
      'POST /v1/organisations {"roles":["partner-admin"]}',
    ]);
  });

  it('sent no secret in any response', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) expect(body).not.toMatch(/passwordHash|secretHash|zwk_|scrypt\$/);
  });
});
