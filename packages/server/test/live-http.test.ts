import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRing } from '../src/auth/signing-keys.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import liveRoutes from '../src/http/routes/live.js';
import { LiveHub } from '../src/ingest/live-hub.js';
import type { IngestStore, Reading } from '../src/ingest/ingest-store.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { newProperty } from './ports/tenancy-fixtures.js';
import { embedHeaders, readingOf } from './ingest-http-fixtures.js';
import { useDynaliteTable } from './ports/dynalite-table.js';
import { startTenancyApp, type TenancyApp } from './tenancy-app-kit.js';
import { headersOf, seedTree, seeder, type RoleName, type Tree } from './tenancy-http-fixtures.js';

interface SseEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** A Server-Sent Events stream read with fetch, as a browser widget would. */
interface Stream {
  status: number;
  headers: Headers;
  /** Every event (and comment) received so far, in order. */
  received(): readonly SseEvent[];
  /** The first event (or comment) received that matches, or a timeout. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Whether no matching event has arrived, nor arrives within the time. */
  silent(match: (e: SseEvent) => boolean, ms: number): Promise<boolean>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  body: () => Promise<string>;
  close(): void;
}

function parse(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) event.comment = line.slice(1).trim();
    const m = /^(event|id|data): ?(.*)$/.exec(line);
    if (m) event[m[1] as 'event' | 'id' | 'data'] = m[2];
  }
  return event;
}

async function openStream(url: string, headers: Record<string, string>): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended!: () => void;
  const endedPromise = new Promise<void>((resolve) => (ended = resolve));
  let text = '';
  if (res.status === 200 && res.body !== null) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            events.push(parse(buffer.slice(0, cut)));
            buffer = buffer.slice(cut + 2);
          }
          for (const wake of waiters) wake();
        }
      } catch {
        // Aborted by the test.
      }
      ended();
    })();
  } else {
    text = await res.text();
    ended();
  }
  // Matched against everything received so far, in any order: a stream must not have sent
  // something just because a later event was waited for first.
  const next = (match: (e: SseEvent) => boolean, timeoutMs = 1000) =>
    new Promise<SseEvent>((resolve, reject) => {
      const look = () => {
        const found = events.find(match);
        if (found === undefined) return;
        waiters.delete(look);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(look);
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(look);
      look();
    });
  return {
    status: res.status,
    headers: res.headers,
    received: () => events,
    next,
    silent: (match, ms) =>
      next(match, ms).then(
        () => false,
        () => true,
      ),
    ended: endedPromise,
    body: async () => text,
    close: () => abort.abort(),
  };
}

const isReading = (digest: string) => (e: SseEvent) =>
  e.event === 'reading' && e.id?.endsWith(`#${digest}`) === true;

/** GET /v1/live through a real HTTP server, read with fetch. */
describe('live readings over Server-Sent Events', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-live-http');
  let kit: TenancyApp;
  let tree: Tree;
  /** Another partner's tree. */
  let other: Tree;
  let hub: LiveHub;
  let base: string;
  let tokens: { ring: KeyRing; issuer: string };
  let unitMeter: Meter;
  let buildingMeter: Meter;
  const streams: Stream[] = [];
  let store: IngestStore;
  /** Runs inside the route's next read of stored readings, before it (a resume's replay). */
  let duringReplay: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    hub = new LiveHub({ maxQueue: 5 });
    store = createDynamoIngestStore(table());
    kit = await startTenancyApp({
      table: table(),
      register: (app, stores, services) => {
        tokens = services;
        return app.register(liveRoutes, {
          properties: stores.properties,
          units: stores.units,
          tenancies: stores.tenancies,
          meters: stores.meters,
          hub,
          ingest: {
            listReadings: async (...args) => {
              const hook = duringReplay;
              duringReplay = null;
              await hook?.();
              return store.listReadings(...args);
            },
          },
          // Few, so that a test can pass the bound.
          resume: { maxReadings: 5 },
          heartbeatMs: 300,
        });
      },
    });
    tree = await seedTree(kit.stores);
    other = await seedTree(kit.stores, 'other');
    for (const [unitId, userId] of [
      [tree.u1.id, 'tenant-1'],
      [tree.u2.id, 'tenant-2'],
    ] as const) {
      await kit.stores.tenancies.create(
        tree.partnerId,
        { unitId, from: '2024-06-01', tenantUserIds: [userId] },
        seeder,
      );
    }
    const meter = (unitId?: string, n = 0) =>
      kit.stores.meters.create(
        tree.partnerId,
        {
          propertyId: tree.p1.id,
          ...(unitId === undefined ? {} : { unitId }),
          kind: 'water-meter',
          manufacturer: 'KAM',
          meterId: String(40_000_000 + n),
          deviceVersion: 1,
          deviceType: 7,
          installedAt: '2024-01-01T00:00:00Z',
        },
        seeder,
      );
    unitMeter = await meter(tree.u1.id, 1);
    buildingMeter = await meter(undefined, 2);
    await kit.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(kit.app.server.address() as AddressInfo).port}`;
  });
  /** Opened by the last test and left open on purpose: closing the app must end it. */
  let leftOpen: Stream | undefined;
  afterAll(async () => {
    if (kit === undefined) return;
    const closing = kit.close();
    await leftOpen?.ended;
    // fetch may leave a connection behind that never carries a request (after an abort), and
    // Node's server.close() waits for such a one forever; the stream is what this is about.
    kit.app.server.closeAllConnections();
    await closing;
  });

  const as = (role: RoleName) => headersOf(kit, tree, role);
  async function open(query: string, headers: Record<string, string>) {
    const stream = await openStream(`${base}/v1/live?${query}`, headers);
    streams.push(stream);
    return stream;
  }
  let n = 0;
  /** A fresh reading now (or at `at`) of a place in the tree. */
  const fresh = (
    place: {
      id: string;
      partnerId: string;
      organisationId: string;
      propertyId: string;
      unitId?: string;
    },
    at = new Date().toISOString(),
  ): Reading => readingOf(place, at, 100 + ++n, `digest-${n}`);
  const u1Place = () => ({
    id: unitMeter.id,
    partnerId: tree.partnerId,
    organisationId: tree.o1.id,
    propertyId: tree.p1.id,
    unitId: tree.u1.id,
  });

  it('delivers a new reading within a second, as the readings route shows it', async () => {
    const stream = await open(`unitId=${tree.u1.id}`, await as('operator'));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    expect(stream.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const reading = fresh(u1Place());
    const sent = Date.now();
    hub.publish([reading]);
    const event = await stream.next(isReading(reading.digest), 1000);
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(event.id).toBe(`${reading.at}#${reading.digest}`);
    const { partnerId: _p, organisationId: _o, ...shown } = reading;
    expect(JSON.parse(event.data!)).toEqual(shown);
    stream.close();
  });

  it('sends alarms raised and cleared when asked to, scoped like the readings', async () => {
    const alarm = (type: 'raised' | 'cleared', unitId: string | undefined, since: string) => ({
      type,
      code: 'leak' as const,
      severity: 'critical' as const,
      source: 'meter' as const,
      since,
      at: type === 'raised' ? since : new Date().toISOString(),
      detail: { flags: 1 },
      partnerId: tree.partnerId,
      organisationId: tree.o1.id,
      propertyId: tree.p1.id,
      ...(unitId === undefined ? {} : { unitId }),
      meterId: unitId === undefined ? buildingMeter.id : unitMeter.id,
      kind: 'water-meter' as const,
      digest: `alarm-${++n}`,
    });
    const operator = await open(`unitId=${tree.u1.id}&alarms=true`, await as('operator'));
    const tenant = await open(`unitId=${tree.u1.id}&alarms=true`, await as('tenant'));
    const readingsOnly = await open(`unitId=${tree.u1.id}`, await as('operator'));
    const landlord = await open(`propertyId=${tree.p1.id}&alarms=true`, await as('landlord'));
    const since = new Date(Date.now() - 60_000).toISOString();
    const beforeTenancy = '2024-05-01T00:00:00.000Z';
    hub.publishAlarms([
      alarm('raised', tree.u1.id, since),
      alarm('cleared', tree.u1.id, beforeTenancy),
      alarm('raised', undefined, since),
    ]);
    const isAlarm = (type: string, meterId: string) => (e: SseEvent) =>
      e.event === 'alarm' &&
      JSON.parse(e.data!).type === type &&
      JSON.parse(e.data!).meterId === meterId;
    const seen = await operator.next(isAlarm('raised', unitMeter.id));
    expect(seen.id).toBeUndefined();
    expect(JSON.parse(seen.data!)).toMatchObject({
      type: 'raised',
      id: `leak.${since}`,
      code: 'leak',
      since,
      clearedAt: null,
      detail: { flags: 1 },
    });
    await operator.next(isAlarm('cleared', unitMeter.id));
    // The tenant: its unit's alarm without the detail, not one that began before its tenancy.
    const told = await tenant.next(isAlarm('raised', unitMeter.id));
    expect(JSON.parse(told.data!)).not.toHaveProperty('detail');
    expect(await tenant.silent(isAlarm('cleared', unitMeter.id), 200)).toBe(true);
    // The landlord: the building's meter only; and no alarms unless asked for.
    await landlord.next(isAlarm('raised', buildingMeter.id));
    expect(await landlord.silent(isAlarm('raised', unitMeter.id), 100)).toBe(true);
    expect(await readingsOnly.silent((e) => e.event === 'alarm', 100)).toBe(true);
    for (const s of [operator, tenant, readingsOnly, landlord]) s.close();
  });

  it('sends nothing of another unit or another partner to a subscriber', async () => {
    const u1 = await open(`unitId=${tree.u1.id}`, await as('tenant'));
    const u2 = await open(`unitId=${tree.u2.id}`, await as('other-tenant'));
    const stranger = await open(
      `unitId=${other.u1.id}`,
      await kit.bearer(other.partnerId, [{ role: 'partner-admin', partnerId: other.partnerId }]),
    );
    expect([u1.status, u2.status, stranger.status]).toEqual([200, 200, 200]);
    // The same ids in another partner: a subscriber's filter names its own partner.
    const lookalike: Reading = { ...fresh(u1Place()), partnerId: other.partnerId };
    const reading = fresh(u1Place());
    hub.publish([lookalike, reading]);
    await u1.next(isReading(reading.digest));
    expect(await u2.silent(isReading(reading.digest), 400)).toBe(true);
    expect(await stranger.silent((e) => e.event === 'reading', 100)).toBe(true);
    expect(await u1.silent(isReading(lookalike.digest), 100)).toBe(true);
    // Each stream is live: its own unit's reading arrives.
    const theirs = fresh({ ...u1Place(), unitId: tree.u2.id });
    const strangers = fresh({
      id: 'mtr-x',
      partnerId: other.partnerId,
      organisationId: other.o1.id,
      propertyId: other.p1.id,
      unitId: other.u1.id,
    });
    hub.publish([theirs, strangers]);
    await u2.next(isReading(theirs.digest));
    await stranger.next(isReading(strangers.digest));
    expect(await u1.silent(isReading(theirs.digest), 200)).toBe(true);
    for (const s of [u1, u2, stranger]) s.close();
  });

  it('sends a tenant only readings from its tenancy on', async () => {
    const stream = await open(`meterId=${unitMeter.id}`, await as('tenant'));
    expect(stream.status).toBe(200);
    const before = fresh(u1Place(), '2024-05-31T12:00:00.000Z');
    const during = fresh(u1Place());
    hub.publish([before, during]);
    await stream.next(isReading(during.digest));
    expect(await stream.silent(isReading(before.digest), 100)).toBe(true);
    stream.close();
  });

  it('sends a landlord the building’s meters of its property, never a unit’s', async () => {
    const stream = await open(`propertyId=${tree.p1.id}`, await as('landlord'));
    expect(stream.status).toBe(200);
    const unitReading = fresh(u1Place());
    const buildingReading = fresh({
      id: buildingMeter.id,
      partnerId: tree.partnerId,
      organisationId: tree.o1.id,
      propertyId: tree.p1.id,
    });
    hub.publish([unitReading, buildingReading]);
    await stream.next(isReading(buildingReading.digest));
    expect(await stream.silent(isReading(unitReading.digest), 200)).toBe(true);
    stream.close();

    for (const query of [`unitId=${tree.u1.id}`, `meterId=${unitMeter.id}`]) {
      const refused = await open(query, await as('landlord'));
      expect(refused.status, query).toBe(403);
      expect(JSON.parse(await refused.body()).error.code).toBe('FORBIDDEN');
    }
  });

  it('sends an operator its organisation’s readings only', async () => {
    const stream = await open(`propertyId=${tree.p1.id}`, await as('operator'));
    const ours = fresh(u1Place());
    // A meter still with another operator (a transfer in flight): not this operator's.
    const theirs = fresh({ ...u1Place(), organisationId: tree.o2.id });
    hub.publish([theirs, ours]);
    await stream.next(isReading(ours.digest));
    expect(await stream.silent(isReading(theirs.digest), 100)).toBe(true);
    stream.close();
  });

  it('admits a unit’s widget for its unit, and refuses it others', async () => {
    const headers = await embedHeaders(tokens, tree.partnerId, { unitId: tree.u1.id });
    const stream = await open(`unitId=${tree.u1.id}`, headers);
    expect(stream.status).toBe(200);
    const reading = fresh(u1Place());
    hub.publish([reading]);
    await stream.next(isReading(reading.digest));
    stream.close();
    expect((await open(`unitId=${tree.u2.id}`, headers)).status).toBe(403);
    expect((await open(`propertyId=${tree.p1.id}`, headers)).status).toBe(403);
  });

  it('refuses the wrong callers and queries before anything streams', async () => {
    const cases: Array<[string, Record<string, string>, number]> = [
      [`unitId=${tree.u1.id}`, await as('other-tenant'), 403],
      [`unitId=${tree.u1.id}`, await as('other-operator'), 403],
      [`unitId=${tree.u1.id}`, await as('stranger'), 404],
      [`unitId=${tree.u1.id}`, {}, 401],
      ['', await as('operator'), 400],
      [`unitId=${tree.u1.id}&meterId=${unitMeter.id}`, await as('operator'), 400],
    ];
    for (const [query, headers, status] of cases) {
      const res = await open(query, headers);
      expect(res.status, query).toBe(status);
    }
  });

  it('keeps an idle stream open with comments', async () => {
    const stream = await open(`unitId=${tree.u1.id}`, await as('operator'));
    await stream.next((e) => e.comment === 'keep-alive', 1000);
    stream.close();
  });

  it('ends the stream of a subscriber that falls behind, and says why', async () => {
    const stream = await open(`unitId=${tree.u1.id}`, await as('operator'));
    // More at once than the hub queues per subscriber (5): it is dropped.
    hub.publish(Array.from({ length: 12 }, () => fresh(u1Place())));
    const overflow = await stream.next((e) => e.event === 'overflow', 1000);
    expect(JSON.parse(overflow.data!)).toEqual({ reason: 'too-slow' });
    await stream.ended;
  });

  it('ends every stream, saying so, when the hub may have missed readings', async () => {
    const before = hub.size;
    const tenant = await open(`unitId=${tree.u1.id}`, await as('tenant'));
    const operator = await open(`unitId=${tree.u1.id}`, await as('operator'));
    expect(hub.interrupt()).toBeGreaterThanOrEqual(2);
    for (const stream of [tenant, operator]) {
      const overflow = await stream.next((e) => e.event === 'overflow', 1000);
      expect(JSON.parse(overflow.data!)).toEqual({ reason: 'interrupted' });
      await stream.ended;
    }
    // A new stream after it is live as before.
    const again = await open(`unitId=${tree.u1.id}`, await as('operator'));
    const reading = fresh(u1Place());
    hub.publish([reading]);
    await again.next(isReading(reading.digest), 1000);
    again.close();
    for (let i = 0; i < 50 && hub.size > before; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('lets go of the subscription when the client goes away', async () => {
    const before = hub.size;
    const stream = await open(`unitId=${tree.u1.id}`, await as('operator'));
    expect(hub.size).toBe(before + 1);
    stream.close();
    for (let i = 0; i < 50 && hub.size > before; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(hub.size).toBe(before);
    // Left open for afterAll: app.close() must end it.
    leftOpen = await open(`unitId=${tree.u1.id}`, await as('operator'));
  });

  describe('resuming with Last-Event-ID', () => {
    /** What the ingest does with new readings: stores them, then tells the live subscribers. */
    async function ingest(...readings: Reading[]) {
      await store.write({ readings, receptions: [], days: [], rejected: [] });
      hub.publish(readings);
    }
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
    const idOf = (r: Reading) => `${r.at}#${r.digest}`;
    const readingIds = (stream: Stream) =>
      stream
        .received()
        .filter((e) => e.event === 'reading')
        .map((e) => e.id);

    let places = 0;
    /**
     * A property of o1's of its own, so that no other test's stored readings
     * are in its meters' partitions: two units, the first rented by tenant-1,
     * and a meter in each unit and one of the building.
     */
    async function newPlace() {
      places += 1;
      const { partnerId } = tree;
      const property = await kit.stores.properties.create(
        partnerId,
        newProperty(tree.o1.id, { managerOrganisationId: tree.manager.id, name: `Hof ${places}` }),
        seeder,
      );
      const unit = (name: string) =>
        kit.stores.units.create(
          partnerId,
          { propertyId: property.id, name, livingAreaM2: 60, heatedAreaM2: 58 },
          seeder,
        );
      const u1 = await unit('WE 01');
      const u2 = await unit('WE 02');
      await kit.stores.tenancies.create(
        partnerId,
        { unitId: u1.id, from: '2024-06-01', tenantUserIds: ['tenant-1'] },
        seeder,
      );
      const meter = async (n: number, unitId?: string) => {
        const created = await kit.stores.meters.create(
          partnerId,
          {
            propertyId: property.id,
            ...(unitId === undefined ? {} : { unitId }),
            kind: 'water-meter',
            manufacturer: 'KAM',
            meterId: String(41_000_000 + places * 10 + n),
            deviceVersion: 1,
            deviceType: 7,
            installedAt: '2024-01-01T00:00:00Z',
          },
          seeder,
        );
        return {
          id: created.id,
          partnerId,
          organisationId: tree.o1.id,
          propertyId: property.id,
          ...(unitId === undefined ? {} : { unitId }),
        };
      };
      return {
        property,
        u1,
        u2,
        inU1: await meter(1, u1.id),
        inU2: await meter(2, u2.id),
        building: await meter(3),
      };
    }

    it('replays exactly the readings it missed, in id order across meters, then goes on live', async () => {
      const place = await newPlace();
      const operator = await as('operator');
      const query = `propertyId=${place.property.id}`;
      const first = await open(query, operator);
      const seen = fresh(place.inU1, ago(60));
      await ingest(seen);
      await first.next(isReading(seen.digest));
      first.close();

      // While the client is away: readings of two meters, and one of another operator's
      // (a meter whose transfer is in flight), which the live stream would not send either.
      const missed = [
        fresh(place.building, ago(50)),
        fresh(place.inU1, ago(45)),
        fresh(place.inU2, ago(40)),
      ];
      const foreign = fresh({ ...place.inU2, organisationId: tree.o2.id }, ago(42));
      await ingest(missed[2]!, foreign, missed[0]!, missed[1]!);

      const resumed = await open(query, { ...operator, 'last-event-id': idOf(seen) });
      expect(resumed.status).toBe(200);
      await resumed.next(isReading(missed[2]!.digest));
      const live = fresh(place.building);
      await ingest(live);
      await resumed.next(isReading(live.digest));
      expect(readingIds(resumed)).toEqual([...missed.map(idOf), idOf(live)]);
      // The replay is sent as the live events are.
      const replayed = resumed.received().find(isReading(missed[1]!.digest))!;
      const { partnerId: _p, organisationId: _o, ...shown } = missed[1]!;
      expect(JSON.parse(replayed.data!)).toEqual(shown);
      resumed.close();
    });

    it('sends a reading stored during the replay once, whether the store or the hub has it first', async () => {
      const place = await newPlace();
      const seen = fresh(place.inU1, ago(30));
      await ingest(seen);
      // Stored and told while the replay reads: the replay has it, its live copy is dropped.
      const both = fresh(place.inU1, ago(20));
      // Told while the replay reads, stored only after the read: its live copy is what comes.
      const liveOnly = fresh(place.inU1, ago(10));
      duringReplay = async () => {
        await ingest(both);
        hub.publish([liveOnly]);
      };
      const stream = await open(`meterId=${place.inU1.id}`, {
        ...(await as('operator')),
        'last-event-id': idOf(seen),
      });
      expect(duringReplay).toBeNull();
      await store.write({ readings: [liveOnly], receptions: [], days: [], rejected: [] });
      const after = fresh(place.inU1);
      await ingest(after);
      await stream.next(isReading(after.digest));
      expect(readingIds(stream)).toEqual([idOf(both), idOf(liveOnly), idOf(after)]);
      stream.close();
    });

    it('tells the client to re-sync when the id is too old, not ours, or too much was missed', async () => {
      const place = await newPlace();
      const operator = await as('operator');
      const query = `meterId=${place.inU1.id}`;
      const old = fresh(place.inU1, ago(16 * 60));
      const start = fresh(place.inU1, ago(120));
      // One more than this app replays (5).
      const six = Array.from({ length: 6 }, (_, i) => fresh(place.inU1, ago(100 - i * 10)));
      await ingest(old, start, ...six);

      // Exactly the bound: replayed.
      const bounded = await open(query, { ...operator, 'last-event-id': idOf(six[0]!) });
      await bounded.next(isReading(six[5]!.digest));
      expect(readingIds(bounded)).toEqual(six.slice(1).map(idOf));
      bounded.close();

      const cases: Array<[string, string]> = [
        [idOf(start), 'too-many'],
        [idOf(old), 'out-of-window'],
        [`${new Date(Date.now() + 16 * 60_000).toISOString()}#ahead`, 'out-of-window'],
        ['2025-02-30T25:00:00.000Z#x', 'invalid-id'],
        ['not-an-id', 'invalid-id'],
      ];
      for (const [lastEventId, reason] of cases) {
        const stream = await open(query, { ...operator, 'last-event-id': lastEventId });
        expect(stream.status, lastEventId).toBe(200);
        const reset = await stream.next((e) => e.event === 'reset');
        expect(JSON.parse(reset.data!), lastEventId).toEqual({ reason });
        // Then live, and nothing replayed before it.
        const live = fresh(place.inU1);
        await ingest(live);
        await stream.next(isReading(live.digest));
        expect(
          stream
            .received()
            .filter((e) => e.event !== undefined)
            .map((e) => (e.event === 'reading' ? e.id : e.event)),
          lastEventId,
        ).toEqual(['reset', idOf(live)]);
        stream.close();
      }
    });

    it('resumes a tenant with its own unit’s readings only', async () => {
      const place = await newPlace();
      const tenant = await kit.bearer(
        tree.partnerId,
        [{ role: 'tenant', partnerId: tree.partnerId, unitId: place.u1.id }],
        'tenant-1',
      );
      const seen = fresh(place.inU1, ago(60));
      const ours = fresh(place.inU1, ago(50));
      await ingest(seen, ours, fresh(place.inU2, ago(45)), fresh(place.building, ago(40)));

      const stream = await open(`unitId=${place.u1.id}`, {
        ...tenant,
        'last-event-id': idOf(seen),
      });
      await stream.next(isReading(ours.digest));
      const live = fresh(place.inU1);
      await ingest(fresh(place.inU2), live);
      await stream.next(isReading(live.digest));
      expect(readingIds(stream)).toEqual([idOf(ours), idOf(live)]);
      stream.close();

      // The neighbours' unit: refused before anything is read.
      const refused = await open(`unitId=${place.u2.id}`, {
        ...tenant,
        'last-event-id': idOf(seen),
      });
      expect(refused.status).toBe(403);
    });

    it('resumes a landlord with the building’s meters only, from the query when no header says', async () => {
      const place = await newPlace();
      const landlord = await kit.bearer(tree.partnerId, [
        { role: 'landlord', partnerId: tree.partnerId, propertyId: place.property.id },
      ]);
      const seen = fresh(place.building, ago(60));
      const building = fresh(place.building, ago(40));
      await ingest(seen, fresh(place.inU1, ago(50)), building);
      const query = `propertyId=${place.property.id}&lastEventId=${encodeURIComponent(idOf(seen))}`;

      const stream = await open(query, landlord);
      await stream.next(isReading(building.digest));
      const live = fresh(place.building);
      await ingest(fresh(place.inU1), live);
      await stream.next(isReading(live.digest));
      expect(readingIds(stream)).toEqual([idOf(building), idOf(live)]);
      stream.close();

      // A reconnecting EventSource keeps its URL and sends the header: the header wins.
      const again = await open(query, { ...landlord, 'last-event-id': idOf(building) });
      await again.next(isReading(live.digest));
      const next = fresh(place.building);
      await ingest(next);
      await again.next(isReading(next.digest));
      expect(readingIds(again)).toEqual([idOf(live), idOf(next)]);
      again.close();
    });
  });
});
