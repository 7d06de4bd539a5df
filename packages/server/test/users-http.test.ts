import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { Actor } from '../src/domain/audit.js';
import userRoutes from '../src/http/routes/users.js';
import { grantSchemas } from '../src/http/schemas/grants.js';
import { userSchemas } from '../src/http/schemas/users.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, newProperty, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';

type Json = Record<string, unknown>;
type PublicUser = Json & { id: string; version: number; grants: RoleGrant[] };

const SEED: Actor = { kind: 'system', id: 'test-seed' };
const PASSWORDS = ['first password of anna', 'second password of anna', 'bertas own password'];

/**
 * Users over HTTP on the real stores: partner admins manage the partner's
 * users and their grants, everyone manages their own profile and password,
 * and no response ever carries a password or its hash.
 */
describe('users over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-users-http');
  let kit: TenancyApp;
  const bodies: string[] = [];

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: [...grantSchemas, ...userSchemas],
      register: async (app, stores, services) => {
        app.addHook('onSend', async (_request, _reply, payload) => {
          if (typeof payload === 'string') bodies.push(payload);
          return payload;
        });
        await app.register(userRoutes, { ...stores, sessions: services.sessions });
      },
    });
  });
  afterAll(() => kit?.close());

  /** A partner with two organisations, a property of the first with a unit, and an admin user. */
  async function seed() {
    const partnerId = freshPartnerId();
    const { stores } = kit;
    await stores.partners.create(newPartner(partnerId), SEED);
    const o1 = await stores.organisations.create(
      partnerId,
      { name: 'Messdienst', kind: 'metering-operator' },
      SEED,
    );
    const o2 = await stores.organisations.create(
      partnerId,
      { name: 'Verwaltung', kind: 'property-manager' },
      SEED,
    );
    const property = await stores.properties.create(partnerId, newProperty(o1.id), SEED);
    const unit = await stores.units.create(
      partnerId,
      { propertyId: property.id, name: 'WE 01', livingAreaM2: 60, heatedAreaM2: 58 },
      SEED,
    );
    const adminUser = await stores.users.create(
      partnerId,
      {
        email: `admin@${partnerId}.example`,
        name: 'Admin',
        grants: [{ role: 'partner-admin', partnerId }],
      },
      SEED,
    );
    const admin = await kit.bearer(partnerId, adminUser.grants as RoleGrant[], adminUser.id);
    return { partnerId, o1, o2, property, unit, adminUser, admin };
  }

  async function call(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: Json,
  ) {
    return kit.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  }

  async function signIn(partner: string, email: string, password: string) {
    return kit.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password, partner },
    });
  }

  it('creates a user with a password, who can then sign in; the hash is never shown', async () => {
    const { partnerId, o1, admin } = await seed();
    const email = `Anna.${partnerId}@Example.org`;
    const res = await call('POST', '/v1/users', admin, {
      email,
      name: 'Anna',
      locale: 'de',
      password: PASSWORDS[0],
      grants: [{ role: 'operator', organisationId: o1.id }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const user = res.json<PublicUser>();
    expect(user).toMatchObject({
      partnerId,
      email: email.toLowerCase(),
      name: 'Anna',
      locale: 'de',
      status: 'active',
      hasPassword: true,
      version: 1,
      grants: [{ role: 'operator', partnerId, organisationId: o1.id }],
    });
    expect(user).not.toHaveProperty('passwordHash');
    expect((await signIn(partnerId, email, PASSWORDS[0]!)).statusCode).toBe(200);

    const log = await kit.stores.audit.listByPartner(partnerId);
    expect(log.items[0]).toMatchObject({
      action: 'user.created',
      actor: { kind: 'user', id: expect.stringMatching(/^usr_/) },
      target: { type: 'user', id: user.id },
    });
    expect(JSON.stringify(log.items[0])).not.toMatch(/scrypt\$|passwordHash/);
  });

  it('invites a user without a password, who cannot sign in yet', async () => {
    const { partnerId, admin } = await seed();
    const res = await call('POST', '/v1/users', admin, {
      email: `invited@${partnerId}.example`,
      name: 'Invited',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ hasPassword: false, grants: [] });
    expect(
      (await signIn(partnerId, `invited@${partnerId}.example`, 'anything at all')).statusCode,
    ).toBe(401);
  });

  it('refuses grants outside the partner or its tree, and other bad input', async () => {
    const { partnerId, o1, o2, property, unit, admin } = await seed();
    const other = await seed();
    const body = (grants: Json[], extra: Json = {}) => ({
      email: `u.${Math.random().toString(36).slice(2)}@${partnerId}.example`,
      name: 'U',
      grants,
      ...extra,
    });
    const cases: [Json, number][] = [
      [body([{ role: 'platform-admin' }]), 400],
      [body([{ role: 'partner-admin', partnerId: other.partnerId }]), 400],
      [body([{ role: 'operator' }]), 400],
      [body([{ role: 'operator', organisationId: 'org_nowhere' }]), 404],
      [body([{ role: 'operator', organisationId: other.o1.id }]), 404],
      [body([{ role: 'landlord', propertyId: property.id, organisationId: o2.id }]), 400],
      [body([{ role: 'tenant', unitId: 'unit_nowhere' }]), 404],
      [body([{ role: 'tenant', unitId: other.unit.id }]), 404],
      [body([{ role: 'tenant', unitId: unit.id, propertyId: 'prop_other' }]), 400],
      [body([{ role: 'tenant', unitId: unit.id, tenancyId: 'ten_nowhere' }]), 404],
      [body([{ role: 'operator', organisationId: o1.id, shadow: 'x' }]), 400],
      [body([], { password: 'short' }), 400],
      [
        body([], { passwordHash: 'scrypt$1$1$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA' }),
        400,
      ],
      [body([], { email: 'not an address' }), 400],
    ];
    for (const [payload, status] of cases) {
      const res = await call('POST', '/v1/users', admin, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
    }
    const ok = await call(
      'POST',
      '/v1/users',
      admin,
      body([
        { role: 'landlord', propertyId: property.id, organisationId: o1.id },
        { role: 'tenant', unitId: unit.id, propertyId: property.id },
      ]),
    );
    expect(ok.statusCode, ok.body).toBe(201);
    // The wider ids are carried along from the tree, as tokens and keys expect them.
    expect(ok.json<PublicUser>().grants).toEqual([
      { role: 'landlord', partnerId, organisationId: o1.id, propertyId: property.id },
      {
        role: 'tenant',
        partnerId,
        organisationId: o1.id,
        propertyId: property.id,
        unitId: unit.id,
      },
    ]);
    const email = `dup@${partnerId}.example`;
    expect((await call('POST', '/v1/users', admin, { email, name: 'A' })).statusCode).toBe(201);
    expect(
      (await call('POST', '/v1/users', admin, { email: email.toUpperCase(), name: 'B' }))
        .statusCode,
    ).toBe(409);
  });

  it('lets only partner admins manage users', async () => {
    const { partnerId, o1, property, unit } = await seed();
    const grants: RoleGrant[][] = [
      [{ role: 'operator', partnerId, organisationId: o1.id }],
      [{ role: 'landlord', partnerId, propertyId: property.id }],
      [{ role: 'tenant', partnerId, unitId: unit.id }],
    ];
    for (const g of grants) {
      const headers = await kit.bearer(partnerId, g);
      expect((await call('GET', '/v1/users', headers)).statusCode).toBe(403);
      expect(
        (await call('POST', '/v1/users', headers, { email: `x@${partnerId}.example`, name: 'X' }))
          .statusCode,
      ).toBe(403);
    }
    expect((await call('GET', '/v1/users', {})).statusCode).toBe(401);
    const platform = await kit.bearer('*', [{ role: 'platform-admin', partnerId: '*' }]);
    expect((await call('GET', '/v1/users', platform)).statusCode).toBe(403);
  });

  it('lists the partner’s users page by page, without hashes, and none of another’s', async () => {
    const { partnerId, admin, adminUser } = await seed();
    for (const name of ['B', 'C']) {
      await call('POST', '/v1/users', admin, {
        email: `${name}@${partnerId}.example`,
        name,
        password: PASSWORDS[2],
      });
    }
    const other = await seed();
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/users?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await call('GET', url, admin);
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: PublicUser[]; cursor: string | null }>();
      ids.push(...page.items.map((u) => u.id));
      expect(page.items.every((u) => u.partnerId === partnerId)).toBe(true);
      cursor = page.cursor;
    } while (cursor !== null);
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe(adminUser.id);
    expect(ids).not.toContain(other.adminUser.id);
  });

  it('shows a user to the partner’s admin, and to another partner as if missing', async () => {
    const { partnerId, admin, adminUser } = await seed();
    const own = await call('GET', `/v1/users/${adminUser.id}`, admin);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: adminUser.id, partnerId, hasPassword: false });
    const other = await seed();
    const foreign = await call('GET', `/v1/users/${adminUser.id}`, other.admin);
    const missing = await call('GET', '/v1/users/usr_missing', other.admin);
    expect([foreign.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
  });

  it('updates a user with the version read: grants, password, locale, status', async () => {
    const { partnerId, o1, unit, admin } = await seed();
    const email = `anna@${partnerId}.example`;
    const created = (
      await call('POST', '/v1/users', admin, {
        email,
        name: 'Anna',
        locale: 'de',
        password: PASSWORDS[0],
        grants: [{ role: 'tenant', unitId: unit.id }],
      })
    ).json<PublicUser>();
    const url = `/v1/users/${created.id}`;
    const res = await call('PATCH', url, admin, {
      version: 1,
      name: 'Anna Operator',
      locale: null,
      password: PASSWORDS[1],
      grants: [{ role: 'operator', organisationId: o1.id }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const updated = res.json<PublicUser>();
    expect(updated).toMatchObject({
      name: 'Anna Operator',
      version: 2,
      hasPassword: true,
      grants: [{ role: 'operator', partnerId, organisationId: o1.id }],
    });
    expect(updated).not.toHaveProperty('locale');
    expect((await signIn(partnerId, email, PASSWORDS[0]!)).statusCode).toBe(401);
    expect((await signIn(partnerId, email, PASSWORDS[1]!)).statusCode).toBe(200);

    expect((await call('PATCH', url, admin, { version: 1, name: 'Stale' })).statusCode).toBe(409);
    expect(
      (
        await call('PATCH', url, admin, {
          version: 2,
          grants: [{ role: 'operator', organisationId: 'org_x' }],
        })
      ).statusCode,
    ).toBe(404);
    const disabled = await call('PATCH', url, admin, { version: 2, status: 'disabled' });
    expect(disabled.json()).toMatchObject({ status: 'disabled', version: 3 });
    expect((await signIn(partnerId, email, PASSWORDS[1]!)).statusCode).toBe(401);

    const other = await seed();
    expect((await call('PATCH', url, other.admin, { version: 3, name: 'Hijack' })).statusCode).toBe(
      404,
    );

    const log = await kit.stores.audit.listByPartner(partnerId, { limit: 3 });
    const update = log.items.find((e) => e.action === 'user.updated' && e.after !== undefined);
    expect(log.items[0]).toMatchObject({ action: 'user.updated', changed: ['status'] });
    expect(update).toBeDefined();
    const passwordChange = (await kit.stores.audit.listByPartner(partnerId)).items.find((e) =>
      e.changed?.includes('passwordHash'),
    );
    expect(passwordChange).toMatchObject({
      actor: { kind: 'user' },
      changed: expect.arrayContaining(['grants', 'locale', 'name', 'passwordHash']),
    });
    expect(JSON.stringify(passwordChange)).not.toMatch(/scrypt\$/);
  });

  it('does not let a partner admin lock themselves out', async () => {
    const { partnerId, o1, admin, adminUser } = await seed();
    const url = `/v1/users/${adminUser.id}`;
    for (const body of [
      { version: 1, status: 'disabled' },
      { version: 1, grants: [{ role: 'operator', organisationId: o1.id }] },
    ]) {
      expect((await call('PATCH', url, admin, body)).statusCode, JSON.stringify(body)).toBe(403);
    }
    expect((await call('DELETE', `${url}?version=1`, admin)).statusCode).toBe(403);
    const kept = await call('PATCH', url, admin, {
      version: 1,
      grants: [{ role: 'partner-admin' }, { role: 'operator', organisationId: o1.id }],
    });
    expect(kept.statusCode).toBe(200);
    expect(kept.json<PublicUser>().grants).toHaveLength(2);
    // Another admin may.
    const second = await kit.bearer(
      partnerId,
      [{ role: 'partner-admin', partnerId }],
      'usr_other_admin',
    );
    expect((await call('PATCH', url, second, { version: 2, status: 'disabled' })).statusCode).toBe(
      200,
    );
  });

  it('deletes a user with the version read, logged with the actor', async () => {
    const { partnerId, admin } = await seed();
    const created = (
      await call('POST', '/v1/users', admin, { email: `gone@${partnerId}.example`, name: 'Gone' })
    ).json<PublicUser>();
    const url = `/v1/users/${created.id}`;
    const other = await seed();
    expect((await call('DELETE', `${url}?version=1`, other.admin)).statusCode).toBe(404);
    expect((await call('DELETE', `${url}?version=2`, admin)).statusCode).toBe(409);
    const res = await call('DELETE', `${url}?version=1`, admin);
    expect(res.statusCode).toBe(204);
    expect((await call('GET', url, admin)).statusCode).toBe(404);
    const log = await kit.stores.audit.listByPartner(partnerId);
    expect(log.items[0]).toMatchObject({
      action: 'user.deleted',
      actor: { kind: 'user' },
      target: { type: 'user', id: created.id },
    });
  });

  describe('the signed-in user’s own account', () => {
    async function member() {
      const seeded = await seed();
      const email = `berta@${seeded.partnerId}.example`;
      const created = (
        await call('POST', '/v1/users', seeded.admin, {
          email,
          name: 'Berta',
          password: PASSWORDS[2],
          grants: [{ role: 'tenant', unitId: seeded.unit.id }],
        })
      ).json<PublicUser>();
      const headers = await kit.bearer(seeded.partnerId, created.grants, created.id);
      return { ...seeded, email, user: created, headers };
    }

    it('shows and changes one’s own name and language', async () => {
      const { user, headers, partnerId } = await member();
      const mine = await call('GET', '/v1/me/profile', headers);
      expect(mine.statusCode).toBe(200);
      expect(mine.json()).toMatchObject({ id: user.id, name: 'Berta', hasPassword: true });
      const res = await call('PATCH', '/v1/me/profile', headers, {
        version: 1,
        name: 'Berta B.',
        locale: 'tr',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name: 'Berta B.', locale: 'tr', version: 2 });
      // Grants and status are not one's own to change.
      for (const body of [
        { version: 2, grants: [] },
        { version: 2, status: 'active' },
        { version: 2, email: 'x@example.org' },
      ]) {
        expect((await call('PATCH', '/v1/me/profile', headers, body)).statusCode).toBe(400);
      }
      expect(
        (await call('PATCH', '/v1/me/profile', headers, { version: 1, name: 'S' })).statusCode,
      ).toBe(409);
      const log = await kit.stores.audit.listByPartner(partnerId);
      expect(log.items[0]).toMatchObject({
        action: 'user.updated',
        actor: { kind: 'user', id: user.id },
        changed: ['locale', 'name'],
      });
    });

    it('changes one’s own password only with the current one', async () => {
      const { headers, email, partnerId } = await member();
      const wrong = await call('PUT', '/v1/me/password', headers, {
        currentPassword: 'not the password',
        newPassword: PASSWORDS[1],
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json<{ error: { code: string } }>().error.code).toBe('INVALID_CREDENTIALS');
      const ok = await call('PUT', '/v1/me/password', headers, {
        currentPassword: PASSWORDS[2],
        newPassword: PASSWORDS[1],
      });
      expect(ok.statusCode).toBe(204);
      // Every session ends with the change, the one that made it too.
      expect((await call('GET', '/v1/me/profile', headers)).statusCode).toBe(401);
      const again = await signIn(partnerId, email, PASSWORDS[1]!);
      expect(again.statusCode).toBe(200);
      const fresh = {
        authorization: `Bearer ${again.json<{ accessToken: string }>().accessToken}`,
      };
      expect(
        (
          await call('PUT', '/v1/me/password', fresh, {
            currentPassword: PASSWORDS[1],
            newPassword: 'short',
          })
        ).statusCode,
      ).toBe(400);
    });

    it('has no profile for API keys, and none for a deleted user', async () => {
      const { partnerId, o1, admin, user, headers } = await member();
      const key = await kit.apiKey(partnerId, [
        { role: 'operator', partnerId, organisationId: o1.id },
      ]);
      expect((await call('GET', '/v1/me/profile', key)).statusCode).toBe(401);
      expect((await call('DELETE', `/v1/users/${user.id}?version=1`, admin)).statusCode).toBe(204);
      // The deletion ended the user's sessions: the token is refused before the route runs.
      expect((await call('GET', '/v1/me/profile', headers)).statusCode).toBe(401);
    });
  });

  it('declares an access rule for every route it adds', () => {
    const rules = kit.app
      .accessTable()
      .filter((r) => r.url.startsWith('/v1/users') || r.url.startsWith('/v1/me/'));
    const self =
      '{"roles":["platform-admin","partner-admin","operator","landlord","tenant"],"apiKeys":false}';
    expect(rules.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.access)}`).sort()).toEqual([
      'DELETE /v1/users/:userId {"roles":["partner-admin"]}',
      `GET /v1/me/profile ${self}`,
      'GET /v1/users {"roles":["partner-admin"]}',
      'GET /v1/users/:userId {"roles":["partner-admin"]}',
      `PATCH /v1/me/profile ${self}`,
      'PATCH /v1/users/:userId {"roles":["partner-admin"]}',
      'POST /v1/users {"roles":["partner-admin"]}',
      `PUT /v1/me/password ${self}`,
    ]);
  });

  it('sent no password and no hash in any response', () => {
    expect(bodies.length).toBeGreaterThan(40);
    for (const body of bodies) {
      expect(body).not.toMatch(/passwordHash|scrypt\$|secretHash/);
      for (const password of PASSWORDS) expect(body).not.toContain(password);
    }
    // Nor did the log, at trace level.
    const log = kit.logLines.join('\n');
    expect(log).not.toMatch(/scrypt\$/);
    for (const password of PASSWORDS) expect(log).not.toContain(password);
  });
});
