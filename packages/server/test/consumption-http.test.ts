import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { KeyRing } from '../src/auth/signing-keys.js';
import consumptionRoutes from '../src/http/routes/consumption.js';
import { consumptionSchemas } from '../src/http/schemas/consumption.js';
import { ingestSchemas } from '../src/http/schemas/ingest.js';
import type { IngestStore, StoredMeterDay } from '../src/ingest/ingest-store.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { embedHeaders, eve, meterDays } from './ingest-http-fixtures.js';
import { newProperty } from './ports/tenancy-fixtures.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import {
  codeOf,
  expectHidden,
  headersOf,
  seedTree,
  seeder,
  type RoleName,
  type Tree,
} from './tenancy-http-fixtures.js';

/** "Today" for the routes: in the tenant's tenancy (February 2025). */
const NOW = new Date('2025-02-15T12:00:00Z');

interface Point {
  period: string;
  consumption: number | null;
  estimated?: boolean;
  withheld?: boolean;
}
interface Register {
  kind: string;
  unit: string;
  rated: boolean;
  total: number | null;
  series: Point[];
  withheld?: boolean;
  meters?: Array<{ meterId: string; total: number | null; series: Point[] }>;
  units?: Array<{ unitId: string; total: number | null }>;
}
interface UnitBody {
  from: string;
  to: string;
  clipped: boolean;
  registers: Register[];
}
interface PropertyBody {
  units: number;
  minimumUnits: number;
  registers: Register[];
  building: Register[];
}

const register = (body: { registers: Register[] }, kind: string, rated = false) =>
  body.registers.find((r) => r.kind === kind && r.rated === rated);

/** Consumption over HTTP on the real stores (dynalite), with real tokens for every role. */
describe('consumption over HTTP', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-consumption-http');
  let kit: TenancyApp;
  /** The same routes with a platform minimum of 4 units. */
  let strict: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let store: IngestStore;
  let tokens: { ring: KeyRing; issuer: string };
  /** A property of o1 with three units that report, one of them also warm water. */
  let full: { propertyId: string; unitIds: string[] };
  /** The same, with the property's own minimum raised to 5. */
  let raised: { propertyId: string };

  async function seedDays(days: StoredMeterDay[]) {
    await store.write({ readings: [], receptions: [], days, rejected: [] });
  }

  beforeAll(async () => {
    store = createDynamoIngestStore(table());
    const routesWith =
      (minAggregationUnits: number) =>
      (
        app: FastifyInstance,
        stores: TenancyApp['stores'],
        services: { ring: KeyRing; issuer: string },
      ) => {
        // Embed tokens are signed for the first app.
        tokens ??= services;
        return app.register(consumptionRoutes, {
          properties: stores.properties,
          units: stores.units,
          tenancies: stores.tenancies,
          ingest: store,
          minAggregationUnits,
          now: () => NOW,
        });
      };
    const schemas = [...ingestSchemas, ...consumptionSchemas];
    kit = await startTenancyApp({ table: table(), schemas, register: routesWith(3) });
    strict = await startTenancyApp({ table: table(), schemas, register: routesWith(4) });
    app = kit.app;
    tree = await seedTree(kit.stores);
    const { partnerId } = tree;
    // The tenant's tenancy of u1 is February; a later tenant's starts in March.
    await kit.stores.tenancies.create(
      partnerId,
      { unitId: tree.u1.id, from: '2025-02-01', to: '2025-02-28', tenantUserIds: ['tenant-1'] },
      seeder,
    );
    await kit.stores.tenancies.create(
      partnerId,
      { unitId: tree.u1.id, from: '2025-03-01', tenantUserIds: ['tenant-3'] },
      seeder,
    );
    const at = { partnerId, propertyId: tree.p1.id };
    await seedDays([
      // u1: 1 m³ a day, January to March.
      ...meterDays({
        ...at,
        unitId: tree.u1.id,
        meterId: 'w-u1',
        from: '2025-01-01',
        to: '2025-03-31',
        perDay: 1,
      }),
      // u1: an allocator with rating factors (rated = 2 × units), 3 units a day.
      ...meterDays({
        ...at,
        unitId: tree.u1.id,
        meterId: 'h-u1',
        kind: 'heat-cost-allocator',
        unit: 'units',
        from: '2025-01-01',
        to: '2025-03-31',
        perDay: 3,
        ratedFactor: 2,
      }),
      // u1: warm water, silent from 21 January to 4 February (across the change of tenant).
      ...meterDays({
        ...at,
        unitId: tree.u1.id,
        meterId: 'ww-u1',
        kind: 'warm-water-meter',
        from: '2025-01-01',
        to: '2025-01-20',
        perDay: 1,
      }),
      ...meterDays({
        ...at,
        unitId: tree.u1.id,
        meterId: 'ww-u1',
        kind: 'warm-water-meter',
        from: '2025-02-05',
        to: '2025-02-28',
        perDay: 1,
        start: 100,
      }),
      // u2: 2 m³ a day.
      ...meterDays({
        ...at,
        unitId: tree.u2.id,
        meterId: 'w-u2',
        from: '2025-01-01',
        to: '2025-03-31',
        perDay: 2,
      }),
      // The building's heat meter: 10 kWh a day.
      ...meterDays({
        ...at,
        meterId: 'heat-p1',
        kind: 'heat-meter',
        unit: 'kWh',
        from: '2025-01-01',
        to: '2025-03-31',
        perDay: 10,
      }),
    ]);

    async function propertyWithUnits(minimumAggregationUnits?: number) {
      const property = await kit.stores.properties.create(
        partnerId,
        newProperty(
          tree.o1.id,
          minimumAggregationUnits === undefined ? {} : { minimumAggregationUnits },
        ),
        seeder,
      );
      const unitIds: string[] = [];
      for (const name of ['A', 'B', 'C']) {
        const unit = await kit.stores.units.create(
          partnerId,
          { propertyId: property.id, name, livingAreaM2: 50, heatedAreaM2: 50 },
          seeder,
        );
        unitIds.push(unit.id);
      }
      const here = { partnerId, propertyId: property.id };
      await seedDays([
        ...unitIds.flatMap((unitId, i) =>
          meterDays({
            ...here,
            unitId,
            meterId: `w-${property.id}-${i}`,
            from: '2025-01-01',
            to: '2025-01-31',
            perDay: i + 1,
          }),
        ),
        // Warm water in one unit only: its total would be that household's.
        ...meterDays({
          ...here,
          unitId: unitIds[0]!,
          meterId: `ww-${property.id}`,
          kind: 'warm-water-meter',
          from: '2025-01-01',
          to: '2025-01-31',
          perDay: 0.5,
        }),
        ...meterDays({
          ...here,
          meterId: `heat-${property.id}`,
          kind: 'heat-meter',
          unit: 'kWh',
          from: '2025-01-01',
          to: '2025-01-31',
          perDay: 100,
        }),
      ]);
      return { propertyId: property.id, unitIds };
    }
    full = await propertyWithUnits();
    raised = await propertyWithUnits(5);
  });
  afterAll(async () => {
    await kit?.close();
    await strict?.close();
  });

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const landlordOf = (propertyId: string) =>
    kit.bearer(tree.partnerId, [{ role: 'landlord', partnerId: tree.partnerId, propertyId }]);
  const unitUrl = (unitId: string, query: string) => `/v1/units/${unitId}/consumption?${query}`;
  const propertyUrl = (propertyId: string, query: string) =>
    `/v1/properties/${propertyId}/consumption?${query}`;

  describe('GET /v1/units/:unitId/consumption', () => {
    it('gives managers any period, per register, with each meter’s part', async () => {
      for (const role of ['partner-admin', 'operator'] as const) {
        const res = await app.inject({
          method: 'GET',
          url: unitUrl(tree.u1.id, 'from=2025-01-01&to=2025-01-31'),
          headers: await as(role),
        });
        expect(res.statusCode, role).toBe(200);
        const body = res.json<UnitBody>();
        expect(body).toMatchObject({ from: '2025-01-01', to: '2025-01-31', clipped: false });
        const water = register(body, 'water-meter')!;
        // No day before the range: the first counts from its first reading (0.75) and is estimated.
        expect(water.series[0]).toEqual({
          period: '2025-01-01',
          consumption: 0.75,
          estimated: true,
        });
        expect(water.series[1]).toEqual({ period: '2025-01-02', consumption: 1 });
        expect(water.total).toBe(30.75);
        expect(water.meters).toEqual([expect.objectContaining({ meterId: 'w-u1', total: 30.75 })]);
        expect(register(body, 'heat-cost-allocator')!.total).toBe(30 * 3 + 2.25);
        expect(register(body, 'heat-cost-allocator', true)!.total).toBe(2 * (30 * 3 + 2.25));
        expect(body.registers.map((r) => [r.kind, r.rated])).toEqual([
          ['heat-cost-allocator', false],
          ['heat-cost-allocator', true],
          ['water-meter', false],
          ['warm-water-meter', false],
        ]);
      }
    });

    it('sums months, the first day counting from the last reading before the range', async () => {
      const res = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-02-01&to=2025-03-31&granularity=month'),
        headers: await as('operator'),
      });
      expect(res.statusCode).toBe(200);
      expect(register(res.json<UnitBody>(), 'water-meter')!.series).toEqual([
        { period: '2025-02', consumption: 28 },
        { period: '2025-03', consumption: 31 },
      ]);
    });

    it('cuts a tenant’s range to its tenancy, counting from the eve of it, without meters', async () => {
      const res = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-01-15&to=2025-02-10'),
        headers: await as('tenant'),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<UnitBody>();
      expect(body).toMatchObject({ from: '2025-02-01', to: '2025-02-10', clipped: true });
      const water = register(body, 'water-meter')!;
      expect(water.series.map((p) => p.period)).toEqual([
        '2025-02-01',
        '2025-02-02',
        '2025-02-03',
        '2025-02-04',
        '2025-02-05',
        '2025-02-06',
        '2025-02-07',
        '2025-02-08',
        '2025-02-09',
        '2025-02-10',
      ]);
      expect(water.series[0]).toEqual({ period: '2025-02-01', consumption: 1 });
      expect(water.total).toBe(10);
      expect(water.meters).toBeUndefined();
    });

    it('never lets a tenant’s first reading carry days of the tenant before', async () => {
      const warm = async (role: RoleName) => {
        const res = await app.inject({
          method: 'GET',
          url: unitUrl(tree.u1.id, 'from=2025-02-01&to=2025-02-10'),
          headers: await as(role),
        });
        return register(res.json<UnitBody>(), 'warm-water-meter')!;
      };
      // The operator sees the gap carried from the last reading in January.
      const operator = await warm('operator');
      expect(operator.series[4]).toEqual({
        period: '2025-02-05',
        consumption: 81,
        estimated: true,
      });
      expect(operator.meters![0]!.series[4]).toMatchObject({ gapDays: 15 });
      // The tenant's count starts with the tenancy: from the first reading of 5 February.
      const tenant = await warm('tenant');
      expect(tenant.series[4]).toEqual({
        period: '2025-02-05',
        consumption: 0.75,
        estimated: true,
      });
      expect(tenant.total).toBe(5.75);
    });

    it('counts a tenant’s month only over the tenancy’s days', async () => {
      const res = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-01-01&to=2025-12-31&granularity=month'),
        headers: await as('tenant'),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<UnitBody>();
      expect(body).toMatchObject({ from: '2025-02-01', to: '2025-02-28', clipped: true });
      expect(register(body, 'water-meter')!.series).toEqual([
        { period: '2025-02', consumption: 28 },
      ]);
    });

    it('refuses a tenant a range wholly outside its tenancy', async () => {
      const res = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-01-01&to=2025-01-31'),
        headers: await as('tenant'),
      });
      expect(res.statusCode).toBe(403);
      expect(codeOf(res)).toBe('FORBIDDEN');
    });

    it('reads a tenant API key’s tenancy from its grant', async () => {
      const tenancy = (
        await kit.stores.tenancies.listByUnit(tree.partnerId, tree.u1.id)
      ).items.find((t) => t.from === '2025-03-01')!;
      const grant: RoleGrant = {
        role: 'tenant',
        partnerId: tree.partnerId,
        unitId: tree.u1.id,
        tenancyId: tenancy.id,
      };
      const res = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-02-20&to=2025-03-05'),
        headers: await kit.apiKey(tree.partnerId, [grant]),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<UnitBody>()).toMatchObject({
        from: '2025-03-01',
        to: '2025-03-05',
        clipped: true,
      });
    });

    it('refuses landlords (one unit is one household), other units’ tenants and other operators', async () => {
      for (const role of [
        'landlord',
        'other-landlord',
        'other-tenant',
        'other-operator',
      ] as const) {
        const res = await app.inject({
          method: 'GET',
          url: unitUrl(tree.u1.id, 'from=2025-02-01&to=2025-02-10'),
          headers: await as(role),
        });
        expect(res.statusCode, role).toBe(403);
        expect(codeOf(res), role).toBe('FORBIDDEN');
      }
    });

    it('hides the unit from another partner', async () => {
      const res = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-02-01&to=2025-02-10'),
        headers: await as('stranger'),
      });
      expectHidden(res);
    });

    it('lets the unit’s widget read the current tenancy, and refuses a property’s widget', async () => {
      const unitWidget = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-01-01&to=2025-03-31'),
        headers: await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id }),
      });
      expect(unitWidget.statusCode).toBe(200);
      expect(unitWidget.json<UnitBody>()).toMatchObject({ from: '2025-02-01', to: '2025-02-28' });
      expect(register(unitWidget.json<UnitBody>(), 'water-meter')!.meters).toBeUndefined();

      const propertyWidget = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u1.id, 'from=2025-02-01&to=2025-02-10'),
        headers: await embedHeaders(tokens, tree.partnerId, { propertyId: tree.p1.id }),
      });
      expect(propertyWidget.statusCode).toBe(403);
      const otherUnit = await app.inject({
        method: 'GET',
        url: unitUrl(tree.u2.id, 'from=2025-02-01&to=2025-02-10'),
        headers: await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id }),
      });
      expect(otherUnit.statusCode).toBe(403);
    });

    it('refuses ranges that are backwards, too long or not days', async () => {
      const headers = await as('operator');
      for (const query of [
        'from=2025-02-10&to=2025-02-01',
        'from=2024-01-01&to=2025-02-05',
        'from=2022-01-01&to=2025-01-31&granularity=month',
        'from=2025-02-30&to=2025-03-01',
        'from=2025-02-01',
        'from=2025-02-01&to=2025-02-10&granularity=week',
      ]) {
        const res = await app.inject({ method: 'GET', url: unitUrl(tree.u1.id, query), headers });
        expect(res.statusCode, query).toBe(400);
        expect(codeOf(res), query).toBe('VALIDATION_FAILED');
      }
      // The longest allowed ranges pass.
      for (const query of [
        'from=2024-01-01&to=2025-02-03',
        'from=2022-03-01&to=2025-02-28&granularity=month',
      ]) {
        const res = await app.inject({ method: 'GET', url: unitUrl(tree.u1.id, query), headers });
        expect(res.statusCode, query).toBe(200);
      }
    });
  });

  describe('GET /v1/properties/:propertyId/consumption', () => {
    it('gives managers the units’ sum, each unit’s total and the building’s meters', async () => {
      const res = await app.inject({
        method: 'GET',
        url: propertyUrl(tree.p1.id, 'from=2025-02-01&to=2025-02-28'),
        headers: await as('operator'),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<PropertyBody>();
      expect(body).toMatchObject({ units: 2, minimumUnits: 3 });
      const water = register(body, 'water-meter')!;
      expect(water.total).toBe(28 * 3);
      expect(water.units).toEqual(
        [
          { unitId: tree.u1.id, total: 28 },
          { unitId: tree.u2.id, total: 56 },
        ].sort((a, b) => (a.unitId < b.unitId ? -1 : 1)),
      );
      expect(body.building).toEqual([
        expect.objectContaining({
          kind: 'heat-meter',
          unit: 'kWh',
          total: 280,
          meters: [expect.objectContaining({ meterId: 'heat-p1', total: 280 })],
        }),
      ]);
    });

    it('refuses a landlord a total of fewer units than the minimum, saying how many', async () => {
      const res = await app.inject({
        method: 'GET',
        url: propertyUrl(tree.p1.id, 'from=2025-02-01&to=2025-02-28'),
        headers: { ...(await as('landlord')), 'accept-language': 'de' },
      });
      expect(res.statusCode).toBe(403);
      const error = res.json<{ error: { code: string; message: string; context: unknown } }>()
        .error;
      expect(error.code).toBe('AGGREGATION_TOO_SMALL');
      expect(error.context).toEqual({ units: 2, minimumUnits: 3 });
      expect(error.message).toMatch(/Einheiten/);
    });

    it('serves a landlord at the minimum: totals only, a register of too few units withheld', async () => {
      const res = await app.inject({
        method: 'GET',
        url: propertyUrl(full.propertyId, 'from=2025-01-02&to=2025-01-31'),
        headers: await landlordOf(full.propertyId),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<PropertyBody>();
      expect(body).toMatchObject({ units: 3, minimumUnits: 3 });
      const water = register(body, 'water-meter')!;
      expect(water.total).toBe(30 * (1 + 2 + 3));
      expect(water.series).toHaveLength(30);
      expect(water.units).toBeUndefined();
      expect(register(body, 'warm-water-meter')).toEqual({
        kind: 'warm-water-meter',
        unit: 'm3',
        rated: false,
        total: null,
        series: [],
        withheld: true,
      });
      expect(body.building).toEqual([
        { kind: 'heat-meter', unit: 'kWh', rated: false, total: 3000, series: expect.any(Array) },
      ]);
      expect(res.body).not.toContain(full.unitIds[0]!);
    });

    it('serves a property’s widget as a landlord, and refuses a unit’s widget', async () => {
      const widget = await app.inject({
        method: 'GET',
        url: propertyUrl(full.propertyId, 'from=2025-01-02&to=2025-01-31&granularity=month'),
        headers: await embedHeaders(tokens, tree.partnerId, { propertyId: full.propertyId }),
      });
      expect(widget.statusCode).toBe(200);
      expect(register(widget.json<PropertyBody>(), 'water-meter')).toMatchObject({
        total: 180,
        series: [{ period: '2025-01', consumption: 180 }],
      });
      expect(register(widget.json<PropertyBody>(), 'water-meter')!.units).toBeUndefined();
      const unitWidget = await app.inject({
        method: 'GET',
        url: propertyUrl(tree.p1.id, 'from=2025-02-01&to=2025-02-10'),
        headers: await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id }),
      });
      expect(unitWidget.statusCode).toBe(403);
      expect(codeOf(unitWidget)).toBe('FORBIDDEN');
    });

    it('takes the property’s own minimum when it is higher', async () => {
      const res = await app.inject({
        method: 'GET',
        url: propertyUrl(raised.propertyId, 'from=2025-01-02&to=2025-01-31'),
        headers: await landlordOf(raised.propertyId),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ error: { context: unknown } }>().error.context).toEqual({
        units: 3,
        minimumUnits: 5,
      });
    });

    it('takes the platform’s minimum when it is higher', async () => {
      const res = await strict.app.inject({
        method: 'GET',
        url: propertyUrl(full.propertyId, 'from=2025-01-02&to=2025-01-31'),
        headers: await strict.bearer(tree.partnerId, [
          { role: 'landlord', partnerId: tree.partnerId, propertyId: full.propertyId },
        ]),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ error: { context: unknown } }>().error.context).toEqual({
        units: 3,
        minimumUnits: 4,
      });
    });

    it('refuses tenants, other landlords and other operators; hides it from other partners', async () => {
      for (const role of ['tenant', 'other-landlord', 'other-operator'] as const) {
        const res = await app.inject({
          method: 'GET',
          url: propertyUrl(tree.p1.id, 'from=2025-02-01&to=2025-02-10'),
          headers: await as(role),
        });
        expect(res.statusCode, role).toBe(403);
      }
      expectHidden(
        await app.inject({
          method: 'GET',
          url: propertyUrl(tree.p1.id, 'from=2025-02-01&to=2025-02-10'),
          headers: await as('stranger'),
        }),
      );
    });
  });

  it('starts from the eve: seeded registers stand where meterDays says', () => {
    // A guard on the fixture the expectations above rely on.
    const [first] = meterDays({
      partnerId: 'p',
      propertyId: 'x',
      meterId: 'm',
      from: '2025-01-01',
      to: '2025-01-01',
      perDay: 4,
      start: 10,
    });
    expect(eve('2025-01-01')).toBe('2024-12-31');
    expect(first).toMatchObject({ firstValue: 11, lastValue: 14 });
  });
});
