import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { AccessRule, AccessTableEntry } from '../src/http/plugins/auth.js';
import {
  fixturesOf,
  FIXTURES,
  NOWHERE,
  PARTNER_ROLES,
  startMatrixWorld,
  type Caller,
  type EmbedCredential,
  type Fixture,
  type MatrixWorld,
  type World,
} from './cross-tenant-fixtures.js';
import { useDynaliteTable } from './ports/dynalite-table.js';

/**
 * The cross-tenant matrix: for every route of the access table, every role
 * of partner `demo` (user token and API key, platform admin and embed tokens
 * besides), a request naming partner `solvimus`' resources gets only what
 * the rules allow: 403 or 404 (401 for a credential the route refuses),
 * never a 2xx, and no id, name or address of solvimus it did not name itself.
 * A positive control per route sends the same request against demo's own
 * resources, to prove the fixtures reach real records and the matrix can fail.
 *
 * The cases are generated from the route table (app.accessTable()), so a new
 * route without a fixture in cross-tenant-fixtures.ts fails the first test.
 */

/** The routes as the app registers them, known before the tests are collected. */
async function routeTable(): Promise<AccessTableEntry[]> {
  // Without storage every route is registered all the same (over stores that answer 503).
  const app = await buildApp({
    storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
  });
  await app.ready();
  const table = app.accessTable();
  await app.close();
  return table;
}

type Guarded = AccessTableEntry & { access: Exclude<AccessRule, { public: string }> };

const ROUTES = await routeTable();
const GUARDED = ROUTES.filter((r): r is Guarded => !('public' in r.access));
const keyOf = (route: { method: string; url: string }) => `${route.method} ${route.url}`;
const READS = GUARDED.filter((r) => r.method === 'GET');
const WRITES = GUARDED.filter((r) => r.method !== 'GET');
const DENIED: readonly number[] = [403, 404];
const EMBED_CREDENTIALS: readonly EmbedCredential[] = ['embed-unit', 'embed-property'];

/** Routes that answer with a stream that stays open: the matrix reads their first bytes. */
const STREAMS: ReadonlySet<string> = new Set(['/v1/live']);

/**
 * A streamed answer as the matrix reads the others: an error in full; of an
 * open stream only the first bytes, which must be the stream's own (its body
 * is then left empty: it carries no record), and then the stream is let go.
 */
async function firstBytes(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
  const stream = res.stream();
  let body = '';
  if (res.statusCode === 200) {
    const first = await new Promise<string>((resolve, reject) => {
      stream.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8')));
      stream.once('error', reject);
    });
    stream.destroy();
    res.raw.res.destroy();
    if (!String(res.headers['content-type']).startsWith('text/event-stream')) {
      throw new Error(`a 200 stream that is not one: ${String(res.headers['content-type'])}`);
    }
    if (!first.startsWith('retry:')) throw new Error(`a stream that starts with ${first}`);
  } else {
    for await (const chunk of stream) body += (chunk as Buffer).toString('utf8');
  }
  const settled = {
    statusCode: res.statusCode,
    headers: res.headers,
    body,
    payload: body,
    json: <T>() => JSON.parse(body) as T,
  };
  return settled as unknown as LightMyRequestResponse;
}

/** Cross-partner callers: each demo role with both credentials, the platform admin, widgets. */
const CALLER_KEYS = [
  ...PARTNER_ROLES.flatMap((role) => [`${role}/token`, `${role}/api-key`]),
  'platform-admin/token',
  'embed/embed-unit',
  'embed/embed-property',
];

function fixtureName(route: Guarded, fixture: Fixture) {
  return fixture.variant === undefined ? keyOf(route) : `${keyOf(route)} [${fixture.variant}]`;
}

function admits(access: Guarded['access'], caller: Caller): boolean {
  if (caller.role === 'embed') return access.embed === true;
  if (caller.credential === 'api-key' && access.apiKeys === false) return false;
  return access.roles.includes(caller.role);
}

/** Every `:param` filled in, and the query appended. */
function urlOf(template: string, built: { params?: Record<string, string>; query?: object }) {
  const path = template.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = built.params?.[name];
    if (value === undefined) throw new Error(`the fixture gives no :${name} for ${template}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams(
    Object.entries(built.query ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return query === '' ? path : `${path}?${query}`;
}

/** Every `partnerId` anywhere in a JSON document. */
function partnerIdsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) partnerIdsIn(item, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'partnerId' && typeof v === 'string') found.push(v);
      else partnerIdsIn(v, found);
    }
  }
  return found;
}

describe('cross-tenant matrix', { timeout: 60_000 }, () => {
  const { table } = useDynaliteTable('zw-cross-tenant');
  let w: MatrixWorld;
  let requests = 0;

  beforeAll(async () => {
    w = await startMatrixWorld(table());
  }, 180_000);
  afterAll(() => w?.close());

  function callerOf(key: string): Caller {
    const caller = w.callers.get(key);
    if (caller === undefined) throw new Error(`the matrix has no caller ${key}`);
    return caller;
  }

  async function send(route: Guarded, fixture: Fixture, caller: Caller, target: World) {
    const n = ++requests;
    const built = await fixture.build({ target, own: w.own, n, services: w.services });
    const url = urlOf(route.url, built);
    const payload =
      built.body === undefined
        ? undefined
        : typeof built.body === 'string'
          ? built.body
          : JSON.stringify(built.body);
    const inject = {
      method: route.method as InjectOptions['method'],
      url,
      headers: {
        ...caller.headers,
        ...built.headers,
        ...(payload === undefined
          ? {}
          : { 'content-type': built.contentType ?? 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload }),
      // A client address of its own: per-IP limits (password changes) never count across cases.
      remoteAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    };
    const res = STREAMS.has(route.url)
      ? await firstBytes(await w.app.inject({ ...inject, payloadAsStream: true }))
      : await w.app.inject(inject);
    return { res, requestText: `${decodeURIComponent(url)} ${payload ?? ''}` };
  }

  /** The other partner's ids, names and addresses in the answer that the request did not name. */
  function leaks(res: LightMyRequestResponse, requestText: string): string[] {
    return w.otherSecrets.filter((s) => !requestText.includes(s) && res.body.includes(s));
  }

  const errorCode = (res: LightMyRequestResponse) =>
    res.statusCode < 300 ? null : res.json<{ error?: { code?: string } }>().error?.code;

  const answer = (res: LightMyRequestResponse) => `${res.statusCode} ${res.body.slice(0, 600)}`;

  describe('the route table', () => {
    it('has a fixture for every guarded route, and every fixture names a guarded route', () => {
      const guarded = new Set(GUARDED.map(keyOf));
      expect(GUARDED.length).toBeGreaterThan(40);
      expect(
        [...guarded].filter((k) => fixturesOf(k).length === 0),
        'routes without a fixture',
      ).toEqual([]);
      expect(
        Object.keys(FIXTURES).filter((k) => !guarded.has(k)),
        'fixtures of no guarded route',
      ).toEqual([]);
    });

    it('is the route table of the app under test (built as production builds it)', () => {
      expect(w.app.accessTable()).toEqual(ROUTES);
    });

    it('has a positive control for every route a partner role may use', () => {
      const uncontrolled = GUARDED.filter(
        (r) =>
          PARTNER_ROLES.some((role) => r.access.roles.includes(role)) &&
          fixturesOf(keyOf(r))[0]?.control === false,
      ).map(keyOf);
      expect(uncontrolled).toEqual([]);
    });

    it('says what a platform admin gets exactly where the rule admits one', () => {
      const platform = GUARDED.filter((r) => r.access.roles.includes('platform-admin'));
      const unsaid = platform.flatMap((r) =>
        fixturesOf(keyOf(r))
          .filter((f) => f.target === 'resource' && f.platformAdmin === undefined)
          .map((f) => fixtureName(r, f)),
      );
      expect(unsaid, 'routes admitting platform admins without a platformAdmin entry').toEqual([]);
      const needless = GUARDED.filter((r) => !r.access.roles.includes('platform-admin')).flatMap(
        (r) =>
          fixturesOf(keyOf(r))
            .filter((f) => f.platformAdmin !== undefined)
            .map((f) => fixtureName(r, f)),
      );
      expect(needless, 'platformAdmin entries of routes that refuse platform admins').toEqual([]);
    });

    // Embed tokens sit in third-party pages: the routes that take them are the
    // widgets' reads, listed here so that a new one is a decision. Elsewhere the
    // embed callers present their tokens all the same (401 each); here their
    // cross-partner cases must be 403/404 like everyone's.
    it('admits embed tokens on the widgets’ reads only', () => {
      expect(
        GUARDED.filter((r) => r.access.embed === true)
          .map(keyOf)
          .sort(),
      ).toEqual([
        'GET /v1/live',
        // The leak-status widget.
        'GET /v1/meters/:meterId/alarms',
        'GET /v1/meters/:meterId/readings',
        'GET /v1/properties/:propertyId/consumption',
        'GET /v1/units/:unitId/consumption',
        // The monthly-information widget (HeizkostenV §6a).
        'GET /v1/units/:unitId/monthly-information',
      ]);
    });

    it('says what each embed token gets on a route that admits them', () => {
      const unsaid = GUARDED.filter((r) => r.access.embed === true).filter((r) => {
        const control = fixturesOf(keyOf(r))[0]?.controlFor;
        return EMBED_CREDENTIALS.some((c) => control?.[c] === undefined);
      });
      expect(unsaid.map(keyOf)).toEqual([]);
    });
  });

  /** Against solvimus' resources, as each of demo's callers. */
  function crossPartnerCases(routes: readonly Guarded[]) {
    for (const route of routes) {
      const fixtures = fixturesOf(keyOf(route));
      if (fixtures.length === 0) {
        it(`${keyOf(route)}: has a fixture`, () => {
          expect.fail(`no fixture for ${keyOf(route)} in cross-tenant-fixtures.ts`);
        });
        continue;
      }
      for (const fixture of fixtures) {
        describe(fixtureName(route, fixture), () => {
          for (const callerKey of CALLER_KEYS) {
            it(`as ${callerKey}: nothing of the other partner`, async () => {
              const caller = callerOf(callerKey);
              const { res, requestText } = await send(route, fixture, caller, w.other);
              const detail = `${fixtureName(route, fixture)} as ${callerKey}: ${answer(res)}`;
              expect(res.statusCode, detail).toBeLessThan(500);

              if (!admits(route.access, caller)) {
                // Refused before the route runs: 401 for a credential the route does not
                // take (an API key, an embed token), 403 for a role it does not admit.
                const unauthenticated =
                  caller.role === 'embed' ||
                  (caller.credential === 'api-key' && route.access.apiKeys === false);
                expect(res.statusCode, detail).toBe(unauthenticated ? 401 : 403);
              } else if (caller.role === 'platform-admin' && fixture.target === 'resource') {
                // By design: platform admins reach every partner (authorize.ts).
                expect(fixture.platformAdmin ?? [], detail).toContain(res.statusCode);
                return;
              } else if (fixture.target === 'caller') {
                if (res.statusCode < 300) {
                  const foreign = partnerIdsIn(res.json()).filter((p) => p !== caller.partnerId);
                  expect(foreign, `records of another partner: ${detail}`).toEqual([]);
                }
              } else {
                expect(fixture.denied ?? DENIED, detail).toContain(res.statusCode);
                // As for ids that exist nowhere: no telling another partner's ids from none.
                const nowhere = (await send(route, fixture, caller, NOWHERE)).res;
                expect(
                  [res.statusCode, errorCode(res)],
                  `answered unlike ids that exist nowhere (${answer(nowhere)}): ${detail}`,
                ).toEqual([nowhere.statusCode, errorCode(nowhere)]);
              }
              expect(leaks(res, requestText), `leaked: ${detail}`).toEqual([]);
            });
          }
        });
      }
    }
  }

  /** The same requests against demo's own resources, for the roles the rule admits. */
  function positiveControls(routes: readonly Guarded[]) {
    for (const route of routes) {
      const fixture = fixturesOf(keyOf(route))[0];
      if (fixture === undefined || fixture.control === false) continue;
      const control = async (key: string, statuses: readonly number[] | undefined) => {
        const caller = callerOf(key);
        const { res, requestText } = await send(route, fixture, caller, w.own);
        const detail = `${keyOf(route)} as ${key} (own partner): ${answer(res)}`;
        expect(statuses, detail).toContain(res.statusCode);
        if (res.statusCode < 300 && res.body !== '') {
          const foreign = partnerIdsIn(res.json()).filter((p) => p !== caller.partnerId);
          expect(foreign, `records of another partner: ${detail}`).toEqual([]);
        }
        expect(leaks(res, requestText), `leaked: ${detail}`).toEqual([]);
      };
      for (const role of PARTNER_ROLES.filter((r) => route.access.roles.includes(r))) {
        const credentials = route.access.apiKeys === false ? ['token'] : ['token', 'api-key'];
        const statuses = fixture.controlFor?.[role] ?? fixture.control;
        for (const credential of credentials) {
          it(`${keyOf(route)} as ${role}/${credential}: reaches its own partner's resource`, () =>
            control(`${role}/${credential}`, statuses));
        }
      }
      if (route.access.embed === true) {
        for (const credential of EMBED_CREDENTIALS) {
          it(`${keyOf(route)} as embed/${credential}: reaches its own partner's resource`, () =>
            control(`embed/${credential}`, fixture.controlFor?.[credential]));
        }
      }
    }
  }

  // Reads first, then changes, and the controls that change the caller's own records last.
  describe('reads, across partners', () => crossPartnerCases(READS));
  describe('reads, own partner (positive controls)', () => positiveControls(READS));
  describe('changes, across partners', () => crossPartnerCases(WRITES));
  describe('changes, own partner (positive controls)', () => positiveControls(WRITES));
});
