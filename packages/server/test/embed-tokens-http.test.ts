import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEmbedToken } from '../src/auth/embed-tokens.js';
import type { KeyRing } from '../src/auth/signing-keys.js';
import embedTokenRoutes from '../src/http/routes/embed-tokens.js';
import { embedTokenSchemas } from '../src/http/schemas/embed-tokens.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import {
  expectHidden,
  headersOf,
  seeder,
  seedTree,
  type RoleName,
  type Tree,
} from './tenancy-http-fixtures.js';

const PAGE = 'https://www.stadtwerke.example';

describe('embed tokens over HTTP', { timeout: 30_000 }, () => {
  const { table } = useDynaliteTable('zw-embed-tokens-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let ring: KeyRing;
  let issuer: string;

  beforeAll(async () => {
    kit = await startTenancyApp({
      table: table(),
      schemas: embedTokenSchemas,
      register: async (app, stores, services) => {
        ({ ring, issuer } = services);
        await app.register(embedTokenRoutes, {
          ring: services.ring,
          issuer: services.issuer,
          partners: stores.partners,
          properties: stores.properties,
          units: stores.units,
        });
      },
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
    const partner = (await kit.stores.partners.get(tree.partnerId))!;
    await kit.stores.partners.update(
      tree.partnerId,
      { allowedOrigins: [PAGE] },
      partner.version,
      seeder,
    );
  });
  afterAll(() => kit?.close());

  const issue = async (role: RoleName, body: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/v1/embed-tokens',
      headers: await headersOf(kit, tree, role),
      payload: { allowedOrigins: [PAGE], ...body },
    });

  it("gives the unit's tenant and its operator a token that works only from the page's origin", async () => {
    for (const role of ['tenant', 'operator', 'partner-admin'] as const) {
      const res = await issue(role, { unitId: tree.u1.id });
      expect(res.statusCode, role).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const { token } = res.json<{ token: string }>();
      const principal = await verifyEmbedToken(ring, token, { issuer, origin: PAGE });
      expect(principal).toMatchObject({ kind: 'embed', partnerId: tree.partnerId });
      expect(principal.embed?.scope).toEqual({ unitId: tree.u1.id });
      await expect(
        verifyEmbedToken(ring, token, { issuer, origin: 'https://evil.example' }),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      const claims = decodeJwt(token);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(300);
    }
  });

  it('lets a landlord embed its whole property, never one unit', async () => {
    expect((await issue('landlord', { propertyId: tree.p1.id })).statusCode).toBe(201);
    expect((await issue('landlord', { unitId: tree.u1.id })).statusCode).toBe(403);
  });

  it('refuses units and properties the caller does not reach, and other partners', async () => {
    expect((await issue('other-tenant', { unitId: tree.u1.id })).statusCode).toBe(403);
    expect((await issue('other-operator', { propertyId: tree.p1.id })).statusCode).toBe(403);
    expectHidden(await issue('stranger', { unitId: tree.u1.id }));
  });

  it("refuses origins outside the partner's list, and a scope that is not exactly one", async () => {
    const outside = await issue('operator', {
      unitId: tree.u1.id,
      allowedOrigins: ['https://elsewhere.example'],
    });
    expect(outside.statusCode).toBe(403);
    expect((await issue('operator', {})).statusCode).toBe(400);
    expect(
      (await issue('operator', { unitId: tree.u1.id, propertyId: tree.p1.id })).statusCode,
    ).toBe(400);
    expect((await issue('operator', { unitId: tree.u1.id, ttlSeconds: 3600 })).statusCode).toBe(
      400,
    );
  });
});
