import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import userRoutes from '../src/http/routes/users.js';
import { grantSchemas } from '../src/http/schemas/grants.js';
import { userSchemas } from '../src/http/schemas/users.js';
import {
  PASSWORD,
  startPlatformApp,
  type PlatformApp,
  type SeededPartner,
} from './platform-app-kit.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';

type Json = Record<string, unknown>;
const NEW_PASSWORD = 'a new password after the change';

/**
 * Ending a user's sessions when their password, grants or status change, or
 * when they are deleted, over HTTP on the app as production wires it: the
 * access tokens they hold are refused from the next request on, and so are
 * their refresh tokens, whose sessions show as revoked.
 */
describe('sessions end when a user changes', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-sessions-revocation');
  let kit: PlatformApp;

  beforeAll(async () => {
    kit = await startPlatformApp(table());
  });
  afterAll(() => kit?.close());

  async function world() {
    const p = await kit.seedPartner();
    const admin = (await kit.signIn(p.partnerId, p.users.admin.email)).headers;
    // Two sessions of the operator: a laptop and a phone.
    const laptop = await kit.signIn(p.partnerId, p.users.operator.email);
    const phone = await kit.signIn(p.partnerId, p.users.operator.email);
    return { p, admin, laptop, phone };
  }

  const userUrl = (p: SeededPartner) => `/v1/users/${p.users.operator.id}`;
  const me = (headers: Record<string, string>) => kit.call('GET', '/v1/me', headers);
  const versionOf = async (p: SeededPartner, admin: Record<string, string>) =>
    (await kit.call('GET', userUrl(p), admin)).json<{ version: number }>().version;

  async function expectEnded(
    p: SeededPartner,
    sessions: { headers: Record<string, string>; refreshToken: string }[],
  ) {
    for (const session of sessions) {
      const access = await me(session.headers);
      expect(access.statusCode, access.body).toBe(401);
      const refresh = await kit.refresh(session.refreshToken);
      expect(refresh.statusCode, refresh.body).toBe(401);
    }
    const families = await kit.services.auth.sessions.refreshTokens.listFamilies(
      p.partnerId,
      p.users.operator.id,
    );
    const ended = families.filter((f) => f.revokedReason === 'account-changed');
    expect(ended.length).toBeGreaterThanOrEqual(sessions.length);
  }

  it("ends every session when an admin changes the user's password", async () => {
    const { p, admin, laptop, phone } = await world();
    expect((await me(laptop.headers)).statusCode).toBe(200);
    const res = await kit.call('PATCH', userUrl(p), admin, {
      version: await versionOf(p, admin),
      password: NEW_PASSWORD,
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectEnded(p, [laptop, phone]);
    // Nothing of the admin's own session changed; the user signs in with the new password.
    expect((await me(admin)).statusCode).toBe(200);
    const again = await kit.signIn(p.partnerId, p.users.operator.email, NEW_PASSWORD);
    expect((await me(again.headers)).statusCode).toBe(200);
    expect((await kit.refresh(again.refreshToken)).statusCode).toBe(200);
  });

  it('ends every session when the grants change, so that no token carries the old ones', async () => {
    const { p, admin, laptop, phone } = await world();
    const res = await kit.call('PATCH', userUrl(p), admin, {
      version: await versionOf(p, admin),
      grants: [{ role: 'operator', organisationId: p.otherOrganisationId }],
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectEnded(p, [laptop, phone]);
    const again = await kit.signIn(p.partnerId, p.users.operator.email);
    expect((await me(again.headers)).json<Json>()).toMatchObject({
      grants: [{ role: 'operator', organisationId: p.otherOrganisationId }],
    });
  });

  it('ends every session when the user is disabled, and when deleted', async () => {
    const disabled = await world();
    const off = await kit.call('PATCH', userUrl(disabled.p), disabled.admin, {
      version: await versionOf(disabled.p, disabled.admin),
      status: 'disabled',
    });
    expect(off.statusCode, off.body).toBe(200);
    await expectEnded(disabled.p, [disabled.laptop, disabled.phone]);

    const deleted = await world();
    const gone = await kit.call(
      'DELETE',
      `${userUrl(deleted.p)}?version=${await versionOf(deleted.p, deleted.admin)}`,
      deleted.admin,
    );
    expect(gone.statusCode, gone.body).toBe(204);
    await expectEnded(deleted.p, [deleted.laptop, deleted.phone]);
  });

  it('keeps the sessions when nothing they were granted on changed', async () => {
    const { p, admin, laptop } = await world();
    const version = await versionOf(p, admin);
    const renamed = await kit.call('PATCH', userUrl(p), admin, { version, name: 'Olga Operator' });
    expect(renamed.statusCode).toBe(200);
    // The same grants sent again are no change either.
    const same = await kit.call('PATCH', userUrl(p), admin, {
      version: version + 1,
      grants: [{ role: 'operator', organisationId: p.organisationId }],
    });
    expect(same.statusCode, same.body).toBe(200);
    expect((await me(laptop.headers)).statusCode).toBe(200);
    expect((await kit.refresh(laptop.refreshToken)).statusCode).toBe(200);
  });

  it("ends every session, the caller's too, when users change their own password", async () => {
    const { p, laptop, phone } = await world();
    const res = await kit.call('PUT', '/v1/me/password', laptop.headers, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(res.statusCode, res.body).toBe(204);
    await expectEnded(p, [laptop, phone]);
    const again = await kit.signIn(p.partnerId, p.users.operator.email, NEW_PASSWORD);
    expect((await me(again.headers)).statusCode).toBe(200);
    // A wrong current password ends nothing.
    const wrong = await kit.call('PUT', '/v1/me/password', again.headers, {
      currentPassword: 'not the password',
      newPassword: 'yet another password',
    });
    expect(wrong.statusCode).toBe(401);
    expect((await me(again.headers)).statusCode).toBe(200);
  });

  it('refuses an access token from before the change even when it was issued a moment before', async () => {
    const { p, admin } = await world();
    const last = await kit.signIn(p.partnerId, p.users.operator.email);
    await kit.call('PATCH', userUrl(p), admin, {
      version: await versionOf(p, admin),
      status: 'disabled',
    });
    const res = await me(last.headers);
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('UNAUTHENTICATED');
  });
});

describe('sessions end when a change fails after it was stored', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-sessions-failed-change');
  let kit: TenancyApp;

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: [...grantSchemas, ...userSchemas],
      register: async (app, stores, services) => {
        // As when the audit entry cannot be written: the change is stored, the call fails.
        const users = {
          ...stores.users,
          update: async (...args: Parameters<typeof stores.users.update>) => {
            await stores.users.update(...args);
            throw new Error('the audit log is unavailable');
          },
        };
        await app.register(userRoutes, { ...stores, users, sessions: services.sessions });
      },
    });
  });
  afterAll(() => kit?.close());

  it('ends them all the same, and answers the error', async () => {
    const p = await kit.stores.partners.create(newPartner(freshPartnerId()), {
      kind: 'system',
      id: 'test-seed',
    });
    const email = `olga@${p.id}.example`;
    const admin = await kit.bearer(p.id, [{ role: 'partner-admin', partnerId: p.id }], 'usr_admin');
    const created = await kit.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: admin,
      payload: { email, name: 'Olga', password: PASSWORD },
    });
    expect(created.statusCode, created.body).toBe(201);
    const user = created.json<{ id: string; version: number }>();
    const login = await kit.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { partner: p.id, email, password: PASSWORD },
    });
    const session = login.json<{ accessToken: string; refreshToken: string }>();

    const res = await kit.app.inject({
      method: 'PATCH',
      url: `/v1/users/${user.id}`,
      headers: admin,
      payload: { version: user.version, password: NEW_PASSWORD },
    });
    expect(res.statusCode).toBe(500);
    const me = await kit.app.inject({
      url: '/v1/me',
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(me.statusCode).toBe(401);
    const refresh = await kit.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: session.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
  });
});
