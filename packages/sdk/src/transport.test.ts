import { afterEach, describe, expect, it } from 'vitest';
import { demo } from '../test/demo-context.js';
import { startFaultyProxy, type FaultyProxy, type ProxyAction } from '../test/faulty-proxy.js';
import { createClient } from './client.js';
import { isZaehlwerkError, type ZaehlwerkError } from './errors.js';

async function failureOf(promise: Promise<unknown>): Promise<ZaehlwerkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isZaehlwerkError(error)) throw new Error(`expected a ZaehlwerkError, got ${String(error)}`);
  return error;
}

const FORWARD: ProxyAction = { kind: 'forward' };
const UNAVAILABLE = (headers: Record<string, string> = {}): ProxyAction => ({
  kind: 'answer',
  status: 503,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({
    error: { code: 'SERVICE_UNAVAILABLE', message: 'busy', requestId: 'req-proxy' },
  }),
});

/** The first `n` requests get `fault`, the rest reach the server. */
const firstFaulty =
  (n: number, fault: ProxyAction) =>
  (_request: unknown, i: number): ProxyAction =>
    i < n ? fault : FORWARD;

describe('retries through a faulty proxy in front of the real server', () => {
  let proxy: FaultyProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  function clientVia(p: FaultyProxy, sleeps: number[], extra: { timeoutMs?: number } = {}) {
    return createClient({
      baseUrl: p.url,
      apiKey: demo().apiKey,
      retryPolicy: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
      ...extra,
    });
  }

  it('retries a GET after 503s, waiting as Retry-After says (seconds)', async () => {
    proxy = await startFaultyProxy(demo().url, firstFaulty(2, UNAVAILABLE({ 'retry-after': '3' })));
    const sleeps: number[] = [];
    const me = await clientVia(proxy, sleeps).get('/v1/me');
    expect(me.kind).toBe('api-key');
    expect(proxy.seen).toHaveLength(3);
    expect(sleeps).toEqual([3000, 3000]);
  });

  it('retries after a 429 with an HTTP-date Retry-After, and with backoff when there is none', async () => {
    const at = new Date(Date.now() + 7000).toUTCString();
    proxy = await startFaultyProxy(demo().url, (_r, i) =>
      i === 0
        ? { kind: 'answer', status: 429, headers: { 'retry-after': at } }
        : i === 1
          ? { kind: 'answer', status: 503 }
          : FORWARD,
    );
    const sleeps: number[] = [];
    await clientVia(proxy, sleeps).get('/v1/me');
    expect(sleeps).toHaveLength(2);
    // The date has whole seconds: between 5 and 7 s from now.
    expect(sleeps[0]).toBeGreaterThan(5000);
    expect(sleeps[0]).toBeLessThanOrEqual(7000);
    // Full jitter at 0.5 on the second step (500 ms doubled).
    expect(sleeps[1]).toBe(500);
  });

  it('gives up after `retries` with the last answer as a typed error', async () => {
    proxy = await startFaultyProxy(demo().url, () => UNAVAILABLE({ 'retry-after': '1' }));
    const sleeps: number[] = [];
    const error = await failureOf(clientVia(proxy, sleeps).get('/v1/me', { retries: 3 }));
    expect(error).toMatchObject({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      requestId: 'req-proxy',
      retryAfterMs: 1000,
    });
    expect(proxy.seen).toHaveLength(4);

    // A proxy's bare 503 page still says SERVICE_UNAVAILABLE; another status, UNEXPECTED_RESPONSE.
    await proxy.close();
    proxy = await startFaultyProxy(demo().url, (_r, i) => ({
      kind: 'answer',
      status: i === 0 ? 503 : 502,
      body: '<html>Bad gateway</html>',
    }));
    const bare = await failureOf(clientVia(proxy, []).get('/v1/me', { retries: 0 }));
    expect(bare).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    const other = await failureOf(clientVia(proxy, []).get('/v1/me'));
    expect(other).toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE' });
    expect(other.message).toContain('Bad gateway');
  });

  it('does not retry a POST without an idempotency key; with one it does, sending the body again', async () => {
    const propertyId = demo().propertyId;
    proxy = await startFaultyProxy(demo().url, (request) =>
      request.method === 'POST' && !proxy!.seen.some((s) => s.method === 'POST')
        ? UNAVAILABLE({ 'retry-after': '1' })
        : FORWARD,
    );
    const sleeps: number[] = [];
    const zw = clientVia(proxy, sleeps);
    const unit = { livingAreaM2: 40, heatedAreaM2: 40 };

    const refused = await failureOf(
      zw.post('/v1/properties/{propertyId}/units', {
        params: { path: { propertyId } },
        body: { name: 'Retry A', ...unit },
      }),
    );
    expect(refused.code).toBe('SERVICE_UNAVAILABLE');
    expect(proxy.seen.map((s) => s.method)).toEqual(['POST']);
    expect(sleeps).toEqual([]);

    // Reset: the next POST is the first again.
    proxy.seen.length = 0;
    const created = await zw.post('/v1/properties/{propertyId}/units', {
      params: { path: { propertyId } },
      body: { name: 'Retry B', ...unit },
      idempotencyKey: 'create-unit-retry-b',
    });
    expect(created.name).toBe('Retry B');
    expect(proxy.seen.map((s) => s.method)).toEqual(['POST', 'POST']);
    expect(proxy.seen.map((s) => s.headers['idempotency-key'])).toEqual([
      'create-unit-retry-b',
      'create-unit-retry-b',
    ]);
    expect(sleeps).toEqual([1000]);
    const stored = await zw.get('/v1/units/{unitId}', { params: { path: { unitId: created.id } } });
    expect(stored.name).toBe('Retry B');
  });

  it('retries a GET after a dropped connection, and a POST only with an idempotency key', async () => {
    proxy = await startFaultyProxy(demo().url, firstFaulty(1, { kind: 'drop' }));
    const sleeps: number[] = [];
    const zw = clientVia(proxy, sleeps);
    expect((await zw.get('/v1/me')).kind).toBe('api-key');
    expect(proxy.seen).toHaveLength(2);
    expect(sleeps).toEqual([250]);

    await proxy.close();
    proxy = await startFaultyProxy(demo().url, firstFaulty(1, { kind: 'drop' }));
    const body = { name: 'Dropped', livingAreaM2: 30, heatedAreaM2: 30 };
    const params = { path: { propertyId: demo().propertyId } };
    const dropped = await failureOf(
      clientVia(proxy, []).post('/v1/properties/{propertyId}/units', { params, body }),
    );
    expect(dropped).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(proxy.seen).toHaveLength(1);

    await proxy.close();
    proxy = await startFaultyProxy(demo().url, firstFaulty(1, { kind: 'drop' }));
    const created = await clientVia(proxy, []).post('/v1/properties/{propertyId}/units', {
      params,
      body,
      idempotencyKey: 'dropped-unit',
    });
    expect(created.name).toBe('Dropped');
    expect(proxy.seen).toHaveLength(2);
  });

  it('ends a wait between attempts on abort (ABORTED) and on timeout (TIMEOUT)', async () => {
    proxy = await startFaultyProxy(demo().url, () => UNAVAILABLE({ 'retry-after': '10' }));
    // Real waits here: the call must end long before the 10 s.
    const zw = createClient({ baseUrl: proxy.url, apiKey: demo().apiKey });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    expect(await failureOf(zw.get('/v1/me', { signal: controller.signal }))).toMatchObject({
      code: 'ABORTED',
    });
    expect(await failureOf(zw.get('/v1/me', { timeoutMs: 300 }))).toMatchObject({
      code: 'TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
