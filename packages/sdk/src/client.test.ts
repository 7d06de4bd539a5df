import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { demo } from '../test/demo-context.js';
import { createClient } from './client.js';
import { isZaehlwerkError, ZaehlwerkError } from './errors.js';
import type { TokenPair } from './models.js';

/** The error a promise rejects with (the test fails when it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<ZaehlwerkError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  expect(isZaehlwerkError(outcome.error)).toBe(true);
  return outcome.error as ZaehlwerkError;
}

/** A fetch that counts what goes through it to the real one. */
function countingFetch() {
  const seen: { method: string; url: URL; headers: Headers }[] = [];
  const fetchThrough: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    seen.push({ method: request.method, url: new URL(request.url), headers: request.headers });
    return fetch(input, init);
  };
  return { seen, fetch: fetchThrough };
}

describe('createClient against the real server', () => {
  it('reads the health without credentials, typed', async () => {
    const zw = createClient({ baseUrl: `${demo().url}/` });
    const health = await zw.get('/health');
    expect(health.status).toBe('ok');
    expect(health.checks.table.status).toBe('ok');
  });

  it('signs calls with the API key', async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const me = await zw.get('/v1/me');
    expect(me.kind).toBe('api-key');
    expect(me.grants).toContainEqual(
      expect.objectContaining({ role: 'operator', organisationId: demo().organisationId }),
    );
    const meter = await zw.get('/v1/meters/{meterId}', {
      params: { path: { meterId: demo().meterIds[0]! } },
    });
    expect(meter.id).toBe(demo().meterIds[0]);
  });

  it("throws the API's error with its code, status and request id", async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const notFound = await failureOf(
      zw.get('/v1/meters/{meterId}', { params: { path: { meterId: 'met_doesNotExist' } } }),
    );
    expect(notFound).toBeInstanceOf(ZaehlwerkError);
    expect(notFound).toMatchObject({ name: 'ZaehlwerkError', status: 404, code: 'NOT_FOUND' });
    expect(notFound.requestId).toMatch(/\S/);
    expect(notFound.message).toMatch(/\S/);

    const invalid = await failureOf(
      zw.get('/v1/meters/{meterId}/readings', {
        params: { path: { meterId: demo().meterIds[0]! }, query: { limit: 1000 } },
      }),
    );
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(invalid.details).toContainEqual(expect.objectContaining({ path: '/querystring/limit' }));

    const anonymous = createClient({ baseUrl: demo().url });
    expect(await failureOf(anonymous.get('/v1/me'))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('keeps the raw { data, error, response } calls, which do not throw for answers', async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const { data, error, response } = await zw.raw.GET('/v1/meters/{meterId}', {
      params: { path: { meterId: 'met_doesNotExist' } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error?.error.code).toBe('NOT_FOUND');
    const ok = await zw.raw.GET('/v1/me');
    expect(ok.data?.kind).toBe('api-key');
  });

  it('sends its headers through the given fetch', async () => {
    const counted = countingFetch();
    const zw = createClient({
      baseUrl: demo().url,
      headers: { 'accept-language': 'de' },
      fetch: counted.fetch,
    });
    await zw.get('/health');
    expect(
      counted.seen.map((r) => `${r.headers.get('accept-language')} ${r.url.pathname}`),
    ).toEqual(['de /health']);
  });

  it('signs in, signs calls with the access token, hands out the pair, and signs out', async () => {
    const kept: TokenPair[] = [];
    const zw = createClient({ baseUrl: demo().url, onTokens: (tokens) => void kept.push(tokens) });
    const tokens = await zw.login(demo().operator);
    expect(tokens.tokenType).toBe('Bearer');
    expect(kept).toEqual([tokens]);
    const me = await zw.get('/v1/me');
    expect(me.kind).toBe('user');

    // A second client resumes the session from the stored pair.
    const resumed = createClient({
      baseUrl: demo().url,
      token: tokens.accessToken,
      refreshToken: tokens.refreshToken,
    });
    expect((await resumed.get('/v1/me')).subject).toBe(me.subject);

    await zw.logout();
    expect(await failureOf(zw.get('/v1/me'))).toMatchObject({ code: 'UNAUTHENTICATED' });
    // The session ended on the server: its refresh token no longer works.
    const anonymous = createClient({ baseUrl: demo().url });
    expect(
      await failureOf(
        anonymous.post('/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } }),
      ),
    ).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses a wrong password with INVALID_CREDENTIALS and does not become signed in', async () => {
    const zw = createClient({ baseUrl: demo().url });
    const error = await failureOf(zw.login({ ...demo().operator, password: 'not-the-password' }));
    expect(error).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect(await failureOf(zw.get('/v1/me'))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses two credentials, and login on an API key client', async () => {
    expect(() =>
      createClient({ baseUrl: demo().url, apiKey: 'zwk_x', token: 'y' } as never),
    ).toThrow(TypeError);
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    await expect(zw.login(demo().operator)).rejects.toThrow(TypeError);
  });

  it('iterates a list across its pages, asking for each page with the cursor', async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    const property = await zw.post('/v1/properties', {
      body: {
        organisationId: demo().organisationId,
        name: 'Paging test',
        address: { street: 'Seitenweg 7', postalCode: '12345', city: 'Musterstadt', country: 'DE' },
        heatingSystem: { kind: 'central', warmWaterCentral: false },
      },
    });
    const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((n) => `WE ${n}`);
    for (const name of names) {
      await zw.post('/v1/properties/{propertyId}/units', {
        params: { path: { propertyId: property.id } },
        body: { name, livingAreaM2: 50, heatedAreaM2: 50 },
      });
    }

    const counted = countingFetch();
    const paging = createClient({
      baseUrl: demo().url,
      apiKey: demo().apiKey,
      fetch: counted.fetch,
    });
    const seen: string[] = [];
    for await (const unit of paging.paginate('/v1/properties/{propertyId}/units', {
      params: { path: { propertyId: property.id }, query: { limit: 3 } },
    })) {
      seen.push(unit.name);
    }
    expect(seen.sort()).toEqual(names);
    expect(counted.seen).toHaveLength(3);
    expect(counted.seen[0]!.url.searchParams.get('cursor')).toBeNull();
    expect(counted.seen[1]!.url.searchParams.get('cursor')).toMatch(/\S/);
    expect(counted.seen.every((r) => r.url.searchParams.get('limit') === '3')).toBe(true);

    // Stopped between pages: the next page is not asked for.
    const controller = new AbortController();
    const partial: string[] = [];
    const stopped = (async () => {
      for await (const unit of paging.paginate('/v1/properties/{propertyId}/units', {
        params: { path: { propertyId: property.id }, query: { limit: 3 } },
        signal: controller.signal,
      })) {
        partial.push(unit.name);
        if (partial.length === 3) controller.abort();
      }
    })();
    expect(await failureOf(stopped)).toMatchObject({ code: 'ABORTED' });
    expect(partial).toHaveLength(3);
    expect(counted.seen).toHaveLength(4);
  });

  it('reports the caller’s abort as ABORTED and a slow answer as TIMEOUT', async () => {
    const zw = createClient({ baseUrl: demo().url, apiKey: demo().apiKey });
    // The live stream's body never ends: the call waits on it until stopped.
    const stream = { params: { query: { propertyId: demo().propertyId } } } as const;

    const before = new AbortController();
    before.abort();
    expect(await failureOf(zw.get('/health', { signal: before.signal }))).toMatchObject({
      code: 'ABORTED',
      status: 0,
    });

    const during = new AbortController();
    setTimeout(() => during.abort(), 300);
    const started = Date.now();
    expect(await failureOf(zw.get('/v1/live', { ...stream, signal: during.signal }))).toMatchObject(
      { code: 'ABORTED' },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const slow = Date.now();
    expect(await failureOf(zw.get('/v1/live', { ...stream, timeoutMs: 400 }))).toMatchObject({
      code: 'TIMEOUT',
      status: 0,
    });
    expect(Date.now() - slow).toBeGreaterThanOrEqual(350);

    const patient = createClient({ baseUrl: demo().url, apiKey: demo().apiKey, timeoutMs: 300 });
    expect(await failureOf(patient.get('/v1/live', stream))).toMatchObject({ code: 'TIMEOUT' });
  });

  it('reports an unreachable API as NETWORK_ERROR after its retries', async () => {
    // A port that was free a moment ago: connections to it are refused.
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const sleeps: number[] = [];
    const zw = createClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retryPolicy: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    });
    const error = await failureOf(zw.get('/health'));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(error.message).toMatch(/ECONNREFUSED/);
    // Two retries with full jitter at 0.5: half of 500 ms, then half of 1000 ms.
    expect(sleeps).toEqual([250, 500]);
  });
});
