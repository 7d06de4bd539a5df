import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createMemoryAuth } from '../src/auth/app-auth.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { issueEmbedToken } from '../src/auth/embed-tokens.js';
import { createMemoryApiKeyStore } from '../src/auth/memory-api-key-store.js';
import { hashPassword } from '../src/auth/password-hash.js';
import type { LoginUser } from '../src/auth/sessions.js';
import { createMemorySigningKeyStore, openKeyRing } from '../src/auth/signing-keys.js';

const ISSUER = 'https://zw.example';
const PASSWORD = 'a password nobody guesses';

describe('authentication over HTTP', () => {
  let app: FastifyInstance;
  let apiKey: string;
  let embedToken: string;
  const users: LoginUser[] = [];

  beforeAll(async () => {
    const ring = await openKeyRing(createMemorySigningKeyStore());
    const apiKeys = createMemoryApiKeyStore();
    users.push({
      id: 'olga',
      partnerId: 'acme',
      passwordHash: await hashPassword(PASSWORD),
      grants: [{ role: 'operator', partnerId: 'acme', organisationId: 'o1' }],
      status: 'active',
      locale: 'de',
    });
    const auth = await createMemoryAuth({
      ring,
      issuer: ISSUER,
      apiKeys,
      users: {
        findByEmail: async (partnerId, email) =>
          users.find((u) => u.partnerId === partnerId && `${u.id}@acme.example` === email) ?? null,
        getById: async (partnerId, id) =>
          users.find((u) => u.partnerId === partnerId && u.id === id) ?? null,
        replacePasswordHash: async () => undefined,
      },
      partnerForHost: async (host) => (host === 'portal.acme.example' ? 'acme' : null),
    });
    apiKey = (
      await createApiKey(
        apiKeys,
        {
          partnerId: 'acme',
          name: 'ERP',
          scopes: ['meters:read'],
          grants: [{ role: 'operator', partnerId: 'acme', organisationId: 'o1' }],
          createdBy: 'olga',
        },
        { now: new Date() },
      )
    ).apiKey;
    embedToken = (
      await issueEmbedToken(
        ring,
        {
          partnerId: 'acme',
          scope: { unitId: 'u1' },
          allowedOrigins: ['https://stadtwerke.example'],
        },
        { now: new Date(), issuer: ISSUER, partnerAllowedOrigins: ['https://stadtwerke.example'] },
      )
    ).token;
    app = await buildApp({
      storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
      auth,
      rateLimitPerMinute: 1000,
    });
  });
  afterAll(() => app.close());

  const login = (body: Record<string, unknown>, host = 'api.zw.example') =>
    app.inject({ method: 'POST', url: '/v1/auth/login', headers: { host }, payload: body });

  it('signs in on the partner’s own domain, and the access token opens /v1/me', async () => {
    const res = await login(
      { email: 'olga@acme.example', password: PASSWORD },
      'portal.acme.example',
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const tokens = res.json<{ accessToken: string; expiresIn: number; tokenType: string }>();
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresIn).toBeGreaterThan(0);
    const me = await app.inject({
      url: '/v1/me',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(me.json()).toEqual({
      kind: 'user',
      subject: 'olga',
      partnerId: 'acme',
      grants: [{ role: 'operator', partnerId: 'acme', organisationId: 'o1' }],
      locale: 'de',
    });
  });

  it('needs the partner named where the host belongs to none, and says so', async () => {
    const res = await login({ email: 'olga@acme.example', password: PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(
      (await login({ email: 'olga@acme.example', password: PASSWORD, partner: 'acme' })).statusCode,
    ).toBe(200);
  });

  it('answers every failed sign-in with one 401, in the caller’s language', async () => {
    for (const body of [
      { email: 'olga@acme.example', password: 'wrong', partner: 'acme' },
      { email: 'nobody@acme.example', password: PASSWORD, partner: 'acme' },
      { email: 'olga@acme.example', password: PASSWORD, partner: 'other' },
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        headers: { 'accept-language': 'de' },
        payload: body,
      });
      expect(res.statusCode).toBe(401);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe('INVALID_CREDENTIALS');
      expect(error.message).toBe('E-Mail-Adresse oder Passwort ist falsch.');
      expect(JSON.stringify(res.json())).not.toContain(PASSWORD);
    }
  });

  it('refreshes once per refresh token, and signs out', async () => {
    const first = (
      await login({ email: 'olga@acme.example', password: PASSWORD, partner: 'acme' })
    ).json<{ refreshToken: string }>();
    const refresh = (token: string) =>
      app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: token } });
    const second = await refresh(first.refreshToken);
    expect(second.statusCode).toBe(200);
    expect((await refresh(first.refreshToken)).statusCode).toBe(401);

    const third = (
      await login({ email: 'olga@acme.example', password: PASSWORD, partner: 'acme' })
    ).json<{ refreshToken: string }>();
    const out = await app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: third.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect((await refresh(third.refreshToken)).statusCode).toBe(401);
  });

  it('takes an API key in x-api-key', async () => {
    const me = await app.inject({ url: '/v1/me', headers: { 'x-api-key': apiKey } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      kind: 'api-key',
      partnerId: 'acme',
      scopes: ['meters:read'],
    });
    const wrong = await app.inject({
      url: '/v1/me',
      headers: { 'x-api-key': `${apiKey.slice(0, -2)}xx` },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('refuses missing, malformed and doubled credentials with 401', async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Basic b2xnYTpwdw==' },
      { authorization: 'Bearer not.a.jwt' },
      { authorization: 'Bearer x', 'x-api-key': apiKey },
    ];
    for (const headers of cases) {
      const res = await app.inject({ url: '/v1/me', headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('keeps embed tokens out of routes that do not admit widgets', async () => {
    const res = await app.inject({
      url: '/v1/me',
      headers: { authorization: `Bearer ${embedToken}`, origin: 'https://stadtwerke.example' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('publishes the verification keys, without private parts', async () => {
    const res = await app.inject({ url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json<{ keys: Record<string, string>[] }>();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('sends security headers', async () => {
    const res = await app.inject({ url: '/health' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
  });

  it('lists a rule for every /v1 route, and refuses to register one without', async () => {
    const table = app.accessTable();
    expect(table).toEqual(
      expect.arrayContaining([
        {
          method: 'GET',
          url: '/v1/me',
          access: expect.objectContaining({ roles: expect.any(Array) }),
        },
        { method: 'POST', url: '/v1/auth/login', access: { public: 'signing in' } },
      ]),
    );
    const bare = await buildApp({
      storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
    });
    expect(() => bare.get('/v1/unguarded', async () => 'open')).toThrow(
      /declares no config.access/,
    );
    await bare.close();
  });
});
