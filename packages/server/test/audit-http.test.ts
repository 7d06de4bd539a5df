import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, AuditEntry } from '../src/domain/audit.js';
import apiKeyRoutes from '../src/http/routes/api-keys.js';
import auditRoutes from '../src/http/routes/audit.js';
import organisationRoutes from '../src/http/routes/organisations.js';
import userRoutes from '../src/http/routes/users.js';
import { apiKeySchemas } from '../src/http/schemas/api-keys.js';
import { auditSchemas } from '../src/http/schemas/audit.js';
import { grantSchemas } from '../src/http/schemas/grants.js';
import { organisationSchemas } from '../src/http/schemas/organisations.js';
import { userSchemas } from '../src/http/schemas/users.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';

type Json = Record<string, unknown>;
type Page = { items: AuditEntry[]; cursor: string | null };

const SEED: Actor = { kind: 'system', id: 'test-seed' };
const PASSWORD = 'a password for the audit test';

/**
 * The audit log over HTTP, filled by changes made through the other routes:
 * partner admins read the partner's log, operators their organisation's
 * part, newest first, with who did it and never a secret.
 */
describe('the audit log over HTTP', () => {
  const { table } = useDynaliteTable('zw-audit-http');
  let kit: TenancyApp;
  const bodies: string[] = [];
  let partnerId: string;
  let o1: string;
  let o2: string;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  let secret: string;

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: [
        ...grantSchemas,
        ...organisationSchemas,
        ...userSchemas,
        ...apiKeySchemas,
        ...auditSchemas,
      ],
      register: async (app, stores, services) => {
        app.addHook('onSend', async (_request, _reply, payload) => {
          if (typeof payload === 'string') bodies.push(payload);
          return payload;
        });
        await app.register(organisationRoutes, stores);
        await app.register(userRoutes, { ...stores, sessions: services.sessions });
        await app.register(apiKeyRoutes, { ...stores, apiKeys: services.apiKeys });
        await app.register(auditRoutes, stores);
      },
    });

    // One partner's history, made through the API by an admin and an operator.
    partnerId = freshPartnerId();
    await kit.stores.partners.create(newPartner(partnerId), SEED);
    admin = await kit.bearer(partnerId, [{ role: 'partner-admin', partnerId }], 'usr_admin');
    const post = async (url: string, headers: Record<string, string>, payload: Json) => {
      const res = await kit.app.inject({ method: 'POST', url, headers, payload });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<Json & { id: string }>();
    };
    o1 = (await post('/v1/organisations', admin, { name: 'Eins', kind: 'metering-operator' })).id;
    o2 = (await post('/v1/organisations', admin, { name: 'Zwei', kind: 'metering-operator' })).id;
    operator = await kit.bearer(
      partnerId,
      [{ role: 'operator', partnerId, organisationId: o1 }],
      'usr_operator',
    );
    await post('/v1/users', admin, {
      email: `olga@${partnerId}.example`,
      name: 'Olga',
      password: PASSWORD,
      grants: [{ role: 'operator', organisationId: o1 }],
    });
    const patched = await kit.app.inject({
      method: 'PATCH',
      url: `/v1/organisations/${o1}`,
      headers: operator,
      payload: { version: 1, contact: { phone: '+49 30 1111' } },
    });
    expect(patched.statusCode).toBe(200);
    const key = await post('/v1/api-keys', operator, {
      name: 'tool',
      organisationId: o1,
      grants: [{ role: 'operator', organisationId: o1 }],
    });
    secret = String(key.apiKey);
  });
  afterAll(() => kit?.close());

  const list = (query: string, headers: Record<string, string>) =>
    kit.app.inject({ url: `/v1/audit${query}`, headers });

  it("shows a partner admin the partner's changes, newest first, with who made them", async () => {
    const res = await list('', admin);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    const { items } = res.json<Page>();
    expect(items.map((e) => e.action)).toEqual([
      'api-key.created',
      'organisation.updated',
      'user.created',
      'organisation.created',
      'organisation.created',
      'partner.created',
    ]);
    expect(items.map((e) => e.actor)).toEqual([
      { kind: 'user', id: 'usr_operator' },
      { kind: 'user', id: 'usr_operator' },
      { kind: 'user', id: 'usr_admin' },
      { kind: 'user', id: 'usr_admin' },
      { kind: 'user', id: 'usr_admin' },
      SEED,
    ]);
    const at = items.map((e) => e.at);
    expect([...at].sort().reverse()).toEqual(at);
    expect(items[1]).toMatchObject({
      organisationId: o1,
      target: { type: 'organisation', id: o1 },
      changed: ['contact'],
      before: { contact: {} },
      after: { contact: { phone: '+49 30 1111' } },
    });
    expect(items[2]).toMatchObject({ after: { hasPassword: true } });
  });

  it('pages through the log with a cursor of this list only', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let first: string | null = null;
    do {
      const query: string = `?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res = await list(query, admin);
      expect(res.statusCode).toBe(200);
      const page = res.json<Page>();
      ids.push(...page.items.map((e) => e.id));
      cursor = page.cursor;
      first ??= cursor;
    } while (cursor !== null);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    // The partner's cursor does not open an organisation's list, nor another partner's.
    expect((await list(`?organisationId=${o1}&cursor=${first}`, admin)).statusCode).toBe(400);
    const stranger = freshPartnerId();
    await kit.stores.partners.create(newPartner(stranger), SEED);
    const other = await kit.bearer(stranger, [{ role: 'partner-admin', partnerId: stranger }]);
    expect((await list(`?cursor=${first}`, other)).statusCode).toBe(400);
    expect((await list('?cursor=garbage', admin)).statusCode).toBe(400);
  });

  it("shows an operator its organisation's changes only", async () => {
    const res = await list(`?organisationId=${o1}`, operator);
    expect(res.statusCode).toBe(200);
    const { items } = res.json<Page>();
    expect(items.map((e) => e.action)).toEqual([
      'api-key.created',
      'organisation.updated',
      'organisation.created',
    ]);
    expect(items.every((e) => e.organisationId === o1)).toBe(true);
    expect((await list('', operator)).statusCode).toBe(403);
    expect((await list(`?organisationId=${o2}`, operator)).statusCode).toBe(403);
    const viaKey = await list(`?organisationId=${o1}`, { 'x-api-key': secret });
    expect(viaKey.json<Page>().items).toHaveLength(3);
  });

  it('shows another partner nothing of this one', async () => {
    const stranger = freshPartnerId();
    await kit.stores.partners.create(newPartner(stranger), SEED);
    const other = await kit.bearer(stranger, [{ role: 'partner-admin', partnerId: stranger }]);
    const own = (await list('', other)).json<Page>();
    expect(own.items.map((e) => e.action)).toEqual(['partner.created']);
    // Another partner's organisation is one this partner does not have: 404, as for a typo.
    const named = await list(`?organisationId=${o1}`, other);
    expect(named.statusCode).toBe(404);
    expect(JSON.stringify(named.json())).not.toContain('partner.created');
    const foreignOperator = await kit.bearer(stranger, [
      { role: 'operator', partnerId: stranger, organisationId: o1 },
    ]);
    expect((await list(`?organisationId=${o1}`, foreignOperator)).statusCode).toBe(404);
  });

  it('is closed to landlords, tenants and strangers', async () => {
    const landlord = await kit.bearer(partnerId, [
      { role: 'landlord', partnerId, propertyId: 'prop_1' },
    ]);
    const tenant = await kit.bearer(partnerId, [{ role: 'tenant', partnerId, unitId: 'unit_1' }]);
    expect((await list('', landlord)).statusCode).toBe(403);
    expect((await list(`?organisationId=${o1}`, tenant)).statusCode).toBe(403);
    expect((await list('', {})).statusCode).toBe(401);
  });

  it('declares an access rule for its route', () => {
    const rules = kit.app.accessTable().filter((r) => r.url === '/v1/audit');
    expect(rules).toEqual([
      { method: 'GET', url: '/v1/audit', access: { roles: ['partner-admin', 'operator'] } },
    ]);
  });

  it('never shows a password, a hash or a key secret', () => {
    const reads = bodies.filter((b) => b.includes('"action"'));
    expect(reads.length).toBeGreaterThan(5);
    for (const body of reads) {
      expect(body).not.toMatch(/passwordHash|secretHash|scrypt\$|zwk_/);
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(secret.slice(17));
    }
  });
});
