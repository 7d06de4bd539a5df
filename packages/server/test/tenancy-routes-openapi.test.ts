import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import meterKeyRoutes from '../src/http/routes/meter-keys.js';
import meterRoutes from '../src/http/routes/meters.js';
import propertyRoutes from '../src/http/routes/properties.js';
import tenancyRoutes from '../src/http/routes/tenancies.js';
import unitRoutes from '../src/http/routes/units.js';
import { meterKeysSchemas } from '../src/http/schemas/meter-keys.js';
import { metersSchemas } from '../src/http/schemas/meters.js';
import { propertiesSchemas } from '../src/http/schemas/properties.js';
import { tenanciesSchemas } from '../src/http/schemas/tenancies.js';
import { unitsSchemas } from '../src/http/schemas/units.js';

/**
 * The five plugins registered together, as app.ts will: their schemas' $ids
 * do not collide, every route has an access rule, and the OpenAPI document
 * describes them. Nothing is called, so the stores are never used.
 */
describe('the tenancy routes in one app', () => {
  it('register side by side and describe themselves', async () => {
    const app = await buildApp({
      storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
      // These plugins alone, registered here as app.ts does.
      coreRoutes: false,
    });
    for (const schema of [
      ...propertiesSchemas,
      ...unitsSchemas,
      ...tenanciesSchemas,
      ...metersSchemas,
      ...meterKeysSchemas,
    ]) {
      app.addSchema(schema);
    }
    const unused = {} as never;
    await app.register(propertyRoutes, { properties: unused, organisations: unused });
    await app.register(unitRoutes, { properties: unused, units: unused });
    await app.register(tenancyRoutes, {
      properties: unused,
      units: unused,
      tenancies: unused,
      users: unused,
    });
    await app.register(meterRoutes, {
      properties: unused,
      units: unused,
      meters: unused,
      meterKeys: unused,
    });
    await app.register(meterKeyRoutes, {
      properties: unused,
      meters: unused,
      meterKeys: unused,
      vault: unused,
      audit: unused,
    });
    await app.ready();

    const doc = app.swagger() as unknown as {
      paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    const ours = Object.entries(doc.paths).filter(([path]) =>
      /^\/v1\/(properties|units|tenancies|meters)/.test(path),
    );
    const operations = ours.flatMap(([, methods]) => Object.values(methods));
    expect(operations).toHaveLength(23);
    const ids = operations.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) {
      expect(operation.security, operation.operationId).toEqual([{ bearer: [] }, { apiKey: [] }]);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Property', 'Unit', 'Tenancy', 'Meter', 'MeterKeyImportReport']),
    );
    const importBody = doc.paths['/v1/properties/{propertyId}/meter-keys/import']!.post as {
      requestBody?: { content: Record<string, unknown> };
    };
    expect(Object.keys(importBody.requestBody!.content).sort()).toEqual([
      'application/json',
      'text/csv',
      'text/plain',
    ]);
    await app.close();
  });
});
