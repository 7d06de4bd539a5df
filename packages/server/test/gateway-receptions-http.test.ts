import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayThing } from '../src/domain/ports.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import gatewayReceptionRoutes from '../src/http/routes/gateway-receptions.js';
import { ingestSchemas } from '../src/http/schemas/ingest.js';
import type { IngestStore, Reception } from '../src/ingest/ingest-store.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
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

const NOW = new Date('2025-03-10T12:00:00Z');

type ReceptionView = Omit<Reception, 'partnerId'>;

/** What a gateway heard, from its side, over HTTP on dynalite with real tokens. */
describe('a gateway’s receptions and the meters it hears', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-gateway-rx-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let other: Tree;
  let store: IngestStore;
  /** The registry's gateways, as IoT Core would answer. */
  const gateways = new Map<string, GatewayThing>();
  let unitMeter: Meter;
  let buildingMeter: Meter;
  /** A meter of the other operator (o2) that gw-a hears too. */
  let foreignMeter: Meter;
  /** gw-a's receptions of o1's meters, newest first. */
  let own: Reception[];

  beforeAll(async () => {
    store = createDynamoIngestStore(table());
    kit = await startTenancyApp({
      table: table(),
      schemas: ingestSchemas,
      register: (app, stores) =>
        app.register(gatewayReceptionRoutes, {
          iot: { getGateway: async (thingName) => gateways.get(thingName) ?? null },
          meters: stores.meters,
          ingest: store,
          // Few, so that the window of a week holds more than are counted.
          maxCounted: 6,
          now: () => NOW,
        }),
    });
    app = kit.app;
    tree = await seedTree(kit.stores);
    other = await seedTree(kit.stores, 'other');
    let serial = 50_000_000;
    const meter = (propertyId: string, unitId?: string, location?: string) =>
      kit.stores.meters.create(
        tree.partnerId,
        {
          propertyId,
          ...(unitId === undefined ? {} : { unitId }),
          kind: 'water-meter',
          manufacturer: 'KAM',
          meterId: String(serial++),
          deviceVersion: 1,
          deviceType: 7,
          ...(location === undefined ? {} : { location }),
          installedAt: '2024-01-01T00:00:00Z',
        },
        seeder,
      );
    unitMeter = await meter(tree.p1.id, tree.u1.id, 'Bad');
    buildingMeter = await meter(tree.p1.id);
    foreignMeter = await meter(tree.p2.id, tree.u3.id);
    for (const [thingName, partnerId, organisationId] of [
      ['gw-a', tree.partnerId, tree.o1.id],
      ['gw-b', tree.partnerId, tree.o1.id],
    ] as const) {
      gateways.set(thingName, {
        thingName,
        partnerId,
        organisationId,
        certificates: [],
        lastConnectedAt: null,
      });
    }

    let n = 0;
    const rx = (
      meterId: string,
      receivedAt: string,
      rssi: number,
      thingName = 'gw-a',
      partnerId = tree.partnerId,
    ): Reception => ({
      partnerId,
      meterId,
      digest: `d${++n}`,
      readingAt: receivedAt,
      thingName,
      receivedAt,
      rssi,
      mode: 'T1',
      replayed: false,
      gatewaySeq: n,
    });
    own = [
      rx(unitMeter.id, '2025-03-10T11:50:00.000Z', -70),
      rx(buildingMeter.id, '2025-03-10T11:40:00.000Z', -85),
      rx(unitMeter.id, '2025-03-10T11:30:00.000Z', -74),
      {
        ...rx(unitMeter.id, '2025-03-10T11:10:00.000Z', -78),
        // From the gateway's buffer: heard (first, by another gateway) well before.
        readingAt: '2025-03-10T09:00:00.000Z',
        replayed: true,
      },
      rx(buildingMeter.id, '2025-03-10T10:00:00.000Z', -83),
      // Days ago: inside a week, outside a day.
      rx(unitMeter.id, '2025-03-07T12:00:00.000Z', -90),
      rx(buildingMeter.id, '2025-03-07T11:00:00.000Z', -88),
      rx(unitMeter.id, '2025-03-06T12:00:00.000Z', -91),
    ];
    await store.write({
      readings: [],
      receptions: [
        ...own,
        rx(foreignMeter.id, '2025-03-10T11:20:00.000Z', -60),
        // Another gateway of the same organisation.
        rx(unitMeter.id, '2025-03-10T11:55:00.000Z', -65, 'gw-b'),
        // Another partner's meter heard by a gateway of the same name there.
        rx(unitMeter.id, '2025-03-10T11:45:00.000Z', -50, 'gw-a', other.partnerId),
      ],
      days: [],
      rejected: [],
    });
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const get = async (url: string, role: RoleName = 'operator') =>
    app.inject({ method: 'GET', url, headers: await as(role) });
  const shown = ({ partnerId: _p, ...rest }: Reception): ReceptionView => rest;

  describe('GET /v1/gateways/:thingName/receptions', () => {
    it('lists what the gateway heard of its organisation’s meters, newest first, page by page', async () => {
      const items: ReceptionView[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const res = await get(`/v1/gateways/gw-a/receptions?limit=2${query}`);
        expect(res.statusCode).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        const page = res.json<{ items: ReceptionView[]; cursor: string | null }>();
        items.push(...page.items);
        sizes.push(page.items.length);
        cursor = page.cursor;
      } while (cursor !== null);
      expect(items).toEqual(own.map(shown));
      // The other operator's meter took a place on the second page and was left out.
      expect(sizes).toEqual([2, 1, 2, 2, 1]);
    });

    it('takes a range of when it was heard, `to` exclusive', async () => {
      const res = await get(
        '/v1/gateways/gw-a/receptions?from=2025-03-10T11:10:00Z&to=2025-03-10T11:40:00Z',
      );
      expect(res.json<{ items: ReceptionView[] }>().items).toEqual([own[2]!, own[3]!].map(shown));
    });

    it('refuses a cursor of another list', async () => {
      const first = await get('/v1/gateways/gw-a/receptions?limit=1');
      const { cursor } = first.json<{ cursor: string }>();
      const res = await get(`/v1/gateways/gw-b/receptions?cursor=${cursor}`);
      expect(res.statusCode).toBe(400);
      expect(codeOf(res)).toBe('VALIDATION_FAILED');
    });
  });

  describe('GET /v1/gateways/:thingName/meters', () => {
    it('sums up the meters it heard in the last day, strongest first', async () => {
      const res = await get('/v1/gateways/gw-a/meters');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        from: '2025-03-09T12:00:00.000Z',
        coveredFrom: '2025-03-09T12:00:00.000Z',
        complete: true,
        items: [
          {
            meterId: unitMeter.id,
            identity: {
              manufacturer: 'KAM',
              meterId: unitMeter.meterId,
              deviceVersion: 1,
              deviceType: 7,
            },
            kind: 'water-meter',
            propertyId: tree.p1.id,
            unitId: tree.u1.id,
            location: 'Bad',
            lastHeardAt: '2025-03-10T11:50:00.000Z',
            lastRssi: -70,
            meanRssi: -74,
            minRssi: -78,
            maxRssi: -70,
            receptions: 3,
          },
          {
            meterId: buildingMeter.id,
            identity: {
              manufacturer: 'KAM',
              meterId: buildingMeter.meterId,
              deviceVersion: 1,
              deviceType: 7,
            },
            kind: 'water-meter',
            propertyId: tree.p1.id,
            lastHeardAt: '2025-03-10T11:40:00.000Z',
            lastRssi: -85,
            meanRssi: -84,
            minRssi: -85,
            maxRssi: -83,
            receptions: 2,
          },
        ],
      });
    });

    it('counts the newest receptions only when the window holds more, and says so', async () => {
      const res = await get('/v1/gateways/gw-a/meters?hours=168');
      expect(res.statusCode).toBe(200);
      const body = res.json<{
        from: string;
        coveredFrom: string;
        complete: boolean;
        items: Array<{ meterId: string; receptions: number }>;
      }>();
      // Six counted (this app's bound): five of o1's meters and the other operator's one.
      expect(body).toMatchObject({
        from: '2025-03-03T12:00:00.000Z',
        coveredFrom: '2025-03-10T10:00:00.000Z',
        complete: false,
      });
      expect(body.items.map((m) => [m.meterId, m.receptions])).toEqual([
        [unitMeter.id, 3],
        [buildingMeter.id, 2],
      ]);
    });

    it('takes the window in hours, 1 to 168', async () => {
      const res = await get('/v1/gateways/gw-b/meters?hours=1');
      expect(res.json()).toEqual({
        from: '2025-03-10T11:00:00.000Z',
        coveredFrom: '2025-03-10T11:00:00.000Z',
        complete: true,
        items: [expect.objectContaining({ meterId: unitMeter.id, lastRssi: -65, receptions: 1 })],
      });
      expect((await get('/v1/gateways/gw-b/meters?hours=0')).statusCode).toBe(400);
    });
  });

  it('is for the gateway’s managers only, and hidden from other partners', async () => {
    for (const path of ['receptions', 'meters']) {
      for (const role of ['operator', 'partner-admin'] as const) {
        expect((await get(`/v1/gateways/gw-a/${path}`, role)).statusCode, role).toBe(200);
      }
      for (const role of ['other-operator', 'landlord', 'tenant'] as const) {
        expect((await get(`/v1/gateways/gw-a/${path}`, role)).statusCode, role).toBe(403);
      }
      expectHidden(await get(`/v1/gateways/gw-a/${path}`, 'stranger'));
      expectHidden(await get(`/v1/gateways/gw-unknown/${path}`));
    }
  });
});
