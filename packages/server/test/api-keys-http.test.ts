import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { Actor } from '../src/domain/audit.js';
import apiKeyRoutes from '../src/http/routes/api-keys.js';
import { apiKeySchemas } from '../src/http/schemas/api-keys.js';
import { grantSchemas } from '../src/http/schemas/grants.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, newProperty, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';

type Json = Record<string, unknown>;
type KeyInfo = Json & { keyId: string; revokedAt: string | null; grants: RoleGrant[] };
type Created = { apiKey: string; key: KeyInfo };

const SEED: Actor = { kind: 'system', id: 'test-seed' };

/**
 * API keys over HTTP on the real stores: a key's secret is shown once, keys
 * are listed and revoked by partner admins (all of the partner's) and
 * operators (their organisation's), and every creation and revocation is in
 * the audit log without the secret.
 */
describe('API keys over HTTP', () => {
  const { table } = useDynaliteTable('zw-api-keys-http');
  let kit: TenancyApp;
  const bodies: string[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: [...grantSchemas, ...apiKeySchemas],
      register: async (app, stores, services) => {
        app.addHook('onSend', async (_request, _reply, payload) => {
          if (typeof payload === 'string') bodies.push(payload);
          return payload;
        });
        await app.register(apiKeyRoutes, { ...stores, apiKeys: services.apiKeys });
      },
    });
  });
  afterAll(() => kit?.close());

  /** A partner with two organisations, each with a property. */
  async function seed() {
    const partnerId = freshPartnerId();
    const { stores } = kit;
    await stores.partners.create(newPartner(partnerId), SEED);
    const o1 = await stores.organisations.create(
      partnerId,
      { name: 'Messdienst Eins', kind: 'metering-operator' },
      SEED,
    );
    const o2 = await stores.organisations.create(
      partnerId,
      { name: 'Messdienst Zwei', kind: 'metering-operator' },
      SEED,
    );
    const p1 = await stores.properties.create(partnerId, newProperty(o1.id), SEED);
    const p2 = await stores.properties.create(partnerId, newProperty(o2.id), SEED);
    const admin = await kit.bearer(partnerId, [{ role: 'partner-admin', partnerId }], 'usr_admin');
    const operator = await kit.bearer(
      partnerId,
      [{ role: 'operator', partnerId, organisationId: o1.id }],
      'usr_operator',
    );
    return { partnerId, o1, o2, p1, p2, admin, operator };
  }

  async function call(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload?: Json,
  ) {
    return kit.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  }

  async function create(headers: Record<string, string>, body: Json) {
    const res = await call('POST', '/v1/api-keys', headers, body);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<Created>();
    secrets.push(created.apiKey);
    return { res, ...created };
  }

  it('shows a new key’s secret once, and the key works at once', async () => {
    const { partnerId, admin } = await seed();
    const { res, apiKey, key } = await create(admin, {
      name: 'ERP export',
      scopes: ['readings:read'],
      grants: [{ role: 'partner-admin' }],
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(apiKey).toMatch(/^zwk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual({
      keyId: apiKey.slice(4, 16),
      partnerId,
      name: 'ERP export',
      scopes: ['readings:read'],
      grants: [{ role: 'partner-admin', partnerId }],
      createdBy: 'usr_admin',
      createdAt: expect.any(String),
      expiresAt: null,
      revokedAt: null,
    });
    const viaKey = await call('GET', `/v1/api-keys/${key.keyId}`, { 'x-api-key': apiKey });
    expect(viaKey.statusCode).toBe(200);
    expect(viaKey.body).not.toContain(apiKey.slice(17));

    const log = await kit.stores.audit.listByPartner(partnerId);
    expect(log.items[0]).toMatchObject({
      action: 'api-key.created',
      actor: { kind: 'user', id: 'usr_admin' },
      target: { type: 'api-key', id: key.keyId },
      after: { keyId: key.keyId, name: 'ERP export' },
    });
    expect(JSON.stringify(log.items)).not.toContain(apiKey.slice(17));
    expect(JSON.stringify(log.items)).not.toContain('secretHash');
  });

  it('lets an operator make keys inside its organisation, the grants placed in the tree', async () => {
    const { partnerId, o1, p1, operator } = await seed();
    const { apiKey, key } = await create(operator, {
      name: 'Gateway tool',
      organisationId: o1.id,
      grants: [
        { role: 'operator', organisationId: o1.id },
        { role: 'landlord', propertyId: p1.id },
      ],
      expiresAt: '2099-01-01T00:00:00Z',
    });
    expect(key).toMatchObject({
      organisationId: o1.id,
      expiresAt: '2099-01-01T00:00:00.000Z',
      grants: [
        { role: 'operator', partnerId, organisationId: o1.id },
        { role: 'landlord', partnerId, organisationId: o1.id, propertyId: p1.id },
      ],
    });
    const list = await call('GET', `/v1/api-keys?organisationId=${o1.id}`, { 'x-api-key': apiKey });
    expect(list.statusCode).toBe(200);
    const log = await kit.stores.audit.listByOrganisation(partnerId, o1.id);
    expect(log.items[0]).toMatchObject({
      action: 'api-key.created',
      organisationId: o1.id,
      actor: { kind: 'user', id: 'usr_operator' },
    });
  });

  it('refuses keys beyond the caller’s reach or the partner’s tree', async () => {
    const { partnerId, o1, o2, p2, admin, operator } = await seed();
    const other = await seed();
    const good = {
      name: 'k',
      organisationId: o1.id,
      grants: [{ role: 'operator', organisationId: o1.id }],
    };
    const cases: [Record<string, string>, Json, number][] = [
      [{}, good, 401],
      [operator, { ...good, organisationId: undefined }, 403],
      [
        operator,
        { ...good, organisationId: o2.id, grants: [{ role: 'operator', organisationId: o2.id }] },
        403,
      ],
      [operator, { ...good, grants: [{ role: 'partner-admin' }] }, 400],
      [operator, { ...good, grants: [{ role: 'operator', organisationId: o2.id }] }, 400],
      // A property of another organisation, even with the key's organisation carried along.
      [operator, { ...good, grants: [{ role: 'landlord', propertyId: p2.id }] }, 400],
      [
        operator,
        { ...good, grants: [{ role: 'landlord', propertyId: p2.id, organisationId: o1.id }] },
        400,
      ],
      [
        admin,
        {
          ...good,
          organisationId: 'org_nowhere',
          grants: [{ role: 'operator', organisationId: 'org_nowhere' }],
        },
        404,
      ],
      [admin, { name: 'k', grants: [{ role: 'operator', organisationId: other.o1.id }] }, 404],
      [admin, { name: 'k', grants: [{ role: 'landlord', propertyId: other.p1.id }] }, 404],
      [admin, { name: 'k', grants: [{ role: 'platform-admin' }] }, 400],
      [admin, { name: 'k', grants: [{ role: 'partner-admin', partnerId: other.partnerId }] }, 400],
      [admin, { name: 'k', grants: [] }, 400],
      [
        admin,
        { name: 'k', grants: [{ role: 'partner-admin' }], expiresAt: '2001-01-01T00:00:00Z' },
        400,
      ],
      [admin, { name: 'k', grants: [{ role: 'partner-admin' }], scopes: ['Not A Scope'] }, 400],
      [admin, { name: 'k', grants: [{ role: 'partner-admin' }], secretHash: 'x' }, 400],
      [await kit.bearer(partnerId, [{ role: 'tenant', partnerId, unitId: 'unit_1' }]), good, 403],
      [await kit.apiKey(partnerId, [{ role: 'partner-admin', partnerId }]), good, 401],
      // Another partner's admin for this partner's organisation: it is not theirs to name.
      [other.admin, good, 404],
    ];
    for (const [headers, body, status] of cases) {
      const res = await call('POST', '/v1/api-keys', headers, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(status);
    }
    expect(
      (await kit.stores.audit.listByPartner(partnerId)).items.filter(
        (e) => e.action === 'api-key.created',
      ),
    ).toHaveLength(0);
  });

  it('lists the partner’s keys to its admin and an organisation’s to its operator', async () => {
    const { partnerId, o1, o2, admin, operator } = await seed();
    const wide = await create(admin, { name: 'wide', grants: [{ role: 'partner-admin' }] });
    const one = await create(operator, {
      name: 'one',
      organisationId: o1.id,
      grants: [{ role: 'operator', organisationId: o1.id }],
    });
    const two = await create(admin, {
      name: 'two',
      organisationId: o2.id,
      grants: [{ role: 'operator', organisationId: o2.id }],
    });
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/api-keys?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await call('GET', url, admin);
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: KeyInfo[]; cursor: string | null }>();
      ids.push(...page.items.map((k) => k.keyId));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(ids).toEqual([wide.key.keyId, one.key.keyId, two.key.keyId]);

    const mine = await call('GET', `/v1/api-keys?organisationId=${o1.id}`, operator);
    expect(mine.json<{ items: KeyInfo[] }>().items.map((k) => k.keyId)).toEqual([one.key.keyId]);
    expect((await call('GET', '/v1/api-keys', operator)).statusCode).toBe(403);
    expect((await call('GET', `/v1/api-keys?organisationId=${o2.id}`, operator)).statusCode).toBe(
      403,
    );
    const byAdmin = await call('GET', `/v1/api-keys?organisationId=${o2.id}`, admin);
    expect(byAdmin.json<{ items: KeyInfo[] }>().items.map((k) => k.keyId)).toEqual([two.key.keyId]);

    const other = await seed();
    const foreign = await call('GET', '/v1/api-keys', other.admin);
    expect(foreign.json()).toEqual({ items: [], cursor: null });
    const first = await call('GET', '/v1/api-keys?limit=1', admin);
    const stolen = first.json<{ cursor: string }>().cursor;
    expect((await call('GET', `/v1/api-keys?cursor=${stolen}`, other.admin)).statusCode).toBe(400);
    expect(partnerId).not.toBe(other.partnerId);
  });

  it('shows a key to whom it belongs, and to another partner as if missing', async () => {
    const { o1, admin, operator } = await seed();
    const wide = await create(admin, { name: 'wide', grants: [{ role: 'partner-admin' }] });
    const org = await create(operator, {
      name: 'org',
      organisationId: o1.id,
      grants: [{ role: 'operator', organisationId: o1.id }],
    });
    expect((await call('GET', `/v1/api-keys/${org.key.keyId}`, operator)).statusCode).toBe(200);
    expect((await call('GET', `/v1/api-keys/${org.key.keyId}`, admin)).statusCode).toBe(200);
    expect((await call('GET', `/v1/api-keys/${wide.key.keyId}`, operator)).statusCode).toBe(403);
    const other = await seed();
    const foreign = await call('GET', `/v1/api-keys/${org.key.keyId}`, other.admin);
    const missing = await call('GET', '/v1/api-keys/aaaaaaaaaaaa', other.admin);
    expect([foreign.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    // A whole key pasted where the id belongs is refused by its shape, and not echoed.
    // (A made-up secret: request URLs are logged, and the log is scanned for the real ones.)
    const whole = `zwk_${org.key.keyId}_${'A'.repeat(43)}`;
    const pasted = await call('GET', `/v1/api-keys/${whole}`, admin);
    expect(pasted.statusCode).toBe(400);
    expect(pasted.body).not.toContain('A'.repeat(43));
  });

  it('revokes a key at once, once, and logs it once', async () => {
    const { partnerId, o1, admin, operator } = await seed();
    const org = await create(operator, {
      name: 'to revoke',
      organisationId: o1.id,
      grants: [{ role: 'operator', organisationId: o1.id }],
    });
    const url = `/v1/api-keys/${org.key.keyId}/revoke`;
    const other = await seed();
    expect((await call('POST', url, other.admin)).statusCode).toBe(404);
    const tenant = await kit.bearer(partnerId, [{ role: 'tenant', partnerId, unitId: 'unit_1' }]);
    expect((await call('POST', url, tenant)).statusCode).toBe(403);

    const res = await call('POST', url, operator);
    expect(res.statusCode).toBe(200);
    const revokedAt = res.json<KeyInfo>().revokedAt;
    expect(revokedAt).toEqual(expect.any(String));
    const withKey = await call('GET', `/v1/api-keys/${org.key.keyId}`, { 'x-api-key': org.apiKey });
    expect(withKey.statusCode).toBe(401);
    const again = await call('POST', url, admin);
    expect(again.json<KeyInfo>().revokedAt).toBe(revokedAt);

    const log = await kit.stores.audit.listByOrganisation(partnerId, o1.id);
    const revocations = log.items.filter((e) => e.action === 'api-key.revoked');
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({
      actor: { kind: 'user', id: 'usr_operator' },
      target: { type: 'api-key', id: org.key.keyId },
      changed: ['revokedAt'],
      before: { revokedAt: null },
      after: { revokedAt },
    });
    const listed = await call('GET', `/v1/api-keys?organisationId=${o1.id}`, admin);
    expect(listed.json<{ items: KeyInfo[] }>().items[0]).toMatchObject({ revokedAt });
  });

  it('lets a key revoke another key, logged with the key as actor', async () => {
    const { partnerId, admin } = await seed();
    const revoker = await create(admin, { name: 'revoker', grants: [{ role: 'partner-admin' }] });
    const target = await create(admin, { name: 'target', grants: [{ role: 'partner-admin' }] });
    const res = await call('POST', `/v1/api-keys/${target.key.keyId}/revoke`, {
      'x-api-key': revoker.apiKey,
    });
    expect(res.statusCode).toBe(200);
    const log = await kit.stores.audit.listByPartner(partnerId);
    expect(log.items[0]).toMatchObject({
      action: 'api-key.revoked',
      actor: { kind: 'api-key', id: revoker.key.keyId },
    });
  });

  it('declares an access rule for every route it adds', () => {
    const rules = kit.app.accessTable().filter((r) => r.url.startsWith('/v1/api-keys'));
    expect(rules.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.access)}`).sort()).toEqual([
      'GET /v1/api-keys {"roles":["partner-admin","operator"]}',
      'GET /v1/api-keys/:keyId {"roles":["partner-admin","operator"]}',
      'POST /v1/api-keys {"roles":["partner-admin","operator"],"apiKeys":false,"support":"none"}',
      'POST /v1/api-keys/:keyId/revoke {"roles":["partner-admin","operator"]}',
    ]);
  });

  it('showed each secret in its creation’s answer only, and no digest ever', () => {
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      const part = secret.slice(17);
      expect(bodies.filter((body) => body.includes(part))).toHaveLength(1);
    }
    for (const body of bodies) expect(body).not.toMatch(/secretHash|passwordHash/);
    // Nor did the log, at trace level, hold any secret.
    expect(kit.logLines.length).toBeGreaterThan(0);
    const log = kit.logLines.join('\n');
    for (const secret of secrets) expect(log).not.toContain(secret.slice(17));
  });
});
