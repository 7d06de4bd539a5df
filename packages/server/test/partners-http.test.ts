import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import partnerRoutes from '../src/http/routes/partners.js';
import { partnerSchemas } from '../src/http/schemas/partners.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newPartner, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';

type Json = Record<string, unknown>;

/**
 * Partners and their public branding over HTTP on the real stores: platform
 * admins create and list partners, partner admins read and rebrand their own,
 * and the branding is served to anyone by host or id, without internals.
 */
describe('partners and branding over HTTP', () => {
  const { table } = useDynaliteTable('zw-partners-http');
  let kit: TenancyApp;
  const bodies: string[] = [];

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: partnerSchemas,
      register: async (app, stores) => {
        app.addHook('onSend', async (_request, _reply, payload) => {
          if (typeof payload === 'string') bodies.push(payload);
          return payload;
        });
        await app.register(partnerRoutes, { partners: stores.partners });
      },
    });
  });
  afterAll(() => kit?.close());

  const platformAdmin = () =>
    kit.bearer('*', [{ role: 'platform-admin', partnerId: '*' }], 'usr_platform');
  const partnerAdmin = (partnerId: string) =>
    kit.bearer(partnerId, [{ role: 'partner-admin', partnerId }], 'usr_padmin');
  const operator = (partnerId: string) =>
    kit.bearer(partnerId, [{ role: 'operator', partnerId, organisationId: 'org_x' }]);

  async function call(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    headers: Record<string, string> = {},
    payload?: Json,
  ) {
    return kit.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  }

  async function create(id = freshPartnerId(), overrides: Json = {}) {
    const res = await call('POST', '/v1/partners', await platformAdmin(), {
      ...newPartner(id),
      ...overrides,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Json & { id: string; version: number; branding: Json }>();
  }

  it('lets a platform admin create a partner, normalised, and logs who did', async () => {
    const id = freshPartnerId();
    const partner = await create(id);
    expect(partner).toMatchObject({
      id,
      status: 'active',
      version: 1,
      branding: {
        colours: { primary: '#0055aa' },
        support: { email: 'service@example.org' },
        enabledLocales: ['de', 'en'],
      },
      allowedOrigins: ['https://www.example.org'],
    });
    const log = await kit.stores.audit.listByPartner(id);
    expect(log.items[0]).toMatchObject({
      action: 'partner.created',
      actor: { kind: 'user', id: 'usr_platform' },
      target: { type: 'partner', id },
    });
  });

  it('refuses creation to everyone but platform admins, and bad or taken input', async () => {
    const id = freshPartnerId();
    const existing = await create();
    const attempts: [Record<string, string>, number][] = [
      [{}, 401],
      [await partnerAdmin(existing.id), 403],
      [await operator(existing.id), 403],
      [await kit.apiKey(existing.id, [{ role: 'partner-admin', partnerId: existing.id }]), 403],
    ];
    for (const [headers, status] of attempts) {
      const res = await call('POST', '/v1/partners', headers, { ...newPartner(id) });
      expect(res.statusCode, JSON.stringify(headers)).toBe(status);
    }
    const admin = await platformAdmin();
    expect(
      (await call('POST', '/v1/partners', admin, { ...newPartner(existing.id) })).statusCode,
    ).toBe(409);
    const noColours = newPartner(id) as unknown as { branding: Json };
    delete noColours.branding.colours;
    expect((await call('POST', '/v1/partners', admin, noColours as Json)).statusCode).toBe(400);
    expect(
      (await call('POST', '/v1/partners', admin, { ...newPartner('Not_A_Slug') })).statusCode,
    ).toBe(400);
    expect(
      (await call('POST', '/v1/partners', admin, { ...newPartner(id), extra: true })).statusCode,
    ).toBe(400);
    const font = newPartner(id);
    font.branding.fonts.body = 'x; background: url(evil)';
    expect((await call('POST', '/v1/partners', admin, { ...font })).statusCode).toBe(400);
    // Nothing was made by the refused attempts.
    expect((await call('GET', `/v1/partners/${id}`, admin)).statusCode).toBe(404);
  });

  it('refuses a custom domain another partner serves', async () => {
    const host = `portal-${freshPartnerId()}.example.org`;
    const first = newPartner(freshPartnerId());
    first.branding.customDomains = [host];
    await create(first.id, { ...first });
    const second = newPartner(freshPartnerId());
    second.branding.customDomains = [host.toUpperCase()];
    const res = await call('POST', '/v1/partners', await platformAdmin(), { ...second });
    expect(res.statusCode).toBe(409);
  });

  it('lists partners page by page to platform admins only', async () => {
    const made = [await create(), await create(), await create()];
    const admin = await platformAdmin();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const res = await call('GET', `/v1/partners${query}`, admin);
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: { id: string }[]; cursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(seen).toEqual(expect.arrayContaining(made.map((p) => p.id)));
    expect((await call('GET', '/v1/partners', await partnerAdmin(made[0]!.id))).statusCode).toBe(
      403,
    );
    expect((await call('GET', '/v1/partners?cursor=bogus', admin)).statusCode).toBe(400);
    expect((await call('GET', '/v1/partners?limit=500', admin)).statusCode).toBe(400);
  });

  it('shows a partner to its partner admin, hides it from others as if missing', async () => {
    const mine = await create();
    const other = await create();
    const own = await call('GET', `/v1/partners/${mine.id}`, await partnerAdmin(mine.id));
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: mine.id, version: 1 });
    const foreign = await call('GET', `/v1/partners/${other.id}`, await partnerAdmin(mine.id));
    const missing = await call('GET', '/v1/partners/no-such-partner', await partnerAdmin(mine.id));
    expect([foreign.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    expect((await call('GET', `/v1/partners/${mine.id}`, await operator(mine.id))).statusCode).toBe(
      403,
    );
    const viaKey = await kit.apiKey(mine.id, [{ role: 'partner-admin', partnerId: mine.id }]);
    expect((await call('GET', `/v1/partners/${mine.id}`, viaKey)).statusCode).toBe(200);
    expect((await call('GET', `/v1/partners/${other.id}`, viaKey)).statusCode).toBe(404);
    expect((await call('GET', `/v1/partners/${other.id}`, await platformAdmin())).statusCode).toBe(
      200,
    );
  });

  it('lets a partner admin rebrand its partner, with the version it read', async () => {
    const host = `portal-${freshPartnerId()}.example.org`;
    const input = newPartner(freshPartnerId());
    input.branding.customDomains = [host];
    const partner = await create(input.id, { ...input });
    const headers = await partnerAdmin(partner.id);
    const { customDomains: _d, ...branding } = input.branding;
    const rebrand = {
      ...branding,
      colours: { ...branding.colours, primary: '#AA0000', secondary: '#00aa00' },
      defaultLocale: 'en',
      enabledLocales: ['en', 'de', 'tr'],
      logoUrl: 'https://cdn.example.org/logo.svg',
    };
    const res = await call('PATCH', `/v1/partners/${partner.id}`, headers, {
      version: 1,
      name: 'Stadtwerke Neu',
      branding: rebrand,
      allowedOrigins: ['https://portal.example.org'],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Stadtwerke Neu',
      version: 2,
      allowedOrigins: ['https://portal.example.org'],
      branding: {
        colours: { primary: '#aa0000', secondary: '#00aa00' },
        // Left out, so kept.
        customDomains: [host],
        enabledLocales: ['en', 'de', 'tr'],
      },
    });
    const stale = await call('PATCH', `/v1/partners/${partner.id}`, headers, {
      version: 1,
      name: 'Too late',
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json<{ error: { code: string } }>().error.code).toBe('CONFLICT');
    const badLocales = await call('PATCH', `/v1/partners/${partner.id}`, headers, {
      version: 2,
      branding: { ...rebrand, defaultLocale: 'fr', enabledLocales: ['de'] },
    });
    expect(badLocales.statusCode).toBe(400);

    const log = await kit.stores.audit.listByPartner(partner.id);
    expect(log.items[0]).toMatchObject({
      action: 'partner.updated',
      actor: { kind: 'user', id: 'usr_padmin' },
      changed: expect.arrayContaining(['name', 'branding', 'allowedOrigins']),
    });
  });

  it('keeps status and custom domains for platform admins', async () => {
    const partner = await create();
    const headers = await partnerAdmin(partner.id);
    const { branding } = newPartner(partner.id);
    const attempts: Json[] = [
      { version: 1, status: 'suspended' },
      { version: 1, branding: { ...branding, customDomains: ['mine.example.org'] } },
    ];
    for (const body of attempts) {
      const res = await call('PATCH', `/v1/partners/${partner.id}`, headers, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(403);
    }
    // The same values as stored are no change, and pass.
    const same = await call('PATCH', `/v1/partners/${partner.id}`, headers, {
      version: 1,
      status: 'active',
      branding: { ...branding, customDomains: [] },
    });
    expect(same.statusCode).toBe(200);
    const other = await create();
    const foreign = await call('PATCH', `/v1/partners/${other.id}`, headers, {
      version: 1,
      name: 'Hijacked',
    });
    expect(foreign.statusCode).toBe(404);
    const operatorTry = await call(
      'PATCH',
      `/v1/partners/${partner.id}`,
      await operator(partner.id),
      { version: 2, name: 'x' },
    );
    expect(operatorTry.statusCode).toBe(403);
    const admin = await platformAdmin();
    const domains = await call('PATCH', `/v1/partners/${partner.id}`, admin, {
      version: 2,
      branding: { ...branding, customDomains: [`p-${partner.id}.example.org`] },
    });
    expect(domains.statusCode).toBe(200);
    expect(domains.json()).toMatchObject({
      branding: { customDomains: [`p-${partner.id}.example.org`] },
    });
  });

  describe('GET /v1/branding', () => {
    it('serves the theme of the partner whose custom domain the request came through', async () => {
      const host = `portal-${freshPartnerId()}.example.org`;
      const input = newPartner(freshPartnerId());
      input.branding.customDomains = [host];
      input.branding.logoUrl = 'https://cdn.example.org/logo.png';
      const partner = await create(input.id, { ...input });
      const res = await kit.app.inject({ url: '/v1/branding', headers: { host: `${host}:8443` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.json()).toEqual({
        partnerId: partner.id,
        name: input.name,
        logoUrl: 'https://cdn.example.org/logo.png',
        colours: { primary: '#0055aa', onPrimary: '#ffffff', background: '#fff', text: '#111111' },
        fonts: input.branding.fonts,
        defaultLocale: 'de',
        enabledLocales: ['de', 'en'],
        legal: input.branding.legal,
        support: { email: 'service@example.org' },
      });
      // The host wins over a partner named in the query.
      const other = await create();
      const both = await kit.app.inject({
        url: `/v1/branding?partner=${other.id}`,
        headers: { host },
      });
      expect(both.json()).toMatchObject({ partnerId: partner.id });
    });

    it('serves it by ?partner= on other hosts, without credentials', async () => {
      const partner = await create();
      const res = await kit.app.inject({ url: `/v1/branding?partner=${partner.id}` });
      expect(res.statusCode).toBe(200);
      const body = res.json<Json>();
      expect(body.partnerId).toBe(partner.id);
      for (const internal of [
        'customDomains',
        'allowedOrigins',
        'status',
        'version',
        'createdAt',
      ]) {
        expect(res.body).not.toContain(internal);
      }
    });

    it('answers 404 when no active partner is named, and 400 for a malformed id', async () => {
      expect((await kit.app.inject({ url: '/v1/branding' })).statusCode).toBe(404);
      expect((await kit.app.inject({ url: '/v1/branding?partner=nobody-here' })).statusCode).toBe(
        404,
      );
      expect((await kit.app.inject({ url: '/v1/branding?partner=A%23B' })).statusCode).toBe(400);
      const partner = await create();
      const suspended = await call('PATCH', `/v1/partners/${partner.id}`, await platformAdmin(), {
        version: 1,
        status: 'suspended',
      });
      expect(suspended.statusCode).toBe(200);
      const res = await kit.app.inject({ url: `/v1/branding?partner=${partner.id}` });
      expect(res.statusCode).toBe(404);
    });
  });

  it('declares an access rule for every route it adds', () => {
    const rules = kit.app
      .accessTable()
      .filter((r) => r.url.startsWith('/v1/partners') || r.url === '/v1/branding');
    expect(rules.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.access)}`).sort()).toEqual([
      'GET /v1/branding {"public":"a partner\'s theme is what its public portal shows anyway"}',
      'GET /v1/partners {"roles":["platform-admin"]}',
      'GET /v1/partners/:partnerId {"roles":["platform-admin","partner-admin"]}',
      'PATCH /v1/partners/:partnerId {"roles":["platform-admin","partner-admin"]}',
      'POST /v1/partners {"roles":["platform-admin"]}',
    ]);
  });

  it('sent no secret and no internal marker in any response', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) {
      expect(body).not.toMatch(/passwordHash|secretHash|zwk_|scrypt\$/);
    }
  });
});
