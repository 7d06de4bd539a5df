import { beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken, verifyAccessToken } from './access-token.js';
import { expectNoSecrets, refusal } from './auth-test-kit.js';
import {
  issueEmbedToken,
  normaliseOrigin,
  verifyEmbedToken,
  type EmbedTokenRequest,
} from './embed-tokens.js';
import { createMemorySigningKeyStore, openKeyRing, type KeyRing } from './signing-keys.js';

const ISSUER = 'https://portal.example.test';
const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const SITE = 'https://www.stadtwerke-x.de';
const PARTNER_ORIGINS = [SITE, 'https://kundenportal.stadtwerke-x.de', 'http://localhost:5173'];

const REQUEST: EmbedTokenRequest = {
  partnerId: 'stadtwerke-x',
  scope: { unitId: 'unit-7' },
  allowedOrigins: [SITE],
};

let ring: KeyRing;
beforeAll(async () => {
  ring = await openKeyRing(createMemorySigningKeyStore(), { now: () => T0 });
});

const issue = (request: Partial<EmbedTokenRequest> = {}) =>
  issueEmbedToken(
    ring,
    { ...REQUEST, ...request },
    { now: T0, issuer: ISSUER, partnerAllowedOrigins: PARTNER_ORIGINS },
  );
const verify = (token: string, origin: string | undefined, now = at(10)) =>
  verifyEmbedToken(ring, token, { origin, issuer: ISSUER, now });

describe('embed tokens', () => {
  it('round-trips into a read-only embed principal bound to its origin', async () => {
    const { token, expiresAt } = await issue({ widgets: ['consumption-chart'] });
    expect(expiresAt).toEqual(at(300));
    const principal = await verify(token, SITE);
    expect(principal).toEqual({
      kind: 'embed',
      subject: expect.any(String),
      partnerId: 'stadtwerke-x',
      grants: [],
      scopes: ['widgets:read'],
      embed: {
        scope: { unitId: 'unit-7' },
        allowedOrigins: [SITE],
        origin: SITE,
        widgets: ['consumption-chart'],
      },
    });
  });

  it('always draws a token id that is a valid subject', async () => {
    for (let i = 0; i < 100; i++) {
      const { token } = await issue();
      expect((await verify(token, SITE)).subject).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('scopes to a property as well', async () => {
    const { token } = await issue({ scope: { propertyId: 'house-1' } });
    expect((await verify(token, SITE)).embed?.scope).toEqual({ propertyId: 'house-1' });
  });

  it('refuses a request from any other origin, or with none', async () => {
    const { token } = await issue();
    for (const origin of [
      'https://evil.example',
      'http://www.stadtwerke-x.de',
      'https://www.stadtwerke-x.de:8443',
      'https://www.stadtwerke-x.de/',
      'https://WWW.stadtwerke-x.de',
      'https://stadtwerke-x.de',
      'https://www.stadtwerke-x.de.evil.example',
      'null',
    ]) {
      expect(await refusal(verify(token, origin)), origin).toBe('origin-not-allowed');
    }
    expect(await refusal(verify(token, undefined))).toBe('origin-missing');
    expect(await refusal(verify(token, ''))).toBe('origin-missing');
  });

  it('binds to several origins, normalised when issued', async () => {
    const { token } = await issue({
      allowedOrigins: ['https://Kundenportal.stadtwerke-x.de:443/', 'http://localhost:5173'],
    });
    expect((await verify(token, 'https://kundenportal.stadtwerke-x.de')).embed?.origin).toBe(
      'https://kundenportal.stadtwerke-x.de',
    );
    expect(await verify(token, 'http://localhost:5173')).toMatchObject({ kind: 'embed' });
    expect(await refusal(verify(token, SITE))).toBe('origin-not-allowed');
  });

  it('is never taken for an access token, nor an access token for it', async () => {
    const { token: embed } = await issue();
    expect(await refusal(verifyAccessToken(ring, embed, { issuer: ISSUER, now: at(10) }))).toBe(
      'wrong-token-type',
    );
    const { token: access } = await issueAccessToken(
      ring,
      { userId: 'u1', partnerId: 'stadtwerke-x', grants: [] },
      { now: T0, issuer: ISSUER },
    );
    expect(await refusal(verify(access, SITE))).toBe('wrong-token-type');
  });

  it('expires', async () => {
    const { token } = await issue({ ttlSeconds: 60 });
    expect(await refusal(verify(token, SITE, at(59)))).toBeNull();
    expect(await refusal(verify(token, SITE, at(120)))).toBe('expired');
  });

  it('refuses origins outside the partner allowlist with FORBIDDEN', async () => {
    await expect(issue({ allowedOrigins: [SITE, 'https://evil.example'] })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { origins: ['https://evil.example'] },
    });
  });

  it('refuses malformed requests with VALIDATION_FAILED', async () => {
    const bad: Partial<EmbedTokenRequest>[] = [
      { allowedOrigins: [] },
      { allowedOrigins: ['https://*.stadtwerke-x.de'] },
      { allowedOrigins: ['*'] },
      { allowedOrigins: [`${SITE}/widgets`] },
      { allowedOrigins: [`${SITE}?a=1`] },
      { allowedOrigins: ['https://user:pw@www.stadtwerke-x.de'] },
      { allowedOrigins: ['ftp://www.stadtwerke-x.de'] },
      { scope: { unitId: 'u', propertyId: 'p' } as never },
      { scope: {} as never },
      { scope: { meterId: 'm' } as never },
      { ttlSeconds: 901 },
      { ttlSeconds: 0 },
      { widgets: [] },
      { widgets: ['Consumption Chart'] },
      { partnerId: '*' },
    ];
    for (const request of bad) {
      await expect(issue(request), JSON.stringify(request)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    expect(await issue({ ttlSeconds: 900 })).toMatchObject({ expiresAt: at(900) });
  });

  it('puts no token into its errors', async () => {
    const { token } = await issue();
    const errors = await Promise.all([
      verify(token, 'https://evil.example').catch((e: unknown) => e),
      verify(token, SITE, at(10_000)).catch((e: unknown) => e),
      verify(`${token}x`, SITE).catch((e: unknown) => e),
    ]);
    for (const err of errors) expectNoSecrets(err, [token, token.split('.')[2]!]);
  });
});

describe('normaliseOrigin', () => {
  it('serialises as browsers send Origin', () => {
    expect(normaliseOrigin('https://EXAMPLE.com:443')).toBe('https://example.com');
    expect(normaliseOrigin('http://example.com:8080/')).toBe('http://example.com:8080');
    expect(normaliseOrigin('https://bücher.example')).toBe('https://xn--bcher-kva.example');
    expect(normaliseOrigin('https://example.com/.')).toBeNull();
    expect(normaliseOrigin('https://example.com#x')).toBeNull();
    expect(normaliseOrigin('example.com')).toBeNull();
  });
});
