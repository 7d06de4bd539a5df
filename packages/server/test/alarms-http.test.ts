import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRing } from '../src/auth/signing-keys.js';
import { ALARMS, type AlarmCode } from '../src/domain/alarms/alarm.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import alarmRoutes from '../src/http/routes/alarms.js';
import { alarmSchemas } from '../src/http/schemas/alarms.js';
import type { AlarmEvent, IngestStore } from '../src/ingest/ingest-store.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { embedHeaders } from './ingest-http-fixtures.js';
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
import { meterPlace } from '../src/ingest/pipeline.js';

const NOW = new Date('2025-02-15T12:00:00Z');

interface AlarmPage {
  items: Array<Record<string, unknown> & { id: string; since: string }>;
  cursor: string | null;
}

let serial = 52_000_000;
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

/** The events of one episode: raised at `since`, and cleared at `clearedAt` when given. */
function episode(meter: Meter, code: AlarmCode, since: string, clearedAt?: string): AlarmEvent[] {
  const base = {
    ...meterPlace(meter),
    code,
    severity: ALARMS[code].severity,
    source: ALARMS[code].sources[0]!,
    since,
    detail: { signals: 'test' },
    digest: `d-${code}-${since}`,
  };
  return [
    { ...base, type: 'raised', at: since },
    ...(clearedAt === undefined ? [] : [{ ...base, type: 'cleared' as const, at: clearedAt }]),
  ];
}

/** The alarms' API on dynalite with real tokens: organisation list, meter list, acknowledgement. */
describe('alarms over HTTP', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-alarms-http');
  let kit: TenancyApp;
  let app: FastifyInstance;
  let tree: Tree;
  let store: IngestStore;
  let tokens: { ring: KeyRing; issuer: string };
  let unitMeter: Meter;
  let buildingMeter: Meter;
  let otherMeter: Meter;

  beforeAll(async () => {
    store = createDynamoIngestStore(table());
    kit = await startTenancyApp({
      table: table(),
      schemas: alarmSchemas,
      register: async (app, stores, services) => {
        tokens = services;
        await app.register(alarmRoutes, {
          organisations: stores.organisations,
          properties: stores.properties,
          tenancies: stores.tenancies,
          meters: stores.meters,
          ingest: store,
          audit: stores.audit,
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
    otherMeter = await newMeter(tree, kit, tree.p2.id, tree.u3.id);
    await store.write({
      readings: [],
      receptions: [],
      days: [],
      rejected: [],
      alarms: [
        // Before the tenant moved in, cleared in its first days.
        ...episode(
          unitMeter,
          'battery-low',
          '2025-01-20T08:00:00.000Z',
          '2025-02-05T08:00:00.000Z',
        ),
        // In the tenant's February, ended in March (another tenant's month).
        ...episode(unitMeter, 'leak', '2025-02-10T12:00:00.000Z', '2025-03-10T12:00:00.000Z'),
        ...episode(unitMeter, 'meter-error', '2025-03-15T12:00:00.000Z'),
        ...episode(unitMeter, 'burst', '2025-04-10T12:00:00.000Z'),
        ...episode(buildingMeter, 'register-decreased', '2025-02-12T12:00:00.000Z'),
        ...episode(otherMeter, 'dry', '2025-02-13T12:00:00.000Z'),
      ],
    });
  });
  afterAll(() => kit?.close());

  const as = (role: RoleName) => headersOf(kit, tree, role);
  const organisationList = async (role: RoleName, query = '', organisationId = tree.o1.id) =>
    app.inject({
      method: 'GET',
      url: `/v1/organisations/${organisationId}/alarms${query}`,
      headers: await as(role),
    });
  const meterList = async (meterId: string, headers: Record<string, string>, query = '') =>
    app.inject({ method: 'GET', url: `/v1/meters/${meterId}/alarms${query}`, headers });
  const acknowledge = async (meterId: string, alarmId: string, role: RoleName) =>
    app.inject({
      method: 'POST',
      url: `/v1/meters/${meterId}/alarms/${alarmId}/acknowledge`,
      headers: await as(role),
    });
  const ids = (res: { json<T>(): T }) => res.json<AlarmPage>().items.map((a) => a.id);

  describe('GET /v1/organisations/:organisationId/alarms', () => {
    it('lists the active alarms of the organisation’s meters, newest first, for its managers', async () => {
      for (const role of ['operator', 'partner-admin'] as const) {
        const res = await organisationList(role);
        expect(res.statusCode, role).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(ids(res)).toEqual([
          'burst.2025-04-10T12:00:00.000Z',
          'meter-error.2025-03-15T12:00:00.000Z',
          'register-decreased.2025-02-12T12:00:00.000Z',
        ]);
      }
      const [burst] = (await organisationList('operator')).json<AlarmPage>().items;
      expect(burst).toEqual({
        id: 'burst.2025-04-10T12:00:00.000Z',
        meterId: unitMeter.id,
        propertyId: tree.p1.id,
        unitId: tree.u1.id,
        kind: 'water-meter',
        code: 'burst',
        severity: 'critical',
        source: 'meter',
        since: '2025-04-10T12:00:00.000Z',
        clearedAt: null,
        detail: { signals: 'test' },
        acknowledged: null,
      });
    });

    it('lists cleared ones too with state=all, merged newest first, page by page', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?state=all&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
        const res = await organisationList('operator', query);
        expect(res.statusCode).toBe(200);
        const page = res.json<AlarmPage>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((a) => a.id));
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(seen).toEqual([
        'burst.2025-04-10T12:00:00.000Z',
        'meter-error.2025-03-15T12:00:00.000Z',
        'register-decreased.2025-02-12T12:00:00.000Z',
        'leak.2025-02-10T12:00:00.000Z',
        'battery-low.2025-01-20T08:00:00.000Z',
      ]);
      const all = (await organisationList('operator', '?state=all')).json<AlarmPage>().items;
      expect(all.find((a) => a.id.startsWith('leak.'))).toMatchObject({
        clearedAt: '2025-03-10T12:00:00.000Z',
      });
    });

    it('takes a range of start times, from inclusive, to exclusive', async () => {
      const res = await organisationList(
        'operator',
        `?state=all&from=${encodeURIComponent('2025-02-10T13:00:00+01:00')}&to=2025-02-12T12:00:00Z`,
      );
      expect(ids(res)).toEqual(['leak.2025-02-10T12:00:00.000Z']);
    });

    it('refuses a cursor it did not make', async () => {
      for (const cursor of [
        'bm90LWEtY3Vyc29y',
        Buffer.from('{"A#":"A#x"}').toString('base64url'),
      ]) {
        const res = await organisationList('operator', `?state=all&cursor=${cursor}`);
        expect(res.statusCode, cursor).toBe(400);
        expect(codeOf(res)).toBe('VALIDATION_FAILED');
      }
    });

    it('is for the organisation’s managers only; hides other partners’ and unknown organisations', async () => {
      for (const role of ['other-operator', 'landlord', 'tenant'] as const) {
        expect((await organisationList(role)).statusCode, role).toBe(403);
      }
      // The other operator sees its own meter's alarm and nothing of o1.
      expect(ids(await organisationList('other-operator', '', tree.o2.id))).toEqual([
        'dry.2025-02-13T12:00:00.000Z',
      ]);
      expectHidden(await organisationList('stranger'));
      expectHidden(await organisationList('partner-admin', '', 'org_nowhere'));
    });
  });

  describe('GET /v1/meters/:meterId/alarms', () => {
    it('gives managers every alarm of the meter, newest first', async () => {
      const res = await meterList(unitMeter.id, await as('operator'));
      expect(res.statusCode).toBe(200);
      expect(ids(res)).toEqual([
        'burst.2025-04-10T12:00:00.000Z',
        'meter-error.2025-03-15T12:00:00.000Z',
        'leak.2025-02-10T12:00:00.000Z',
        'battery-low.2025-01-20T08:00:00.000Z',
      ]);
      const page = (
        await meterList(unitMeter.id, await as('operator'), '?limit=3')
      ).json<AlarmPage>();
      expect(page.items).toHaveLength(3);
      const rest = await meterList(unitMeter.id, await as('operator'), `?cursor=${page.cursor}`);
      expect(ids(rest)).toEqual(['battery-low.2025-01-20T08:00:00.000Z']);
    });

    it('gives a tenant the alarms that began in its tenancies, without detail, ended no later than them', async () => {
      const res = await meterList(unitMeter.id, await as('tenant'));
      expect(res.statusCode).toBe(200);
      const items = res.json<AlarmPage>().items;
      // Not the battery of before it moved in, not March's meter error (another tenant's).
      expect(items.map((a) => a.id)).toEqual([
        'burst.2025-04-10T12:00:00.000Z',
        'leak.2025-02-10T12:00:00.000Z',
      ]);
      // The leak ended in March, after the tenancy: not the tenant's to know.
      expect(items[1]).toMatchObject({ code: 'leak', clearedAt: null });
      for (const item of items) expect(item).not.toHaveProperty('detail');
      const outside = await meterList(unitMeter.id, await as('tenant'), '?to=2025-01-31T23:00:00Z');
      expect(outside.statusCode).toBe(403);
      expect(codeOf(outside)).toBe('FORBIDDEN');
    });

    it('lets landlords see the building’s meters, never a unit’s', async () => {
      const building = await meterList(buildingMeter.id, await as('landlord'));
      expect(building.statusCode).toBe(200);
      expect(building.json<AlarmPage>().items).toEqual([
        expect.objectContaining({ code: 'register-decreased', detail: { signals: 'test' } }),
      ]);
      const unit = await meterList(unitMeter.id, await as('landlord'));
      expect(unit.statusCode).toBe(403);
      expect(codeOf(unit)).toBe('FORBIDDEN');
    });

    it('lets a unit’s widget see its current tenancy’s alarms, and a property’s widget the building’s', async () => {
      const unitWidget = await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id });
      expect(ids(await meterList(unitMeter.id, unitWidget))).toEqual([
        'leak.2025-02-10T12:00:00.000Z',
      ]);
      expect((await meterList(buildingMeter.id, unitWidget)).statusCode).toBe(403);
      const propertyWidget = await embedHeaders(tokens, tree.partnerId, { propertyId: tree.p1.id });
      expect((await meterList(buildingMeter.id, propertyWidget)).statusCode).toBe(200);
      expect((await meterList(unitMeter.id, propertyWidget)).statusCode).toBe(403);
    });

    it('refuses other units’ tenants, other landlords and operators; hides the meter from other partners', async () => {
      for (const role of ['other-tenant', 'other-landlord', 'other-operator'] as const) {
        expect((await meterList(unitMeter.id, await as(role))).statusCode, role).toBe(403);
      }
      expectHidden(await meterList(unitMeter.id, await as('stranger')));
      expectHidden(await meterList('mtr_nowhere', await as('operator')));
    });
  });

  describe('POST /v1/meters/:meterId/alarms/:alarmId/acknowledge', () => {
    const LEAK = 'leak.2025-02-10T12:00:00.000Z';

    async function acknowledgements() {
      const page = await kit.stores.audit.listByOrganisation(tree.partnerId, tree.o1.id, {
        limit: 100,
      });
      return page.items.filter((e) => e.action === 'alarm.acknowledged');
    }

    it('marks the alarm seen once, records it in the audit log, and answers the same again', async () => {
      const first = await acknowledge(unitMeter.id, LEAK, 'operator');
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({
        id: LEAK,
        clearedAt: '2025-03-10T12:00:00.000Z',
        acknowledged: { at: NOW.toISOString(), by: { kind: 'user', id: 'u-1' } },
      });
      const again = await acknowledge(unitMeter.id, LEAK, 'partner-admin');
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());

      const entries = await acknowledgements();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        actor: { kind: 'user', id: 'u-1' },
        target: { type: 'meter', id: unitMeter.id },
        after: {
          alarmId: LEAK,
          code: 'leak',
          since: '2025-02-10T12:00:00.000Z',
          clearedAt: '2025-03-10T12:00:00.000Z',
          acknowledgedAt: NOW.toISOString(),
        },
      });

      // The lists show it; a tenant learns that, not who.
      const listed = (await organisationList('operator', '?state=all')).json<AlarmPage>().items;
      expect(listed.find((a) => a.id === LEAK)?.acknowledged).toEqual({
        at: NOW.toISOString(),
        by: { kind: 'user', id: 'u-1' },
      });
      const tenants = (await meterList(unitMeter.id, await as('tenant'))).json<AlarmPage>().items;
      expect(tenants.find((a) => a.id === LEAK)?.acknowledged).toEqual({ at: NOW.toISOString() });
    });

    it('is for the meter’s managers only', async () => {
      const BURST = 'burst.2025-04-10T12:00:00.000Z';
      for (const role of ['tenant', 'landlord', 'other-operator'] as const) {
        const res = await acknowledge(unitMeter.id, BURST, role);
        expect(res.statusCode, role).toBe(403);
      }
      expectHidden(await acknowledge(unitMeter.id, BURST, 'stranger'));
      const burst = await store.getAlarm(
        tree.partnerId,
        unitMeter.id,
        'burst',
        '2025-04-10T12:00:00.000Z',
      );
      expect(burst?.acknowledgedAt).toBeUndefined();
    });

    it('answers 404 for an alarm the meter does not have, 400 for what is no alarm id', async () => {
      expectHidden(await acknowledge(unitMeter.id, 'dry.2025-02-13T12:00:00.000Z', 'operator'));
      expectHidden(await acknowledge(unitMeter.id, 'flood.2025-02-13T12:00:00.000Z', 'operator'));
      const bad = await acknowledge(unitMeter.id, 'leak', 'operator');
      expect(bad.statusCode).toBe(400);
      expect(codeOf(bad)).toBe('VALIDATION_FAILED');
    });
  });
});
