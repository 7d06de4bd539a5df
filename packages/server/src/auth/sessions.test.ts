import { beforeAll, describe, expect, it } from 'vitest';
import { readAccessToken, verifyAccessToken } from './access-token.js';
import { hashPassword } from './password-hash.js';
import { createMemoryRefreshTokenStore } from './memory-refresh-token-store.js';
import { createMemorySessionFenceStore } from './session-fence.js';
import {
  endUserSessions,
  refreshSession,
  signIn,
  signOut,
  type LoginUser,
  type SessionDeps,
} from './sessions.js';
import { createMemorySigningKeyStore, openKeyRing } from './signing-keys.js';

const ISSUER = 'https://zw.example';
const PASSWORD = 'correct horse battery staple';

/** A user directory in memory, as the tenancy store will answer. */
function directory(users: LoginUser[]) {
  const replaced: string[] = [];
  return {
    replaced,
    users,
    findByEmail: async (partnerId: string, email: string) =>
      users.find((u) => u.partnerId === partnerId && `${u.id}@zw.example` === email) ?? null,
    getById: async (partnerId: string, userId: string) =>
      users.find((u) => u.partnerId === partnerId && u.id === userId) ?? null,
    replacePasswordHash: async (_partnerId: string, userId: string, hash: string) => {
      replaced.push(userId);
      const user = users.find((u) => u.id === userId);
      if (user) user.passwordHash = hash;
    },
  };
}

describe('sessions', () => {
  let deps: SessionDeps & { users: ReturnType<typeof directory> };
  let hash: string;

  beforeAll(async () => {
    hash = await hashPassword(PASSWORD);
  });

  const setUp = async (users: LoginUser[]) => {
    deps = {
      ring: await openKeyRing(createMemorySigningKeyStore()),
      issuer: ISSUER,
      users: directory(users),
      refreshTokens: createMemoryRefreshTokenStore(),
      fences: createMemorySessionFenceStore(),
    };
  };
  const alice = (): LoginUser => ({
    id: 'alice',
    partnerId: 'acme',
    passwordHash: hash,
    grants: [{ role: 'operator', partnerId: 'acme', organisationId: 'o1' }],
    status: 'active',
    locale: 'de',
  });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => 'signed in',
      (err: { code: string; details: { reason: string } }) => `${err.code} ${err.details.reason}`,
    );

  it('signs in with the right password and gives an access token carrying the grants', async () => {
    await setUp([alice()]);
    const tokens = await signIn(deps, {
      partnerId: 'acme',
      email: ' Alice@ZW.example ',
      password: PASSWORD,
    });
    const principal = await verifyAccessToken(deps.ring, tokens.accessToken, { issuer: ISSUER });
    expect(principal).toEqual({
      kind: 'user',
      subject: 'alice',
      partnerId: 'acme',
      grants: alice().grants,
      locale: 'de',
    });
    expect(tokens.refreshToken).toMatch(/^zwr_/);
  });

  it('refuses every failed sign-in with the same outward error', async () => {
    await setUp([alice(), { ...alice(), id: 'bob', status: 'disabled' }]);
    const attempt = (email: string, password: string, partnerId = 'acme') =>
      failure(signIn(deps, { partnerId, email, password }));
    expect(await attempt('alice@zw.example', 'wrong')).toBe('INVALID_CREDENTIALS wrong-password');
    expect(await attempt('nobody@zw.example', PASSWORD)).toBe('INVALID_CREDENTIALS unknown-user');
    expect(await attempt('alice@zw.example', PASSWORD, 'other')).toBe(
      'INVALID_CREDENTIALS unknown-user',
    );
    expect(await attempt('bob@zw.example', PASSWORD)).toBe('INVALID_CREDENTIALS disabled');
  });

  it('refreshes with the grants read afresh, and ends the session of a disabled user', async () => {
    await setUp([alice()]);
    const first = await signIn(deps, {
      partnerId: 'acme',
      email: 'alice@zw.example',
      password: PASSWORD,
    });
    deps.users.users[0]!.grants = [{ role: 'partner-admin', partnerId: 'acme' }];
    const second = await refreshSession(deps, first.refreshToken);
    const principal = await verifyAccessToken(deps.ring, second.accessToken, { issuer: ISSUER });
    expect(principal.grants).toEqual([{ role: 'partner-admin', partnerId: 'acme' }]);
    // The old refresh token is used up; presenting it again ends the session.
    expect(await failure(refreshSession(deps, first.refreshToken))).toMatch(/^UNAUTHENTICATED/);
    expect(await failure(refreshSession(deps, second.refreshToken))).toMatch(/^UNAUTHENTICATED/);

    const third = await signIn(deps, {
      partnerId: 'acme',
      email: 'alice@zw.example',
      password: PASSWORD,
    });
    deps.users.users[0]!.status = 'disabled';
    expect(await failure(refreshSession(deps, third.refreshToken))).toBe(
      'UNAUTHENTICATED user-disabled',
    );
  });

  it('signs out: the refresh token no longer works', async () => {
    await setUp([alice()]);
    const tokens = await signIn(deps, {
      partnerId: 'acme',
      email: 'alice@zw.example',
      password: PASSWORD,
    });
    await signOut(deps, tokens.refreshToken);
    expect(await failure(refreshSession(deps, tokens.refreshToken))).toMatch(/^UNAUTHENTICATED/);
    await expect(signOut(deps, 'not-a-token')).resolves.toBeUndefined();
  });

  it('ends every session of a user: the fence rises, open families are revoked', async () => {
    await setUp([alice(), { ...alice(), id: 'bob' }]);
    const signInAs = (id: string) =>
      signIn(deps, { partnerId: 'acme', email: `${id}@zw.example`, password: PASSWORD });
    const [a1, a2, b1] = [await signInAs('alice'), await signInAs('alice'), await signInAs('bob')];
    await signOut(deps, a2.refreshToken);
    const before = await readAccessToken(deps.ring, a1.accessToken, { issuer: ISSUER });
    expect(before.sessionFence).toBe(0);

    const ended = await endUserSessions(deps, { partnerId: 'acme', userId: 'alice' });
    // The family signed out before keeps its own reason; only the open one is revoked now.
    expect(ended.revoked).toBe(1);
    expect(ended.sessionFence).toBeGreaterThan(0);
    expect(await deps.fences.get('acme', 'alice')).toBe(ended.sessionFence);
    const families = await deps.refreshTokens.listFamilies('acme', 'alice');
    expect(families.map((f) => f.revokedReason).sort()).toEqual(['account-changed', 'logout']);
    expect(await failure(refreshSession(deps, a1.refreshToken))).toBe(
      'UNAUTHENTICATED family-revoked',
    );
    // Bob's session is his own.
    expect(await failure(refreshSession(deps, b1.refreshToken))).toBe('signed in');

    // A new sign-in is issued under the new fence, which its tokens carry.
    const after = await signInAs('alice');
    const read = await readAccessToken(deps.ring, after.accessToken, { issuer: ISSUER });
    expect(read.sessionFence).toBe(ended.sessionFence);
    const refreshed = await refreshSession(deps, after.refreshToken);
    expect(
      (await readAccessToken(deps.ring, refreshed.accessToken, { issuer: ISSUER })).sessionFence,
    ).toBe(ended.sessionFence);
  });

  it('ends at refresh a session the list missed: its fence is below the user’s', async () => {
    await setUp([alice()]);
    const tokens = await signIn(deps, {
      partnerId: 'acme',
      email: 'alice@zw.example',
      password: PASSWORD,
    });
    // As when an index read has not seen the family yet.
    const blind = { ...deps.refreshTokens, listFamilies: async () => [] };
    const ended = await endUserSessions(
      { ...deps, refreshTokens: blind },
      { partnerId: 'acme', userId: 'alice' },
    );
    expect(ended.revoked).toBe(0);
    expect(await failure(refreshSession(deps, tokens.refreshToken))).toBe(
      'UNAUTHENTICATED sessions-ended',
    );
    const [family] = await deps.refreshTokens.listFamilies('acme', 'alice');
    expect(family).toMatchObject({ revokedReason: 'account-changed' });
  });

  it('upgrades a hash made with weaker parameters at sign-in', async () => {
    await setUp([alice()]);
    // A hash with N = 2^14, below the current cost, as an older release made it.
    const { scrypt, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt(PASSWORD, salt, 32, { N: 16384, r: 8, p: 1 }, (e, k) => (e ? reject(e) : resolve(k))),
    );
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    deps.users.users[0]!.passwordHash = `scrypt$16384$8$1$${b64(salt)}$${b64(key)}`;
    await signIn(deps, { partnerId: 'acme', email: 'alice@zw.example', password: PASSWORD });
    expect(deps.users.replaced).toEqual(['alice']);
    expect(deps.users.users[0]!.passwordHash).toMatch(/^scrypt\$32768\$/);
  });
});
