import { afterEach, describe, expect, it } from 'vitest';
import { demo } from '../test/demo-context.js';
import { startFaultyProxy, type FaultyProxy } from '../test/faulty-proxy.js';
import { createClient } from './client.js';
import { isZaehlwerkError } from './errors.js';
import type { LiveEvent } from './live.js';

/** The first `count` events of an iterator, then it is left (which closes the stream). */
async function take(events: AsyncIterable<LiveEvent>, count: number): Promise<LiveEvent[]> {
  const taken: LiveEvent[] = [];
  for await (const event of events) {
    taken.push(event);
    if (taken.length === count) break;
  }
  return taken;
}

/** Events until the first reading (a server with replay may first send `reset`). */
async function untilReading(events: AsyncIterable<LiveEvent>): Promise<LiveEvent[]> {
  const taken: LiveEvent[] = [];
  for await (const event of events) {
    taken.push(event);
    if (event.type === 'reading') break;
  }
  return taken;
}

const readingOf = (event: LiveEvent | undefined) => {
  if (event?.type !== 'reading')
    throw new Error(`expected a reading, got ${JSON.stringify(event)}`);
  return event;
};

/**
 * The shared demo platform's simulated gateway sends its 40 meters' telegrams
 * every few seconds; the ingest decrypts and stores them, and the stream
 * carries each new reading.
 */
// Readings come every few seconds; a busy machine (the whole repository's tests at once) slows them.
describe('live readings (GET /v1/live) as an async iterator', { timeout: 90_000 }, () => {
  let proxy: FaultyProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('yields readings as they are ingested, the same ones that are then stored', async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const [event] = await take(zw.live({ propertyId: demo().propertyId }), 1);
    const { id, reading } = readingOf(event);
    expect(demo().meterIds).toContain(reading.meterId);
    expect(reading.propertyId).toBe(demo().propertyId);
    expect(id).toBe(`${reading.at}#${reading.digest}`);

    const stored = await zw.get('/v1/meters/{meterId}/readings', {
      params: { path: { meterId: reading.meterId }, query: { order: 'desc', limit: 100 } },
    });
    expect(stored.items.map((r) => r.digest)).toContain(reading.digest);
  });

  it('ends quietly when its signal aborts, without connecting again', async () => {
    proxy = await startFaultyProxy(demo().url, () => ({ kind: 'forward' }));
    const zw = createClient({
      baseUrl: proxy.url,
      apiKey: demo().apiKey,
      headers: { 'accept-language': 'pl' },
    });
    const controller = new AbortController();
    const events: LiveEvent[] = [];
    for await (const event of zw.live({
      propertyId: demo().propertyId,
      signal: controller.signal,
    })) {
      events.push(event);
      controller.abort();
    }
    expect(events).toHaveLength(1);
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]!.headers).toMatchObject({
      accept: 'text/event-stream',
      'accept-language': 'pl',
      'x-api-key': demo().apiKey,
    });
  });

  it('reconnects after the connection drops, sending the last event id', async () => {
    // The first stream is cut after its first event, the second goes through.
    proxy = await startFaultyProxy(demo().url, (_r, i) =>
      i === 0 ? { kind: 'forward', cutAfterEvents: 1 } : { kind: 'forward' },
    );
    const sleeps: number[] = [];
    const zw = createClient({
      baseUrl: proxy.url,
      apiKey: demo().apiKey,
      retryPolicy: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    });
    const events = await take(zw.live({ propertyId: demo().propertyId }), 2);
    expect(events.map((e) => e.type)).toEqual(['reading', 'reading']);
    expect(proxy.seen).toHaveLength(2);
    expect(proxy.seen[0]!.headers['last-event-id']).toBeUndefined();
    expect(proxy.seen[1]!.headers['last-event-id']).toBe(readingOf(events[0]).id);
    expect(proxy.seen[1]!.path).toBe(`/v1/live?propertyId=${demo().propertyId}`);
    // Backoff from the server's `retry: 5000`, with full jitter at 0.5.
    expect(sleeps).toEqual([2500]);
  });

  it('replaces a connection that stays silent, and retries a 503 as Retry-After says', async () => {
    proxy = await startFaultyProxy(demo().url, (_r, i) =>
      i === 0
        ? { kind: 'silent-stream' }
        : i === 1
          ? { kind: 'answer', status: 503, headers: { 'retry-after': '2' } }
          : { kind: 'forward' },
    );
    const sleeps: number[] = [];
    const zw = createClient({
      baseUrl: proxy.url,
      apiKey: demo().apiKey,
      retryPolicy: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    });
    // Readings come every few seconds: a forwarded stream may be replaced too before one comes.
    const events = await untilReading(
      zw.live({ propertyId: demo().propertyId, idleTimeoutMs: 1000, lastEventId: 'resume-here' }),
    );
    expect(events.at(-1)?.type).toBe('reading');
    expect(proxy.seen.length).toBeGreaterThanOrEqual(3);
    // No event came before the last connection, so each resumes where the caller said.
    expect(new Set(proxy.seen.map((s) => s.headers['last-event-id']))).toEqual(
      new Set(['resume-here']),
    );
    // After the silent one: backoff (500 ms step, jitter 0.5); after the 503: its 2 s.
    expect(sleeps.slice(0, 2)).toEqual([250, 2000]);
  });

  it('yields the server’s reset and overflow events, skips unknown ones, and reconnects after the end', async () => {
    const stream =
      'retry: 10\n\n' +
      'event: reset\ndata: {"reason":"invalid-id"}\n\n' +
      'event: of-a-later-version\ndata: {}\n\n' +
      ': keep-alive\n\n' +
      'event: overflow\ndata: {"reason":"too-slow"}\n\n';
    proxy = await startFaultyProxy(demo().url, (_r, i) =>
      i === 0
        ? {
            kind: 'answer',
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
            body: stream,
          }
        : { kind: 'forward' },
    );
    const sleeps: number[] = [];
    const zw = createClient({
      baseUrl: proxy.url,
      apiKey: demo().apiKey,
      retryPolicy: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    });
    const events = await untilReading(zw.live({ propertyId: demo().propertyId }));
    expect(events.slice(0, 2)).toEqual([
      { type: 'reset', id: undefined, reason: 'invalid-id' },
      { type: 'overflow', id: undefined, reason: 'too-slow' },
    ]);
    // The stream ended after the overflow; the next connection brought the reading.
    expect(events.at(-1)?.type).toBe('reading');
    expect(proxy.seen.length).toBeGreaterThanOrEqual(2);
    // Full jitter on a first step of the server's `retry: 10`.
    expect(sleeps[0]).toBe(5);
  });

  it('asks for alarms when told to and yields them with what changed', async () => {
    const alarm = {
      id: 'leak.2025-03-01T10:15:00.000Z',
      meterId: 'met_1',
      propertyId: 'prop_1',
      kind: 'water-meter',
      code: 'leak',
      severity: 'critical',
      source: 'meter',
      since: '2025-03-01T10:15:00.000Z',
      clearedAt: null,
      acknowledged: null,
    };
    proxy = await startFaultyProxy(demo().url, (_r, i) =>
      i === 0
        ? {
            kind: 'answer',
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
            body: `event: alarm\ndata: ${JSON.stringify({ type: 'raised', ...alarm })}\n\n`,
          }
        : { kind: 'forward' },
    );
    const zw = createClient({
      baseUrl: proxy.url,
      apiKey: demo().apiKey,
      retryPolicy: { sleep: async () => undefined },
    });
    const events = await untilReading(zw.live({ propertyId: demo().propertyId, alarms: true }));
    expect(events[0]).toEqual({ type: 'alarm', change: 'raised', alarm });
    expect(new URL(proxy.seen[0]!.path, proxy.url).searchParams.get('alarms')).toBe('true');
    // The real server accepts the query too: the reconnect through it brought a reading.
    expect(events.at(-1)?.type).toBe('reading');
  });

  it('waits as the server’s `retry:` says before it reconnects', async () => {
    proxy = await startFaultyProxy(demo().url, (_r, i) =>
      i === 0
        ? {
            kind: 'answer',
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
            body: 'retry: 800\n\n',
          }
        : { kind: 'forward' },
    );
    const sleeps: number[] = [];
    const zw = createClient({
      baseUrl: proxy.url,
      apiKey: demo().apiKey,
      retryPolicy: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    });
    await untilReading(zw.live({ propertyId: demo().propertyId }));
    // Full jitter on a first step of the server's 800 ms.
    expect(sleeps[0]).toBe(400);
  });

  it('ends with a typed error when the server refuses the stream', async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const failure = await take(zw.live({ unitId: 'unit_doesNotExist' }), 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isZaehlwerkError(failure)).toBe(true);
    expect(failure).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const anonymous = createClient({ baseUrl: demo().url });
    await expect(take(anonymous.live({ propertyId: demo().propertyId }), 1)).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });
});
