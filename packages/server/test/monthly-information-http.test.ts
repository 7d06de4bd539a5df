import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { KeyRing } from '../src/auth/signing-keys.js';
import { dayDistance } from '../src/domain/consumption/day.js';
import type { MeterKind } from '../src/domain/tenancy/meter.js';
import monthlyInformationRoutes from '../src/http/routes/monthly-information.js';
import propertyRoutes from '../src/http/routes/properties.js';
import { monthlyInformationSchemas } from '../src/http/schemas/monthly-information.js';
import { propertiesSchemas } from '../src/http/schemas/properties.js';
import type { RegisterUnit } from '../src/ingest/consumption-register.js';
import type { IngestStore, StoredMeterDay } from '../src/ingest/ingest-store.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { embedHeaders, meterDays } from './ingest-http-fixtures.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { newProperty } from './ports/tenancy-fixtures.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import { codeOf, expectHidden, seedTree, seeder, type Tree } from './tenancy-http-fixtures.js';

/** 10 April 2025 in Berlin: the last month that has ended is March. */
const APRIL = new Date('2025-04-10T10:00:00Z');

interface Figure {
  month: string;
  consumption: number | null;
  kwh: number | null;
  complete: boolean;
  coverage: number;
}
interface Section {
  unit: string | null;
  conversion: Record<string, unknown>;
  current: Figure;
  previousMonth: Figure;
  previousYear: Figure;
  changePercent: { previousMonth: number | null; previousYear: number | null };
  benchmark: Record<string, unknown>;
}
interface Body {
  unitId: string;
  month: string;
  occupantCategory: string;
  heating: Section;
  hotWater: Section;
  generatedAt: string;
}

/** One register over consecutive segments, each counting `perDay` from where the last stopped. */
interface Segment {
  from: string;
  to: string;
  perDay: number;
}

/**
 * The monthly information over HTTP on the real stores (dynalite): a
 * property of six units whose meters report for 14 months, the unit under
 * test with allocators, warm and cold water.
 */
describe('GET /v1/units/:unitId/monthly-information', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-monthly-information-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let store: IngestStore;
  let tokens: { ring: KeyRing; issuer: string };
  let clock = APRIL;
  let propertyId: string;
  /** The unit under test and the others of its property. */
  const ids: Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f', string> = {
    a: '',
    b: '',
    c: '',
    d: '',
    e: '',
    f: '',
  };
  let meterNumber = 10_000_000;

  async function meter(
    unitId: string,
    kind: MeterKind,
    ratingFactors?: { kq: number; kc: number },
  ): Promise<string> {
    const created = await kit.stores.meters.create(
      tree.partnerId,
      {
        propertyId,
        unitId,
        kind,
        manufacturer: 'ZWT',
        meterId: String((meterNumber += 1)),
        deviceVersion: 1,
        deviceType: kind === 'heat-cost-allocator' ? 8 : kind === 'heat-meter' ? 4 : 7,
        installedAt: '2024-01-15T09:00:00.000Z',
        ...(ratingFactors === undefined ? {} : { ratingFactors }),
      },
      seeder,
    );
    return created.id;
  }

  /** Days of a meter over segments; a gap between segments is days the meter was not heard. */
  function register(
    unitId: string,
    meterId: string,
    kind: MeterKind,
    segments: Segment[],
    ratedFactor?: number,
  ): StoredMeterDay[] {
    const unit: RegisterUnit =
      kind === 'heat-meter' ? 'kWh' : kind === 'heat-cost-allocator' ? 'units' : 'm3';
    let start = 0;
    let previousTo: string | null = null;
    let previousPerDay = 0;
    const out: StoredMeterDay[] = [];
    for (const s of segments) {
      // The register went on counting while nobody heard it: at the previous rate.
      if (previousTo !== null) start += (dayDistance(previousTo, s.from) - 1) * previousPerDay;
      out.push(
        ...meterDays({
          partnerId: tree.partnerId,
          propertyId,
          unitId,
          meterId,
          kind,
          unit,
          from: s.from,
          to: s.to,
          perDay: s.perDay,
          start,
          ...(ratedFactor === undefined ? {} : { ratedFactor }),
        }),
      );
      start += (dayDistance(s.from, s.to) + 1) * s.perDay;
      previousTo = s.to;
      previousPerDay = s.perDay;
    }
    return out;
  }

  beforeAll(async () => {
    store = createDynamoIngestStore(table());
    kit = await startTenancyApp({
      table: table(),
      schemas: [...propertiesSchemas, ...monthlyInformationSchemas],
      register: async (app, stores, services) => {
        tokens = services;
        await app.register(propertyRoutes, {
          properties: stores.properties,
          organisations: stores.organisations,
        });
        await app.register(monthlyInformationRoutes, {
          properties: stores.properties,
          units: stores.units,
          tenancies: stores.tenancies,
          meters: stores.meters,
          ingest: store,
          minAggregationUnits: 3,
          now: () => clock,
        });
      },
    });
    app = kit.app;
    tree = await seedTree(kit.stores, 'monthly');
    const { partnerId } = tree;
    propertyId = (await kit.stores.properties.create(partnerId, newProperty(tree.o1.id), seeder))
      .id;
    const areas = {
      a: [60, 70],
      b: [50, 50],
      c: [100, 100],
      d: [50, 50],
      e: [50, 50],
      f: [50, 50],
    } as const;
    for (const key of Object.keys(areas) as Array<keyof typeof areas>) {
      const [heatedAreaM2, livingAreaM2] = areas[key];
      ids[key] = (
        await kit.stores.units.create(
          partnerId,
          {
            propertyId,
            name: key.toUpperCase(),
            heatedAreaM2,
            livingAreaM2,
            // A shop is not the same user category as the flats.
            ...(key === 'e' ? { occupantCategory: 'non-residential' as const } : {}),
          },
          seeder,
        )
      ).id;
    }
    // The tenant of A since 16 March 2024, and the tenant before.
    await kit.stores.tenancies.create(
      partnerId,
      { unitId: ids.a, from: '2023-01-01', to: '2024-03-15', tenantUserIds: ['tenant-old'] },
      seeder,
    );
    await kit.stores.tenancies.create(
      partnerId,
      { unitId: ids.a, from: '2024-03-16', tenantUserIds: ['tenant-a'] },
      seeder,
    );

    const hcaA = await meter(ids.a, 'heat-cost-allocator', { kq: 2, kc: 1 });
    const warmA = await meter(ids.a, 'warm-water-meter');
    const coldA = await meter(ids.a, 'water-meter');
    const heatB = await meter(ids.b, 'heat-meter');
    const warmB = await meter(ids.b, 'warm-water-meter');
    const hcaC = await meter(ids.c, 'heat-cost-allocator', { kq: 1, kc: 1 });
    const warmC = await meter(ids.c, 'warm-water-meter');
    const heatD = await meter(ids.d, 'heat-meter');
    const heatE = await meter(ids.e, 'heat-meter');
    const heatF = await meter(ids.f, 'heat-meter');
    const warmF = await meter(ids.f, 'warm-water-meter');

    const march = (perDay: number): Segment[] => [{ from: '2025-02-28', to: '2025-03-31', perDay }];
    await store.write({
      readings: [],
      receptions: [],
      rejected: [],
      days: [
        // A's allocator (rated = 2 × display units): 5 a day in March 2024, 4 until February 2025, 3 in March.
        ...register(
          ids.a,
          hcaA,
          'heat-cost-allocator',
          [
            { from: '2024-02-01', to: '2024-02-29', perDay: 4 },
            { from: '2024-03-01', to: '2024-03-31', perDay: 5 },
            { from: '2024-04-01', to: '2025-02-28', perDay: 4 },
            { from: '2025-03-01', to: '2025-03-31', perDay: 3 },
          ],
          2,
        ),
        // A's warm water: 0.1 m³ a day, silent from 10 to 12 March 2024.
        ...register(ids.a, warmA, 'warm-water-meter', [
          { from: '2024-02-01', to: '2024-03-09', perDay: 0.1 },
          { from: '2024-03-13', to: '2025-03-31', perDay: 0.1 },
        ]),
        ...register(ids.a, coldA, 'water-meter', [
          { from: '2024-02-01', to: '2025-03-31', perDay: 0.3 },
        ]),
        ...register(ids.b, heatB, 'heat-meter', march(5)),
        ...register(ids.b, warmB, 'warm-water-meter', march(0.2)),
        ...register(ids.c, hcaC, 'heat-cost-allocator', march(10), 1),
        ...register(ids.c, warmC, 'warm-water-meter', march(0.4)),
        // D misses two days: not part of the average.
        ...register(ids.d, heatD, 'heat-meter', [
          { from: '2025-02-28', to: '2025-03-14', perDay: 100 },
          { from: '2025-03-17', to: '2025-03-31', perDay: 100 },
        ]),
        // E is a shop: another user category.
        ...register(ids.e, heatE, 'heat-meter', march(1000)),
        ...register(ids.f, heatF, 'heat-meter', march(10)),
        ...register(ids.f, warmF, 'warm-water-meter', march(0.2)),
      ],
    });
  });
  afterAll(() => kit?.close());

  const url = (unitId: string, month?: string) =>
    `/v1/units/${unitId}/monthly-information${month === undefined ? '' : `?month=${month}`}`;
  const operator = () =>
    kit.bearer(tree.partnerId, [
      { role: 'operator', partnerId: tree.partnerId, organisationId: tree.o1.id },
    ]);
  const tenantOf = (unitId: string, userId: string) =>
    kit.bearer(tree.partnerId, [{ role: 'tenant', partnerId: tree.partnerId, unitId }], userId);
  const get = async (unitId: string, headers: Record<string, string>, month?: string) =>
    app.inject({ method: 'GET', url: url(unitId, month), headers });

  async function setConversion(energyConversion: Record<string, number> | null) {
    const current = await kit.stores.properties.get(tree.partnerId, propertyId);
    const res = await app.inject({
      method: 'PATCH',
      url: `/v1/properties/${propertyId}`,
      headers: await operator(),
      payload: { version: current!.version, energyConversion },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ energyConversion?: Record<string, number> }>();
  }

  it('reports allocators in units without a factor, never in made-up kWh', async () => {
    const res = await get(ids.a, await operator());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<Body>();
    // No month asked for: the last one that has ended in the property's zone.
    expect(body).toMatchObject({
      unitId: ids.a,
      month: '2025-03',
      occupantCategory: 'residential',
      generatedAt: APRIL.toISOString(),
    });
    expect(body.heating.unit).toBe('units');
    expect(body.heating.conversion).toEqual({
      method: 'hca-factor',
      kwhUnavailable: 'no-kwh-factor',
    });
    // 3 display units × 2 a day.
    expect(body.heating.current).toEqual({
      month: '2025-03',
      consumption: 186,
      kwh: null,
      complete: true,
      coverage: 1,
    });
    // In units, the months still compare: 186 against 224 and 310.
    expect(body.heating.changePercent).toEqual({ previousMonth: -17, previousYear: -40 });
    // Two other flats have kWh, the third counts in units: no average in kWh.
    expect(body.heating.benchmark).toMatchObject({ units: 2, unavailable: 'no-kwh', kwh: null });
    // Hot water at 60 °C: 125 kWh/m³.
    expect(body.hotWater.current).toMatchObject({ consumption: 3.1, kwh: 387.5 });
  });

  it('converts with the property’s settings, set through its PATCH and audited', async () => {
    const patched = await setConversion({ kwhPerHcaUnit: 0.5, hotWaterTemperatureC: 55 });
    expect(patched.energyConversion).toEqual({ kwhPerHcaUnit: 0.5, hotWaterTemperatureC: 55 });
    const { items } = await kit.stores.audit.listByPartner(tree.partnerId, { limit: 20 });
    expect(
      items.find((e) => e.action === 'property.updated' && e.target.id === propertyId),
    ).toMatchObject({
      actor: { kind: 'user', id: 'u-1' },
      after: { energyConversion: { kwhPerHcaUnit: 0.5, hotWaterTemperatureC: 55 } },
    });

    const body = (await get(ids.a, await operator(), '2025-03')).json<Body>();
    expect(body.heating.conversion).toEqual({ method: 'hca-factor', kwhPerHcaUnit: 0.5 });
    expect(body.heating.current).toMatchObject({ consumption: 186, kwh: 93, complete: true });
    expect(body.heating.previousMonth).toMatchObject({
      month: '2025-02',
      consumption: 224,
      kwh: 112,
      complete: true,
    });
    expect(body.heating.previousYear).toMatchObject({
      month: '2024-03',
      consumption: 310,
      kwh: 155,
      complete: true,
    });
    expect(body.heating.changePercent).toEqual({ previousMonth: -17, previousYear: -40 });
    // B 155 kWh / 50 m², C 310 units × 0.5 / 100 m², F 310 kWh / 50 m²: 620 kWh over 200 m².
    // Not D (two days missing), not the shop E. × A's 60 m² = 186 kWh; A's 93 is half.
    expect(body.heating.benchmark).toEqual({
      source: 'building-average',
      areaBasis: 'heatedAreaM2',
      units: 3,
      kwhPerM2: 3.1,
      kwh: 186,
      differencePercent: -50,
    });

    // §9(2) at 55 °C: 2.5 × (55 − 10) = 112.5 kWh per m³.
    expect(body.hotWater.unit).toBe('m3');
    expect(body.hotWater.conversion).toEqual({
      method: 'hot-water-formula',
      kwhPerM3: 112.5,
      hotWaterTemperatureC: 55,
    });
    expect(body.hotWater.current).toEqual({
      month: '2025-03',
      consumption: 3.1,
      kwh: 348.75,
      complete: true,
      coverage: 1,
    });
    expect(body.hotWater.previousMonth).toMatchObject({ consumption: 2.8, kwh: 315 });
    expect(body.hotWater.changePercent.previousMonth).toBe(10.7);
    // March 2024 missed three days: what was measured, how much of it, and no kWh.
    expect(body.hotWater.previousYear).toEqual({
      month: '2024-03',
      consumption: 3.1,
      kwh: null,
      complete: false,
      coverage: 0.903,
    });
    expect(body.hotWater.changePercent.previousYear).toBeNull();
    // B 6.2 m³, C 12.4 m³, F 6.2 m³ × 112.5 over 200 m² living area = 13.95 kWh/m²; × 70 m².
    expect(body.hotWater.benchmark).toEqual({
      source: 'building-average',
      areaBasis: 'livingAreaM2',
      units: 3,
      kwhPerM2: 13.95,
      kwh: 976.5,
      differencePercent: -64.3,
    });
    // Cold water is not energy: in neither section, and no other unit's figure anywhere.
    expect(JSON.stringify(body)).not.toContain(ids.b);
    expect(Object.keys(body).sort()).toEqual([
      'generatedAt',
      'heating',
      'hotWater',
      'month',
      'occupantCategory',
      'propertyId',
      'timeZone',
      'unitId',
    ]);
  });

  it('refuses an invalid setting, and removes it with null', async () => {
    const current = await kit.stores.properties.get(tree.partnerId, propertyId);
    for (const energyConversion of [
      { kwhPerHcaUnit: 0 },
      { hotWaterTemperatureC: 10 },
      { kwhPerHcaUnit: 1, extra: 1 },
    ]) {
      const res = await app.inject({
        method: 'PATCH',
        url: `/v1/properties/${propertyId}`,
        headers: await operator(),
        payload: { version: current!.version, energyConversion },
      });
      expect(res.statusCode, JSON.stringify(energyConversion)).toBe(400);
    }
    const removed = await setConversion(null);
    expect(removed).not.toHaveProperty('energyConversion');
    const body = (await get(ids.a, await operator())).json<Body>();
    expect(body.heating.current.kwh).toBeNull();
    expect(body.hotWater.conversion).toMatchObject({ kwhPerM3: 125, hotWaterTemperatureC: 60 });
    await setConversion({ kwhPerHcaUnit: 0.5, hotWaterTemperatureC: 55 });
  });

  it('withholds the average when fewer other units than the minimum are complete', async () => {
    // For B, the other flats with a complete March are A, C and F: enough.
    const b = (await get(ids.b, await operator(), '2025-03')).json<Body>();
    expect(b.heating.benchmark).toMatchObject({ units: 3, kwhPerM2: expect.any(Number) });
    // The shop has no other unit of its category.
    const shop = (await get(ids.e, await operator(), '2025-03')).json<Body>();
    expect(shop.occupantCategory).toBe('non-residential');
    expect(shop.heating.benchmark).toEqual({
      source: 'building-average',
      areaBasis: 'heatedAreaM2',
      units: 0,
      kwhPerM2: null,
      kwh: null,
      differencePercent: null,
      unavailable: 'too-few-units',
    });
    expect(shop.heating.current).toMatchObject({ kwh: 31_000, complete: true });
  });

  it('has no figures where there were no meters or no data', async () => {
    const body = (await get(ids.b, await operator(), '2025-03')).json<Body>();
    expect(body.heating.previousYear).toEqual({
      month: '2024-03',
      consumption: null,
      kwh: null,
      complete: false,
      coverage: 0,
    });
    // B's meters were installed, but heard only from the eve of March 2025.
    expect(body.heating.previousMonth).toMatchObject({ complete: false, coverage: 0.036 });
    expect(body.heating.changePercent).toEqual({ previousMonth: null, previousYear: null });
  });

  it('counts only the tenant’s own days: the month a year before began with another tenant', async () => {
    const res = await get(ids.a, await tenantOf(ids.a, 'tenant-a'), '2025-03');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Body>();
    expect(body.heating.current).toMatchObject({ kwh: 93, complete: true });
    expect(body.heating.changePercent.previousMonth).toBe(-17);
    // From 16 March 2024 only: 16 of 31 days, the first counted from the eve of the tenancy.
    expect(body.heating.previousYear).toEqual({
      month: '2024-03',
      consumption: 160,
      kwh: null,
      complete: false,
      coverage: 0.516,
    });
    expect(body.heating.changePercent.previousYear).toBeNull();
    // The benchmark is the same for everyone.
    expect(body.heating.benchmark).toMatchObject({ units: 3, kwh: 186 });
  });

  it('gives a tenant a month partly in its tenancy, and refuses one wholly outside', async () => {
    const headers = await tenantOf(ids.a, 'tenant-a');
    const partly = await get(ids.a, headers, '2024-03');
    expect(partly.statusCode).toBe(200);
    expect(partly.json<Body>().heating.current).toMatchObject({
      consumption: 160,
      kwh: null,
      complete: false,
    });
    const before = await get(ids.a, headers, '2024-02');
    expect(before.statusCode).toBe(403);
    expect(codeOf(before)).toBe('FORBIDDEN');
    // The tenant before sees its half of March 2024, and nothing of 2025.
    const old = await tenantOf(ids.a, 'tenant-old');
    expect((await get(ids.a, old, '2024-03')).json<Body>().heating.current).toMatchObject({
      consumption: 150,
      coverage: 0.484,
    });
    expect((await get(ids.a, old, '2025-03')).statusCode).toBe(403);
  });

  it('refuses landlords, other units’ tenants and a property’s widget; lets the unit’s widget read', async () => {
    const landlord = await kit.bearer(tree.partnerId, [
      { role: 'landlord', partnerId: tree.partnerId, propertyId } satisfies RoleGrant,
    ]);
    for (const headers of [
      landlord,
      await tenantOf(ids.b, 'tenant-a'),
      await embedHeaders(tokens, tree.partnerId, { propertyId }),
      await embedHeaders(tokens, tree.partnerId, { unitId: ids.b }),
    ]) {
      const res = await get(ids.a, headers, '2025-03');
      expect(res.statusCode, res.body).toBe(403);
      expect(codeOf(res)).toBe('FORBIDDEN');
    }
    const widget = await get(
      ids.a,
      await embedHeaders(tokens, tree.partnerId, { unitId: ids.a }),
      '2025-03',
    );
    expect(widget.statusCode).toBe(200);
    // The widget sees the current tenancy: March 2024 only from its 16th.
    expect(widget.json<Body>().heating.previousYear.coverage).toBe(0.516);
    const stranger = await kit.bearer('stranger', [
      { role: 'partner-admin', partnerId: 'stranger' },
    ]);
    expectHidden(await get(ids.a, stranger, '2025-03'));
  });

  it('refuses the current and future months in the property’s zone, in the caller’s language', async () => {
    const headers = { ...(await operator()), 'accept-language': 'de' };
    for (const month of ['2025-04', '2025-05', '2030-01']) {
      const res = await get(ids.a, headers, month);
      expect(res.statusCode, month).toBe(400);
      expect(codeOf(res)).toBe('MONTH_NOT_ENDED');
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/Kalendermonate/);
    }
    for (const month of ['2025-13', '2025-3', 'März']) {
      const res = await get(ids.a, headers, encodeURIComponent(month));
      expect(res.statusCode, month).toBe(400);
      expect(codeOf(res)).toBe('VALIDATION_FAILED');
    }
  });

  it('takes the month from the property’s time zone, not UTC', async () => {
    // 31 March 22:30 UTC is already 1 April in Berlin: March has ended there.
    clock = new Date('2025-03-31T22:30:00Z');
    try {
      const res = await get(ids.a, await operator());
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Body>().month).toBe('2025-03');
      clock = new Date('2025-03-31T21:30:00Z');
      const early = await get(ids.a, await operator(), '2025-03');
      expect(codeOf(early)).toBe('MONTH_NOT_ENDED');
      expect((await get(ids.a, await operator())).json<Body>().month).toBe('2025-02');
    } finally {
      clock = APRIL;
    }
  });
});
