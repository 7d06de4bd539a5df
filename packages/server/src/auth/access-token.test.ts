import { generateKeyPair, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../domain/errors.js';
import { issueAccessToken, verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import { expectNoSecrets, refusal } from './auth-test-kit.js';
import { signToken } from './signed-token.js';
import {
  createMemorySigningKeyStore,
  openKeyRing,
  type KeyRing,
  type SigningKeyStore,
} from './signing-keys.js';

const ISSUER = 'https://portal.example.test';
const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const ALICE: AccessTokenClaims = {
  userId: 'user-alice',
  partnerId: 'stadtwerke-x',
  grants: [
    { role: 'operator', partnerId: 'stadtwerke-x', organisationId: 'org-1' },
    { role: 'tenant', partnerId: 'stadtwerke-x', unitId: 'unit-7', tenancyId: 'ten-3' },
  ],
  locale: 'de',
};

let ring: KeyRing;
let store: SigningKeyStore;
beforeEach(async () => {
  store = createMemorySigningKeyStore();
  ring = await openKeyRing(store, { now: () => T0, retentionSeconds: 3600 });
});

const issue = (claims = ALICE, options: { ttlSeconds?: number; audience?: string } = {}) =>
  issueAccessToken(ring, claims, { now: T0, issuer: ISSUER, ...options });

describe('access tokens', () => {
  it('round-trips into a user principal', async () => {
    const { token, expiresAt } = await issue();
    expect(expiresAt).toEqual(at(900));
    expect(await verifyAccessToken(ring, token, { issuer: ISSUER, now: at(60) })).toEqual({
      kind: 'user',
      subject: 'user-alice',
      partnerId: 'stadtwerke-x',
      grants: ALICE.grants,
      locale: 'de',
    });
  });

  it('carries the type and key id in the header', async () => {
    const { token } = await issue();
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', kid: ring.signingKey().kid, typ: 'at+jwt' });
  });

  it('refuses an expired token, and one dated in the future', async () => {
    const { token } = await issue(ALICE, { ttlSeconds: 300 });
    expect(await refusal(verifyAccessToken(ring, token, { issuer: ISSUER, now: at(299) }))).toBe(
      null,
    );
    expect(await refusal(verifyAccessToken(ring, token, { issuer: ISSUER, now: at(400) }))).toBe(
      'expired',
    );
    expect(await refusal(verifyAccessToken(ring, token, { issuer: ISSUER, now: at(-600) }))).toBe(
      'not-yet-valid',
    );
  });

  it('refuses a tampered payload or signature', async () => {
    const { token } = await issue();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.grants = [{ role: 'platform-admin', partnerId: '*' }];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await refusal(verifyAccessToken(ring, forged, { issuer: ISSUER, now: T0 }))).toBe(
      'invalid-signature',
    );
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    expect(
      await refusal(
        verifyAccessToken(ring, `${header}.${payload}.${flipped}`, { issuer: ISSUER, now: T0 }),
      ),
    ).toBe('invalid-signature');
  });

  it('refuses a token signed by a foreign key under our kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ pid: 'stadtwerke-x', grants: [] })
      .setProtectedHeader({ alg: 'ES256', kid: ring.signingKey().kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience('zaehlwerk-api')
      .setSubject('user-mallory')
      .setJti('x')
      .setIssuedAt(T0)
      .setExpirationTime(at(900))
      .sign(privateKey);
    expect(await refusal(verifyAccessToken(ring, forged, { issuer: ISSUER, now: T0 }))).toBe(
      'invalid-signature',
    );
  });

  it('refuses unsigned and symmetric tokens', async () => {
    const body = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = body({ sub: 'u', pid: 'p', grants: [], iss: ISSUER, aud: 'zaehlwerk-api' });
    const none = `${body({ alg: 'none', typ: 'at+jwt' })}.${claims}.`;
    expect(await refusal(verifyAccessToken(ring, none, { issuer: ISSUER, now: T0 }))).toBe(
      'algorithm-not-allowed',
    );
    const hs = await new SignJWT({ pid: 'p', grants: [] })
      .setProtectedHeader({ alg: 'HS256', kid: ring.signingKey().kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode('k'.repeat(32)));
    expect(await refusal(verifyAccessToken(ring, hs, { issuer: ISSUER, now: T0 }))).toBe(
      'algorithm-not-allowed',
    );
    for (const garbage of ['', 'abc', 'a.b.c', 'x'.repeat(10_000)]) {
      expect(await refusal(verifyAccessToken(ring, garbage, { issuer: ISSUER }))).toBe('malformed');
    }
  });

  it('refuses another audience, another issuer and another token type', async () => {
    const { token: forWidgets } = await issue(ALICE, { audience: 'zw-widgets' });
    expect(await refusal(verifyAccessToken(ring, forWidgets, { issuer: ISSUER, now: T0 }))).toBe(
      'wrong-audience',
    );
    const { token } = await issue();
    expect(
      await refusal(verifyAccessToken(ring, token, { issuer: 'https://evil.test', now: T0 })),
    ).toBe('wrong-issuer');
    // Same claims and audience, but typed as an embed token.
    const { token: typedEmbed } = await signToken(
      ring,
      'embed',
      { pid: ALICE.partnerId, grants: ALICE.grants },
      {
        issuer: ISSUER,
        audience: 'zaehlwerk-api',
        subject: ALICE.userId,
        now: T0,
        ttlSeconds: 300,
      },
    );
    expect(await refusal(verifyAccessToken(ring, typedEmbed, { issuer: ISSUER, now: T0 }))).toBe(
      'wrong-token-type',
    );
  });

  it('keeps verifying tokens of the previous key after a rotation, until the key is dropped', async () => {
    const { token: before } = await issue();
    await ring.rotate(at(60));
    const { token: after } = await issueAccessToken(ring, ALICE, { now: at(61), issuer: ISSUER });
    expect(await verifyAccessToken(ring, before, { issuer: ISSUER, now: at(120) })).toMatchObject({
      subject: 'user-alice',
    });
    expect(await verifyAccessToken(ring, after, { issuer: ISSUER, now: at(120) })).toMatchObject({
      subject: 'user-alice',
    });
    await ring.rotate(at(60 + 3601));
    const late = { issuer: ISSUER, now: at(60 + 3602), clockToleranceSeconds: 1e6 };
    expect(await refusal(verifyAccessToken(ring, before, late))).toBe('unknown-key');
  });

  it('lets a failure to read the key ring through as it is, not as a refusal', async () => {
    const { token } = await issue();
    const down = new DomainError('SERVICE_UNAVAILABLE', 'key store unreachable');
    const broken: KeyRing = {
      ...ring,
      verificationKey: () => Promise.reject(down),
    };
    await expect(verifyAccessToken(broken, token, { issuer: ISSUER, now: T0 })).rejects.toBe(down);
  });

  it('refuses to issue for malformed claims or lifetimes', async () => {
    const cases: [AccessTokenClaims, number?][] = [
      [{ ...ALICE, userId: '' }],
      [{ ...ALICE, partnerId: 'a b' }],
      [{ ...ALICE, grants: [{ role: 'partner-admin', partnerId: 'someone-else' }] }],
      [{ ...ALICE, grants: [{ role: 'tenant', partnerId: 'stadtwerke-x' }] }],
      [{ ...ALICE, locale: 'de_DE' }],
      [ALICE, 0],
      [ALICE, 3601],
      [ALICE, 1.5],
    ];
    for (const [claims, ttlSeconds] of cases) {
      await expect(issue(claims, ttlSeconds === undefined ? {} : { ttlSeconds })).rejects.toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });

  it('lets a platform admin through with partner *', async () => {
    const admin: AccessTokenClaims = {
      userId: 'root',
      partnerId: '*',
      grants: [{ role: 'platform-admin', partnerId: '*' }],
    };
    const { token } = await issue(admin);
    expect(await verifyAccessToken(ring, token, { issuer: ISSUER, now: T0 })).toEqual({
      kind: 'user',
      subject: 'root',
      partnerId: '*',
      grants: admin.grants,
    });
  });

  it('puts neither the token nor key material into its errors', async () => {
    const { token } = await issue();
    const [stored] = await store.load();
    const secrets = [token, token.split('.')[2]!, stored!.privateJwk.d!];
    const errors = await Promise.all([
      verifyAccessToken(ring, token, { issuer: ISSUER, now: at(10_000) }).catch((e: unknown) => e),
      verifyAccessToken(ring, `${token}x`, { issuer: ISSUER, now: T0 }).catch((e: unknown) => e),
      verifyAccessToken(ring, token, { issuer: 'x', now: T0 }).catch((e: unknown) => e),
    ]);
    for (const err of errors) expectNoSecrets(err, secrets);
  });
});
