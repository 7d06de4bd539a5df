import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRing } from '../src/auth/signing-keys.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import liveRoutes from '../src/http/routes/live.js';
import { LiveHub } from '../src/ingest/live-hub.js';
import type { Reading } from '../src/ingest/ingest-store.js';
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

  beforeAll(async () => {
    hub = new LiveHub({ maxQueue: 5 });
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
  // One stream is still open here on purpose: closing the app must end it, not wait for it.
  afterAll(() => kit?.close());

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
    await stream.next((e) => e.event === 'overflow', 1000);
    await stream.ended;
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
    await open(`unitId=${tree.u1.id}`, await as('operator'));
  });
});
