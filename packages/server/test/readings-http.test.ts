import { SHADOW_NAME, type ShadowReported } from '@zaehlwerk/firmware-contract';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRing } from '../src/auth/signing-keys.js';
import type { GatewayThing } from '../src/domain/ports.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import ingestMonitoringRoutes from '../src/http/routes/ingest-monitoring.js';
import meterReadingRoutes from '../src/http/routes/meter-readings.js';
import { ingestSchemas } from '../src/http/schemas/ingest.js';
import type { IngestStore, Reading, RejectedFrame } from '../src/ingest/ingest-store.js';
import { createShadowService, type ShadowService } from '../src/iot/local/shadow/index.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { createDynamoShadowStore } from '../src/store/dynamodb-shadow-store.js';
import { DomainError } from '../src/domain/errors.js';
import { embedHeaders, readingOf } from './ingest-http-fixtures.js';
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

const NOW = new Date('2025-02-15T12:00:00Z');

let serial = 30_000_000;
function newMeter(tree: Tree, kit: TenancyApp, propertyId: string, unitId?: string) {
  return kit.stores.meters.create(
    tree.partnerId,
    {
      propertyId,
      ...(unitId === undefined ? {} : { unitId }),
      kind: 'water-meter',
      manufacturer: 'KAM',
      meterId: String(serial++),
      deviceVersion: 1,
      deviceType: 7,
      installedAt: '2024-01-01T00:00:00Z',
    },
    seeder,
  );
}

interface ReadingPage {
  items: Array<Record<string, unknown> & { at: string }>;
  cursor: string | null;
}

/** Readings, receptions and the ingest's monitoring over HTTP, on dynalite with real tokens. */
describe('readings and ingest monitoring over HTTP', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-readings-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let store: IngestStore;
  let tokens: { ring: KeyRing; issuer: string };
  /** The registry's gateways, as IoT Core would answer. */
  const gateways = new Map<string, GatewayThing>();
  /** The emulator's Device Shadow service over the table, as the local IoT Core has it. */
  let shadows: ShadowService;
  let shadowClock = new Date('2025-02-15T11:00:00Z');
  /** Whether the shadow service fails, as IoT Core might. */
  let shadowsDown = false;
  let unitMeter: Meter;
  let buildingMeter: Meter;
  /** u1's meter's readings, in time order: [1..3] in the tenant's February, [6] in its April. */
  let readings: Reading[];

  beforeAll(async () => {
    store = createDynamoIngestStore(table());
    shadows = createShadowService({
      store: createDynamoShadowStore(table()),
      registry: {
        getThing: async (thingName) => {
          const gateway = gateways.get(thingName);
          return gateway === undefined
            ? null
            : { ...gateway, createdAt: '2025-01-01T00:00:00.000Z', version: 1 };
        },
      },
      publish: async () => {},
      now: () => shadowClock,
    });
    kit = await startTenancyApp({
      table: table(),
      schemas: ingestSchemas,
      register: async (app, stores, services) => {
        tokens = services;
        await app.register(meterReadingRoutes, {
          properties: stores.properties,
          tenancies: stores.tenancies,
          meters: stores.meters,
          ingest: store,
          now: () => NOW,
        });
        await app.register(ingestMonitoringRoutes, {
          iot: {
            getGateway: async (thingName) => gateways.get(thingName) ?? null,
            getShadow: async (thingName, shadowName) => {
              if (shadowsDown) throw new DomainError('SERVICE_UNAVAILABLE', 'shadows are down');
              return shadows.getShadow(thingName, shadowName);
            },
          },
          organisations: stores.organisations,
          ingest: store,
          now: () => NOW,
        });
      },
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
    // The tenant rents u1 in February and again in April; someone else in March.
    for (const [from, to, tenant] of [
      ['2025-02-01', '2025-02-28', 'tenant-1'],
      ['2025-03-01', '2025-03-31', 'tenant-9'],
      ['2025-04-01', '2025-04-30', 'tenant-1'],
    ] as const) {
      await kit.stores.tenancies.create(
        tree.partnerId,
        { unitId: tree.u1.id, from, to, tenantUserIds: [tenant] },
        seeder,
      );
    }
    unitMeter = await newMeter(tree, kit, tree.p1.id, tree.u1.id);
    buildingMeter = await newMeter(tree, kit, tree.p1.id);
    // Berlin is UTC+1 in February: the tenancy runs from 2025-01-31T23:00Z to 2025-02-28T23:00Z.
    readings = [
      readingOf(unitMeter, '2025-01-31T22:30:00.000Z', 100),
      readingOf(unitMeter, '2025-01-31T23:30:00.000Z', 101),
      readingOf(unitMeter, '2025-02-10T12:00:00.000Z', 110),
      readingOf(unitMeter, '2025-02-28T22:59:00.000Z', 128),
      readingOf(unitMeter, '2025-02-28T23:00:00.000Z', 129),
      readingOf(unitMeter, '2025-03-15T12:00:00.000Z', 145),
      readingOf(unitMeter, '2025-04-10T12:00:00.000Z', 170),
    ];
    await store.write({
      readings: [...readings, readingOf(buildingMeter, '2025-02-10T12:00:00.000Z', 5000)],
      receptions: readings.flatMap((r) =>
        ['gw-1', 'gw-2'].map((thingName, i) => ({
          partnerId: r.partnerId,
          meterId: r.meterId,
          digest: r.digest,
          readingAt: r.at,
          thingName,
          receivedAt: r.at,
          rssi: -70 - 10 * i,
          mode: 'T1',
          replayed: false,
          gatewaySeq: 7,
        })),
      ),
      days: [],
      rejected: [],
    });
    await store.saveStream({
      partnerId: tree.partnerId,
      meterId: unitMeter.id,
      version: 0,
      guard: { recent: [] },
      decoder: { formats: {} },
      radio: {
        'gw-1': { at: '2025-02-28T23:00:00.000Z', rssi: -70 },
        'gw-2': { at: '2025-02-28T23:00:00.000Z', rssi: -80 },
      },
    });
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const list = async (meterId: string, headers: Record<string, string>, query = '') =>
    app.inject({ method: 'GET', url: `/v1/meters/${meterId}/readings${query}`, headers });

  describe('GET /v1/meters/:meterId/readings', () => {
    it('gives managers every reading, without partner or operator, page by page, either way', async () => {
      for (const role of ['partner-admin', 'operator'] as const) {
        const res = await list(unitMeter.id, await as(role));
        expect(res.statusCode, role).toBe(200);
        const page = res.json<ReadingPage>();
        expect(page.items.map((r) => r.at)).toEqual(readings.map((r) => r.at));
        const { partnerId: _p, organisationId: _o, ...shown } = readings[0]!;
        expect(page.items[0]).toEqual(shown);
        expect(res.headers['cache-control']).toBe('no-store');
      }
      const headers = await as('operator');
      const first = (await list(unitMeter.id, headers, '?order=desc&limit=2')).json<ReadingPage>();
      expect(first.items.map((r) => r.at)).toEqual([readings[6]!.at, readings[5]!.at]);
      const second = (
        await list(unitMeter.id, headers, `?order=desc&limit=2&cursor=${first.cursor}`)
      ).json<ReadingPage>();
      expect(second.items.map((r) => r.at)).toEqual([readings[4]!.at, readings[3]!.at]);
    });

    it('takes a range in any offset, from inclusive, to exclusive', async () => {
      const res = await list(
        unitMeter.id,
        await as('operator'),
        `?from=${encodeURIComponent('2025-02-01T00:30:00+01:00')}&to=2025-02-28T22:59:00Z`,
      );
      expect(res.json<ReadingPage>().items.map((r) => r.at)).toEqual([
        readings[1]!.at,
        readings[2]!.at,
      ]);
    });

    it('gives a tenant its tenancies’ readings only, and refuses a range outside them', async () => {
      const res = await list(unitMeter.id, await as('tenant'));
      expect(res.statusCode).toBe(200);
      // February and April: not March, another tenant's.
      const theirs = [...readings.slice(1, 4), readings[6]!].map((r) => r.at);
      expect(res.json<ReadingPage>().items.map((r) => r.at)).toEqual(theirs);
      const narrowed = await list(unitMeter.id, await as('tenant'), '?from=2025-02-05T00:00:00Z');
      expect(narrowed.json<ReadingPage>().items.map((r) => r.at)).toEqual(theirs.slice(1));
      const outside = await list(unitMeter.id, await as('tenant'), '?to=2025-01-31T23:00:00Z');
      expect(outside.statusCode).toBe(403);
      expect(codeOf(outside)).toBe('FORBIDDEN');
    });

    it('lets landlords read the building’s meters, never a unit’s', async () => {
      const building = await list(buildingMeter.id, await as('landlord'));
      expect(building.statusCode).toBe(200);
      expect(building.json<ReadingPage>().items).toHaveLength(1);
      const unit = await list(unitMeter.id, await as('landlord'));
      expect(unit.statusCode).toBe(403);
      expect(codeOf(unit)).toBe('FORBIDDEN');
    });

    it('lets a unit’s widget read its current tenancy, and a property’s widget the building’s meters', async () => {
      const unitWidget = await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id });
      const res = await list(unitMeter.id, unitWidget);
      expect(res.statusCode).toBe(200);
      expect(res.json<ReadingPage>().items).toHaveLength(3);
      expect((await list(buildingMeter.id, unitWidget)).statusCode).toBe(403);
      const propertyWidget = await embedHeaders(tokens, tree.partnerId, { propertyId: tree.p1.id });
      expect((await list(buildingMeter.id, propertyWidget)).statusCode).toBe(200);
      expect((await list(unitMeter.id, propertyWidget)).statusCode).toBe(403);
    });

    it('refuses other units’ tenants, other landlords and operators; hides the meter from other partners', async () => {
      for (const role of ['other-tenant', 'other-landlord', 'other-operator'] as const) {
        const res = await list(unitMeter.id, await as(role));
        expect(res.statusCode, role).toBe(403);
      }
      expectHidden(await list(unitMeter.id, await as('stranger')));
      expectHidden(await list('mtr_nowhere', await as('operator')));
    });
  });

  describe('GET /v1/meters/:meterId/receptions', () => {
    it('shows managers which gateways heard each reading, and the coverage', async () => {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/meters/${unitMeter.id}/receptions?from=2025-02-10T00:00:00Z&to=2025-02-11T00:00:00Z`,
        headers: await as('operator'),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ items: Array<Record<string, unknown>>; coverage: unknown }>();
      expect(body.items.map((r) => [r.thingName, r.rssi])).toEqual([
        ['gw-1', -70],
        ['gw-2', -80],
      ]);
      expect(body.items[0]).not.toHaveProperty('partnerId');
      expect(body.coverage).toEqual([
        { thingName: 'gw-1', at: '2025-02-28T23:00:00.000Z', rssi: -70 },
        { thingName: 'gw-2', at: '2025-02-28T23:00:00.000Z', rssi: -80 },
      ]);
    });

    it('is for managers only', async () => {
      for (const role of ['tenant', 'landlord', 'other-operator'] as const) {
        const res = await app.inject({
          method: 'GET',
          url: `/v1/meters/${unitMeter.id}/receptions`,
          headers: await as(role),
        });
        expect(res.statusCode, role).toBe(403);
      }
      const widget = await app.inject({
        method: 'GET',
        url: `/v1/meters/${unitMeter.id}/receptions`,
        headers: await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id }),
      });
      expect(widget.statusCode).toBe(401);
    });
  });

  describe('GET /v1/gateways/:thingName/health', () => {
    beforeAll(async () => {
      const gateway = (thingName: string, organisationId: string): GatewayThing => ({
        thingName,
        partnerId: tree.partnerId,
        organisationId,
        certificates: [],
        lastConnectedAt: '2025-02-15T11:00:00.000Z',
      });
      gateways.set('gw-1', gateway('gw-1', tree.o1.id));
      gateways.set('gw-quiet', gateway('gw-quiet', tree.o1.id));
      // Registered to o1 now; its counts were made while it was o2's.
      gateways.set('gw-moved', gateway('gw-moved', tree.o1.id));
      const batch = (
        thingName: string,
        organisationId: string,
        gatewaySeq: number,
        receivedAt: string,
      ) =>
        store.recordBatch({
          thingName,
          partnerId: tree.partnerId,
          organisationId,
          gatewaySeq,
          receivedAt,
          frames: 10,
          outcomes: { stored: 8, duplicate: 1, replay: 1 },
        });
      await batch('gw-1', tree.o1.id, 1, '2025-02-15T10:00:00.000Z');
      await batch('gw-1', tree.o1.id, 4, '2025-02-15T11:30:00.000Z');
      await batch('gw-moved', tree.o2.id, 1, '2025-02-15T11:30:00.000Z');
    });

    const health = async (thingName: string, role: RoleName) =>
      app.inject({
        method: 'GET',
        url: `/v1/gateways/${thingName}/health`,
        headers: await as(role),
      });

    it('counts batches, losses and outcomes for the gateway’s managers', async () => {
      for (const role of ['partner-admin', 'operator'] as const) {
        const res = await health('gw-1', role);
        expect(res.statusCode, role).toBe(200);
        expect(res.json()).toEqual({
          thingName: 'gw-1',
          organisationId: tree.o1.id,
          status: 'reporting',
          lastConnectedAt: '2025-02-15T11:00:00.000Z',
          firstSeenAt: '2025-02-15T10:00:00.000Z',
          lastSeenAt: '2025-02-15T11:30:00.000Z',
          lastSeq: 4,
          batches: 2,
          lostBatches: 2,
          batchLoss: 0.5,
          frames: 20,
          outcomes: {
            stored: 16,
            duplicate: 2,
            unregistered: 0,
            malformed: 0,
            undecryptable: 0,
            replay: 2,
          },
          framesPerHour: [
            { hour: '2025-02-15T10', frames: 10 },
            { hour: '2025-02-15T11', frames: 10 },
          ],
          // It never reported anything.
          shadow: null,
        });
      }
    });

    it('says never for a gateway without batches, or with counts of an earlier owner', async () => {
      for (const thingName of ['gw-quiet', 'gw-moved']) {
        const res = await health(thingName, 'operator');
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ status: 'never', batches: 0, frames: 0, lastSeq: null });
      }
    });

    /** What a gateway publishes on its configuration shadow's update topic. */
    async function report(thingName: string, at: string, reported: Record<string, unknown>) {
      shadowClock = new Date(at);
      await shadows.handleMessage({
        topic: `$aws/things/${thingName}/shadow/name/${SHADOW_NAME}/update`,
        payload: Buffer.from(JSON.stringify({ state: { reported } })),
        thingName,
        certificateId: 'c'.repeat(64),
        clientId: thingName,
        qos: 1,
        receivedAt: at,
      });
    }
    const reported: ShadowReported = {
      contractVersion: '1',
      configVersion: 3,
      uploadIntervalS: 300,
      maxBatchFrames: 50,
      statusIntervalS: 900,
      radioModes: ['T1', 'C1'],
      forwardAllMeters: false,
      meterAllowList: ['KAM76348799'],
      firmware: { vendor: 'Solvimus', model: 'MUC.easy', version: '2.4.1' },
      uptimeS: 86_400,
      radio: {
        modes: ['T1', 'C1'],
        framesReceived: 1200,
        framesForwarded: 1100,
        framesFiltered: 90,
        framesInvalid: 10,
      },
      buffer: { framesQueued: 0, bytesQueued: 0, capacityBytes: 1_048_576, framesDropped: 0 },
      lastGatewaySeq: 4,
    };

    it('shows what the gateway last reported in its shadow, and when', async () => {
      await report('gw-1', '2025-02-15T09:00:00.000Z', { ...reported, uptimeS: 79_200 });
      // The operator's desired configuration is not what the gateway reported.
      shadowClock = new Date('2025-02-15T09:30:00.000Z');
      await shadows.updateDesired('gw-1', { configVersion: 4, uploadIntervalS: 120 }, SHADOW_NAME);
      // Only what changed, as a gateway may write it: the time is the newest of its parts.
      await report('gw-1', '2025-02-15T11:00:00.500Z', { uptimeS: 86_400 });
      const res = await health('gw-1', 'operator');
      expect(res.statusCode).toBe(200);
      expect(res.json().shadow).toEqual({
        reported,
        reportedAt: '2025-02-15T11:00:00.000Z',
        version: 3,
        conforms: true,
      });
      expect(res.json()).toMatchObject({ status: 'reporting', batches: 2 });
    });

    it('says whether the reported state is what the contract prescribes', async () => {
      gateways.set('gw-odd', { ...gateways.get('gw-quiet')!, thingName: 'gw-odd' });
      const odd = { firmware: { vendor: 'Acme', model: 'X', version: '1' }, uptimeS: 5, led: 'on' };
      await report('gw-odd', '2025-02-15T10:00:00.000Z', odd);
      const res = await health('gw-odd', 'operator');
      expect(res.statusCode).toBe(200);
      expect(res.json().shadow).toEqual({
        reported: odd,
        reportedAt: '2025-02-15T10:00:00.000Z',
        version: 1,
        conforms: false,
      });
      // Only desired state so far (the gateway never reported): no reported part, no time.
      gateways.set('gw-new', { ...gateways.get('gw-quiet')!, thingName: 'gw-new' });
      await shadows.updateDesired('gw-new', { configVersion: 1 }, SHADOW_NAME);
      expect((await health('gw-new', 'operator')).json().shadow).toEqual({
        reported: null,
        reportedAt: null,
        version: 1,
        conforms: false,
      });
    });

    it('leaves the shadow out when IoT Core cannot be asked, and answers the rest', async () => {
      shadowsDown = true;
      try {
        const res = await health('gw-1', 'operator');
        expect(res.statusCode).toBe(200);
        expect(res.json()).not.toHaveProperty('shadow');
        expect(res.json()).toMatchObject({ thingName: 'gw-1', batches: 2 });
      } finally {
        shadowsDown = false;
      }
    });

    it('refuses other operators and other roles; hides it from other partners and when unknown', async () => {
      for (const role of ['other-operator', 'landlord', 'tenant'] as const) {
        expect((await health('gw-1', role)).statusCode, role).toBe(403);
      }
      expectHidden(await health('gw-1', 'stranger'));
      expectHidden(await health('gw-unknown', 'operator'));
    });
  });

  describe('rejected frames and unregistered meters', () => {
    const rejected = (receivedAt: string, reason: RejectedFrame['reason']): RejectedFrame => ({
      partnerId: tree.partnerId,
      organisationId: tree.o1.id,
      thingName: 'gw-1',
      receivedAt,
      reason,
      detail: reason === 'undecryptable' ? 'NO_KEY' : 'CRC_MISMATCH',
      frame: '2E44AABBCCDD',
      rssi: -90,
      gatewaySeq: 3,
    });

    beforeAll(async () => {
      await store.write({
        readings: [],
        receptions: [],
        days: [],
        rejected: [
          rejected('2025-02-15T10:00:00.000Z', 'malformed'),
          rejected('2025-02-15T11:00:00.000Z', 'undecryptable'),
        ],
      });
      for (const receivedAt of ['2025-02-15T10:00:00.000Z', '2025-02-15T11:00:00.000Z']) {
        await store.noteUnregistered({
          partnerId: tree.partnerId,
          organisationId: tree.o1.id,
          identity: { manufacturer: 'ZRI', meterId: '12345678', deviceVersion: 1, deviceType: 7 },
          thingName: 'gw-1',
          receivedAt,
          rssi: -85,
          frames: 1,
        });
      }
    });

    const get = async (path: string, role: RoleName, query = '') =>
      app.inject({
        method: 'GET',
        url: `/v1/organisations/${tree.o1.id}/${path}${query}`,
        headers: await as(role),
      });

    it('lists the rejected frames newest first, page by page, frame included', async () => {
      const first = await get('rejected-frames', 'operator', '?limit=1');
      expect(first.statusCode).toBe(200);
      const page = first.json<{ items: Array<Record<string, unknown>>; cursor: string }>();
      expect(page.items).toEqual([
        {
          thingName: 'gw-1',
          receivedAt: '2025-02-15T11:00:00.000Z',
          reason: 'undecryptable',
          detail: 'NO_KEY',
          frame: '2E44AABBCCDD',
          rssi: -90,
          gatewaySeq: 3,
        },
      ]);
      const second = await get('rejected-frames', 'operator', `?limit=1&cursor=${page.cursor}`);
      expect(
        second.json<{ items: Array<{ reason: string }> }>().items.map((f) => f.reason),
      ).toEqual(['malformed']);
    });

    it('lists the meters heard but not registered, with how often', async () => {
      const res = await get('unregistered-meters', 'partner-admin');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        items: [
          {
            identity: { manufacturer: 'ZRI', meterId: '12345678', deviceVersion: 1, deviceType: 7 },
            firstHeardAt: '2025-02-15T10:00:00.000Z',
            lastHeardAt: '2025-02-15T11:00:00.000Z',
            frames: 2,
            lastThingName: 'gw-1',
            lastRssi: -85,
          },
        ],
        cursor: null,
      });
    });

    it('refuses other operators and other roles; hides other partners’ and unknown organisations', async () => {
      for (const path of ['rejected-frames', 'unregistered-meters']) {
        for (const role of ['other-operator', 'landlord', 'tenant'] as const) {
          expect((await get(path, role)).statusCode, `${path} ${role}`).toBe(403);
        }
        expectHidden(await get(path, 'stranger'));
        expectHidden(
          await app.inject({
            method: 'GET',
            url: `/v1/organisations/org_nowhere/${path}`,
            headers: await as('partner-admin'),
          }),
        );
      }
    });
  });
});
