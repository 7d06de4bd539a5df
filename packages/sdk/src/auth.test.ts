import { parseConfig, startPlatform, type Platform } from '@zaehlwerk/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { isZaehlwerkError, type ZaehlwerkError } from './errors.js';
import type { TokenPair } from './models.js';

/** A fetch that records every request and the status it got, on its way to the real one. */
function recordingFetch() {
  const log: string[] = [];
  const fetchThrough: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(input, init);
    log.push(`${request.method} ${new URL(request.url).pathname} ${response.status}`);
    return response;
  };
  return { log, fetch: fetchThrough };
}

async function failureOf(promise: Promise<unknown>): Promise<ZaehlwerkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isZaehlwerkError(error)) throw new Error(`expected a ZaehlwerkError, got ${String(error)}`);
  return error;
}

/**
 * Sessions against a platform of their own: the tests set its sign-in clock
 * back, so that it issues access tokens that have already expired (they live
 * 15 minutes), while refresh tokens stay valid for days.
 */
describe('user sessions: refresh of an expired access token', () => {
  let platform: Platform;
  let operator: { email: string; password: string; partner: string };

  beforeAll(async () => {
    platform = await startPlatform(
      parseConfig(
        ['--port', '0', '--mqtt-port', '0', '--log-level', 'silent', '--demo', 'true'],
        {},
      ),
    );
    const demo = platform.demo!;
    const partner = demo.partners.find((p) => p.partnerId === demo.ids.demoPartnerId)!;
    const user = partner.users.find((u) => u.role === 'operator')!;
    operator = { email: user.email, password: user.password, partner: partner.partnerId };
  });
  afterAll(() => platform?.close());

  /** Signs in with the server's clock 20 minutes back: the access token is expired on arrival. */
  async function expiredLogin(zw: ReturnType<typeof createClient>): Promise<TokenPair> {
    const sessions = platform.services.auth.sessions;
    sessions.now = () => new Date(Date.now() - 20 * 60_000);
    try {
      return await zw.login(operator);
    } finally {
      delete sessions.now;
    }
  }

  it('refreshes once on UNAUTHENTICATED, retries the call, and hands out the new pair', async () => {
    const recorded = recordingFetch();
    const kept: TokenPair[] = [];
    const zw = createClient({
      baseUrl: platform.url,
      fetch: recorded.fetch,
      onTokens: (tokens) => void kept.push(tokens),
    });
    const first = await expiredLogin(zw);
    expect(
      await failureOf(
        createClient({ baseUrl: platform.url, token: first.accessToken }).get('/v1/me'),
      ),
    ).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });

    const me = await zw.get('/v1/me');
    expect(me.kind).toBe('user');
    expect(recorded.log).toEqual([
      'POST /v1/auth/login 200',
      'GET /v1/me 401',
      'POST /v1/auth/refresh 200',
      'GET /v1/me 200',
    ]);
    expect(kept).toHaveLength(2);
    expect(kept[1]!.refreshToken).not.toBe(first.refreshToken);
    // The new access token is used from now on, without another refresh.
    await zw.get('/v1/me');
    expect(recorded.log.slice(4)).toEqual(['GET /v1/me 200']);
  });

  it('shares one refresh among concurrent calls (a refresh token works once)', async () => {
    const recorded = recordingFetch();
    const zw = createClient({ baseUrl: platform.url, fetch: recorded.fetch });
    await expiredLogin(zw);
    const all = await Promise.all(Array.from({ length: 5 }, () => zw.get('/v1/me')));
    expect(all.map((me) => me.kind)).toEqual(['user', 'user', 'user', 'user', 'user']);
    expect(recorded.log.filter((line) => line.startsWith('POST /v1/auth/refresh'))).toEqual([
      'POST /v1/auth/refresh 200',
    ]);
  });

  it('resumes a session from its refresh token alone', async () => {
    const signIn = createClient({ baseUrl: platform.url });
    const tokens = await expiredLogin(signIn);
    const kept: TokenPair[] = [];
    const zw = createClient({
      baseUrl: platform.url,
      refreshToken: tokens.refreshToken,
      onTokens: (t) => void kept.push(t),
    });
    expect((await zw.get('/v1/me')).kind).toBe('user');
    expect(kept).toHaveLength(1);
  });

  it('gives up with UNAUTHENTICATED when the refresh is refused, and does not try again', async () => {
    const signIn = createClient({ baseUrl: platform.url });
    const tokens = await expiredLogin(signIn);
    const recorded = recordingFetch();
    const zw = createClient({
      baseUrl: platform.url,
      fetch: recorded.fetch,
      token: tokens.accessToken,
      refreshToken: 'not-a-refresh-token',
    });
    expect(await failureOf(zw.get('/v1/me'))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(await failureOf(zw.get('/v1/me'))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(recorded.log).toEqual(['GET /v1/me 401', 'POST /v1/auth/refresh 401', 'GET /v1/me 401']);
  });

  // Last: it uses up the sign-in rate limit of this platform (10 a minute per address).
  it('does not retry a POST after 429 without an idempotency key, and honours Retry-After with one', async () => {
    const anonymous = createClient({ baseUrl: platform.url });
    const wrong = { ...operator, password: 'wrong-password' };
    let limited: ZaehlwerkError | undefined;
    for (let i = 0; i < 12 && limited === undefined; i++) {
      const error = await failureOf(anonymous.post('/v1/auth/login', { body: wrong }));
      if (error.code === 'RATE_LIMITED') limited = error;
    }
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(limited!.retryAfterMs).toBeGreaterThan(0);

    const sleeps: number[] = [];
    const recorded = recordingFetch();
    const zw = createClient({
      baseUrl: platform.url,
      fetch: recorded.fetch,
      retryPolicy: { maxDelayMs: 120_000, sleep: async (ms) => void sleeps.push(ms) },
    });
    expect(await failureOf(zw.post('/v1/auth/login', { body: wrong }))).toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(recorded.log).toEqual(['POST /v1/auth/login 429']);
    expect(sleeps).toEqual([]);

    const keyed = await failureOf(
      zw.post('/v1/auth/login', { body: wrong, idempotencyKey: 'login-attempt-1' }),
    );
    expect(keyed.code).toBe('RATE_LIMITED');
    expect(recorded.log.slice(1)).toEqual([
      'POST /v1/auth/login 429',
      'POST /v1/auth/login 429',
      'POST /v1/auth/login 429',
    ]);
    // Waited as the server asked (whole seconds), before each of the two retries.
    expect(sleeps).toHaveLength(2);
    for (const ms of sleeps) {
      expect(ms % 1000).toBe(0);
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(60_000);
    }

    // A wait longer than the client's limit is not waited for: the answer comes at once.
    const impatient = createClient({
      baseUrl: platform.url,
      retryPolicy: { maxDelayMs: 10, sleep: async (ms) => void sleeps.push(ms) },
    });
    const early = await failureOf(
      impatient.post('/v1/auth/login', { body: wrong, idempotencyKey: 'login-attempt-2' }),
    );
    expect(early.code).toBe('RATE_LIMITED');
    expect(sleeps).toHaveLength(2);
  });
});
