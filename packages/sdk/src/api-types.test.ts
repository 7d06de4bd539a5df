import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type ZaehlwerkClient } from './client.js';
import type { ZaehlwerkError, ZaehlwerkErrorCode } from './errors.js';
import type { LiveEvent } from './live.js';
import type { Health, Meter, Reading, TokenPair, Unit } from './models.js';

/**
 * Type tests: `npm run typecheck` compiles them, and a wrong type or a
 * `@ts-expect-error` that no longer errs fails it. The calls are never made.
 */
describe('the typed surface', () => {
  // Never called: the calls below are wrapped in functions whose types are checked.
  const zw = {} as ZaehlwerkClient;
  const never = false as boolean;

  it('types answers from the schema, undefined for 204', () => {
    expectTypeOf(() => zw.get('/health')).returns.resolves.toEqualTypeOf<Health>();
    expectTypeOf(() =>
      zw.get('/v1/meters/{meterId}', { params: { path: { meterId: 'm' } } }),
    ).returns.resolves.toEqualTypeOf<Meter>();
    expectTypeOf(() =>
      zw.post('/v1/auth/logout', { body: { refreshToken: 'r' } }),
    ).returns.resolves.toEqualTypeOf<undefined>();
    expectTypeOf(zw.login).returns.resolves.toEqualTypeOf<TokenPair>();
  });

  it('types list items and live events', () => {
    expectTypeOf(() =>
      zw.paginate('/v1/properties/{propertyId}/units', { params: { path: { propertyId: 'p' } } }),
    ).returns.toEqualTypeOf<AsyncGenerator<Unit, void, undefined>>();
    expectTypeOf(() => zw.live({ unitId: 'u' })).returns.toEqualTypeOf<
      AsyncGenerator<LiveEvent, void, undefined>
    >();
    expectTypeOf<Extract<LiveEvent, { type: 'reading' }>['reading']>().toEqualTypeOf<Reading>();
  });

  it("types the error code as the API's codes and the client's own", () => {
    expectTypeOf<ZaehlwerkError['code']>().toEqualTypeOf<ZaehlwerkErrorCode>();
    expectTypeOf<'NOT_FOUND'>().toExtend<ZaehlwerkErrorCode>();
    expectTypeOf<'TIMEOUT'>().toExtend<ZaehlwerkErrorCode>();
    expectTypeOf<'NO_SUCH_CODE'>().not.toExtend<ZaehlwerkErrorCode>();
  });

  it('refuses what the schema does not allow', () => {
    if (never) {
      // @ts-expect-error the path parameter is required
      void zw.get('/v1/meters/{meterId}');
      // @ts-expect-error no such path
      void zw.get('/v1/nowhere');
      void zw.post('/v1/properties/{propertyId}/units', {
        params: { path: { propertyId: 'p' } },
        // @ts-expect-error livingAreaM2 is a number
        body: { name: 'WE 1', livingAreaM2: '50', heatedAreaM2: 50 },
      });
      // @ts-expect-error /v1/me is not a list
      void zw.paginate('/v1/me');
      // @ts-expect-error exactly one of unitId, propertyId, meterId
      void zw.live({ unitId: 'u', propertyId: 'p' });
      // @ts-expect-error one credential at most
      createClient({ baseUrl: 'http://x', apiKey: 'k', token: 't' });
      // @ts-expect-error a refresh token goes with a user's token, not an API key
      createClient({ baseUrl: 'http://x', apiKey: 'k', refreshToken: 'r' });
    }
  });
});
