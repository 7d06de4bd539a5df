import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import apiKeyRoutes from '../src/http/routes/api-keys.js';
import auditRoutes from '../src/http/routes/audit.js';
import organisationRoutes from '../src/http/routes/organisations.js';
import partnerRoutes from '../src/http/routes/partners.js';
import userRoutes from '../src/http/routes/users.js';
import { apiKeySchemas } from '../src/http/schemas/api-keys.js';
import { auditSchemas } from '../src/http/schemas/audit.js';
import { grantSchemas } from '../src/http/schemas/grants.js';
import { organisationSchemas } from '../src/http/schemas/organisations.js';
import { partnerSchemas } from '../src/http/schemas/partners.js';
import { userSchemas } from '../src/http/schemas/users.js';

type Operation = { operationId?: string; security?: unknown[]; tags?: string[] };

/** Stores that are never called: the document is built without storage. */
const offline = new Proxy(
  {},
  {
    get: () => async () => {
      throw new Error('not called while describing the API');
    },
  },
) as never;

/**
 * The partner, organisation, user, API key and audit routes registered the way
 * app.ts will register them (schemas first, then the plugins, side by side),
 * and what they contribute to the OpenAPI document.
 */
describe('the platform core routes in the OpenAPI document', () => {
  let app: FastifyInstance;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };

  beforeAll(async () => {
    app = await buildApp({
      storage: { check: async () => ({ status: 'unavailable', table: '-', reason: 'offline' }) },
      // These plugins alone, registered here as app.ts does.
      coreRoutes: false,
    });
    for (const schema of [
      ...partnerSchemas,
      ...organisationSchemas,
      ...grantSchemas,
      ...userSchemas,
      ...apiKeySchemas,
      ...auditSchemas,
    ]) {
      app.addSchema(schema);
    }
    const stores = {
      partners: offline,
      organisations: offline,
      properties: offline,
      units: offline,
      tenancies: offline,
      users: offline,
      audit: offline,
    };
    await app.register(partnerRoutes, stores);
    await app.register(organisationRoutes, stores);
    await app.register(userRoutes, { ...stores, sessions: offline });
    await app.register(apiKeyRoutes, { ...stores, apiKeys: offline });
    await app.register(auditRoutes, stores);
    await app.ready();
    doc = app.swagger() as typeof doc;
  });
  afterAll(() => app?.close());

  it('describes every operation with an id, a tag and, unless public, its security', () => {
    const ours = Object.entries(doc.paths).filter(([path]) =>
      /^\/v1\/(partners|branding|organisations|users|me\/|api-keys|audit)/.test(path),
    );
    const ids = ours.flatMap(([, ops]) => Object.values(ops).map((op) => op.operationId));
    expect(ids.sort()).toEqual([
      'changeMyPassword',
      'createApiKey',
      'createOrganisation',
      'createPartner',
      'createUser',
      'deleteOrganisation',
      'deleteUser',
      'getApiKey',
      'getBranding',
      'getMyProfile',
      'getOrganisation',
      'getPartner',
      'getUser',
      'listApiKeys',
      'listAuditEntries',
      'listOrganisations',
      'listPartners',
      'listUsers',
      'revokeApiKey',
      'updateMyProfile',
      'updateOrganisation',
      'updatePartner',
      'updateUser',
    ]);
    for (const [path, ops] of ours) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.tags?.length, `${method} ${path}`).toBe(1);
        if (path === '/v1/branding') expect(op.security).toBeUndefined();
        else expect(op.security, `${method} ${path}`).toContainEqual({ bearer: [] });
      }
    }
    expect(doc.paths['/v1/api-keys']!.post!.security).toEqual([{ bearer: [] }]);
  });

  it('names each schema after its $id, with nothing left unnamed', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Partner',
        'PartnerBranding',
        'Branding',
        'Organisation',
        'User',
        'GrantInput',
        'ApiKey',
        'CreatedApiKey',
        'AuditEntry',
        'AuditEntryList',
      ]),
    );
    expect(JSON.stringify(doc)).not.toMatch(/def-\d+/);
  });

  it('has no property for a password hash or a key digest in any schema', () => {
    const names = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value !== null && typeof value === 'object') {
        const { properties } = value as { properties?: Record<string, unknown> };
        if (properties) Object.keys(properties).forEach((name) => names.add(name));
        Object.values(value).forEach(walk);
      }
    };
    walk(doc.components.schemas);
    expect(names).toContain('hasPassword');
    expect([...names].filter((n) => /hash|secret/i.test(n))).toEqual([]);
  });
});
