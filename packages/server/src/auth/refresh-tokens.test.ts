import { describe, expect, it } from 'vitest';
import { dump, expectNoSecrets, refusal } from './auth-test-kit.js';
import { createMemoryRefreshTokenStore } from './memory-refresh-token-store.js';
import {
  issueRefreshToken,
  revokeRefreshToken,
  rotateRefreshToken,
  type RefreshPolicy,
  type RefreshTokenStore,
} from './refresh-tokens.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const DAY = 24 * 3600;
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const ALICE = { userId: 'user-alice', partnerId: 'stadtwerke-x' };

async function signIn(store: RefreshTokenStore = createMemoryRefreshTokenStore()) {
  const session = await issueRefreshToken(store, ALICE, { now: T0 });
  return { store, session };
}

const secretOf = (token: string) => token.split('.')[2]!;
/** Changes the first character: any other could land on the same bits. */
const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);

describe('refresh tokens', () => {
  it('are opaque zwr_<family>.<token>.<secret> strings stored only as a digest', async () => {
    const { store, session } = await signIn();
    expect(session.token).toMatch(/^zwr_[\w-]{22}\.[\w-]{22}\.[\w-]{43}$/);
    expect(session).toMatchObject({ ...ALICE, expiresAt: at(7 * DAY) });
    const [, tokenId] = session.token.slice(4).split('.');
    const record = await store.get(tokenId!);
    expect(record).toMatchObject({ familyId: session.familyId, state: 'active' });
    expectNoSecrets(record, [session.token, secretOf(session.token)]);
    expectNoSecrets(await store.getFamily(session.familyId), [secretOf(session.token)]);
  });

  it('rotate into a new token of the same family, for the same user', async () => {
    const { store, session } = await signIn();
    const next = await rotateRefreshToken(store, session.token, { now: at(3600) });
    expect(next.token).not.toBe(session.token);
    expect(next).toMatchObject({ familyId: session.familyId, ...ALICE });
    expect(next.expiresAt).toEqual(at(3600 + 7 * DAY));
    const third = await rotateRefreshToken(store, next.token, { now: at(7200) });
    expect(third.familyId).toBe(session.familyId);
  });

  it('revoke the whole family when a used token comes back', async () => {
    const { store, session } = await signIn();
    const next = await rotateRefreshToken(store, session.token, { now: at(60) });
    // The thief (or the victim) replays the old token ...
    expect(await refusal(rotateRefreshToken(store, session.token, { now: at(120) }))).toBe(
      'reused',
    );
    // ... and the token rotated out of it dies with the family.
    expect(await refusal(rotateRefreshToken(store, next.token, { now: at(180) }))).toBe(
      'family-revoked',
    );
    expect(await store.getFamily(session.familyId)).toMatchObject({
      revokedAt: at(120).toISOString(),
      revokedReason: 'reuse',
    });
  });

  it('let only one of two racing rotations through, and revoke the family', async () => {
    const { store, session } = await signIn();
    const results = await Promise.allSettled([
      rotateRefreshToken(store, session.token, { now: at(60) }),
      rotateRefreshToken(store, session.token, { now: at(60) }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await store.getFamily(session.familyId))?.revokedReason).toBe('reuse');
  });

  it('end after the idle time without a refresh', async () => {
    const { store, session } = await signIn();
    expect(await refusal(rotateRefreshToken(store, session.token, { now: at(7 * DAY) }))).toBe(
      'idle-expired',
    );
  });

  it('end at the family lifetime however often they are rotated', async () => {
    const policy: RefreshPolicy = { familyLifetimeSeconds: 10 * DAY, idleSeconds: 3 * DAY };
    const store = createMemoryRefreshTokenStore();
    let { token } = await issueRefreshToken(store, ALICE, { now: T0, policy });
    let last;
    for (const day of [2, 4, 6, 8]) {
      last = await rotateRefreshToken(store, token, { now: at(day * DAY), policy });
      token = last.token;
    }
    // Idle would allow day 11; the family ends on day 10.
    expect(last?.expiresAt).toEqual(at(10 * DAY));
    expect(await refusal(rotateRefreshToken(store, token, { now: at(10 * DAY), policy }))).toBe(
      'family-expired',
    );
  });

  it('refuse malformed, unknown and wrongly-signed tokens without revoking anything', async () => {
    const { store, session } = await signIn();
    const [family, tokenId, secret] = session.token.slice(4).split('.') as [string, string, string];
    const cases: [string, string][] = [
      ['', 'malformed'],
      ['zwr_abc', 'malformed'],
      [`${session.token}x`, 'malformed'],
      [session.token.replace('zwr_', 'zwk_'), 'malformed'],
      [`zwr_${family}.${flip(tokenId)}.${secret}`, 'unknown'],
      [`zwr_${flip(family)}.${tokenId}.${secret}`, 'unknown'],
      [`zwr_${family}.${tokenId}.${flip(secret)}`, 'wrong-secret'],
    ];
    for (const [token, reason] of cases) {
      expect(await refusal(rotateRefreshToken(store, token, { now: at(60) })), token).toBe(reason);
    }
    expect((await store.getFamily(session.familyId))?.revokedAt).toBeNull();
    // The real token still works.
    await expect(rotateRefreshToken(store, session.token, { now: at(60) })).resolves.toBeDefined();
  });

  it('a wrong secret on a used token does not revoke the family (only its holder can)', async () => {
    const { store, session } = await signIn();
    await rotateRefreshToken(store, session.token, { now: at(60) });
    const s = secretOf(session.token);
    const forged = session.token.replace(s, flip(s));
    expect(await refusal(rotateRefreshToken(store, forged, { now: at(120) }))).toBe('wrong-secret');
    expect((await store.getFamily(session.familyId))?.revokedAt).toBeNull();
  });

  it('sign out revokes the family; an invalid token signs nothing out', async () => {
    const { store, session } = await signIn();
    expect(await revokeRefreshToken(store, 'zwr_nonsense', { now: at(1) })).toBe(false);
    const s = secretOf(session.token);
    const forged = session.token.replace(s, flip(s));
    expect(await revokeRefreshToken(store, forged, { now: at(1) })).toBe(false);
    expect(await revokeRefreshToken(store, session.token, { now: at(2) })).toBe(true);
    expect(await store.getFamily(session.familyId)).toMatchObject({ revokedReason: 'logout' });
    expect(await refusal(rotateRefreshToken(store, session.token, { now: at(3) }))).toBe(
      'family-revoked',
    );
  });

  it('put no token or secret into any refusal', async () => {
    const { store, session } = await signIn();
    const next = await rotateRefreshToken(store, session.token, { now: at(60) });
    const s = secretOf(next.token);
    const errors = [
      await rotateRefreshToken(store, next.token.replace(s, flip(s)), { now: at(90) }).catch(
        (e: unknown) => e,
      ),
      await rotateRefreshToken(store, session.token, { now: at(120) }).catch((e: unknown) => e),
      await rotateRefreshToken(store, next.token, { now: at(180) }).catch((e: unknown) => e),
      await rotateRefreshToken(store, `${next.token}!`, { now: at(180) }).catch((e: unknown) => e),
    ];
    for (const err of errors) {
      expect(err).toMatchObject({ name: 'DomainError', code: 'UNAUTHENTICATED' });
      expectNoSecrets(err, [session.token, next.token, secretOf(session.token), s]);
    }
    expect(dump(errors[1])).toContain(session.familyId);
  });

  it('refuse a policy whose idle time exceeds the lifetime, and bad subjects', async () => {
    const store = createMemoryRefreshTokenStore();
    const policy = { familyLifetimeSeconds: DAY, idleSeconds: 2 * DAY };
    await expect(issueRefreshToken(store, ALICE, { now: T0, policy })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      issueRefreshToken(store, { ...ALICE, userId: '' }, { now: T0 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
