import { DomainError } from '../domain/errors.js';
import { issueAccessToken } from './access-token.js';
import {
  hashPassword,
  needsRehash,
  verifyPassword,
  verifyPasswordOfUnknownUser,
} from './password-hash.js';
import type { RoleGrant } from './principal.js';
import {
  issueRefreshToken,
  revokeRefreshToken,
  rotateRefreshToken,
  type RefreshTokenStore,
} from './refresh-tokens.js';
import type { SessionFenceStore } from './session-fence.js';
import type { KeyRing } from './signing-keys.js';

/** A user as signing in needs it; the tenancy store provides it. */
export interface LoginUser {
  id: string;
  partnerId: string;
  /** Null for users who have not set a password yet (invited). */
  passwordHash: string | null;
  grants: RoleGrant[];
  status: 'active' | 'disabled';
  locale?: string;
}

export interface UserDirectory {
  /** By e-mail within one partner (e-mails are unique per partner, not across). */
  findByEmail(partnerId: string, email: string): Promise<LoginUser | null>;
  getById(partnerId: string, userId: string): Promise<LoginUser | null>;
  /** Stores a stronger hash after a successful sign-in with an old one. */
  replacePasswordHash(partnerId: string, userId: string, hash: string): Promise<void>;
}

export interface SessionDeps {
  ring: KeyRing;
  issuer: string;
  users: UserDirectory;
  refreshTokens: RefreshTokenStore;
  /** The same store the authenticator checks access tokens against. */
  fences: SessionFenceStore;
  now?: () => Date;
  /** Failures of the opportunistic rehash are reported, never fatal to a sign-in. */
  onRehashFailure?: (err: unknown) => void;
}

export interface SessionTokens {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  userId: string;
  partnerId: string;
}

/** One answer for every failed sign-in, so it does not tell which e-mails exist. */
function badCredentials(reason: string): DomainError {
  return new DomainError('INVALID_CREDENTIALS', 'wrong e-mail or password', {
    details: { reason },
  });
}

async function tokensFor(
  deps: SessionDeps,
  user: LoginUser,
  refresh: { token: string; expiresAt: Date; sessionFence: number },
  now: Date,
): Promise<SessionTokens> {
  const access = await issueAccessToken(
    deps.ring,
    {
      userId: user.id,
      partnerId: user.partnerId,
      grants: user.grants,
      ...(user.locale === undefined ? {} : { locale: user.locale }),
      sessionFence: refresh.sessionFence,
    },
    { now, issuer: deps.issuer },
  );
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.expiresAt,
    userId: user.id,
    partnerId: user.partnerId,
  };
}

/**
 * Password sign-in: an access token with the user's grants and a new refresh
 * session. Unknown users cost the same scrypt work as known ones.
 */
export async function signIn(
  deps: SessionDeps,
  input: { partnerId: string; email: string; password: string },
): Promise<SessionTokens> {
  const now = deps.now?.() ?? new Date();
  const user = await deps.users.findByEmail(input.partnerId, input.email.trim().toLowerCase());
  if (user === null || user.passwordHash === null) {
    await verifyPasswordOfUnknownUser(input.password);
    throw badCredentials(user === null ? 'unknown-user' : 'no-password');
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    throw badCredentials('wrong-password');
  }
  // Checked after the password, so a disabled account is not revealed to a guesser.
  if (user.status !== 'active') throw badCredentials('disabled');
  if (needsRehash(user.passwordHash)) {
    try {
      await deps.users.replacePasswordHash(
        user.partnerId,
        user.id,
        await hashPassword(input.password),
      );
    } catch (err) {
      deps.onRehashFailure?.(err);
    }
  }
  // Read before the session starts: a raise that comes after ends it.
  const sessionFence = await deps.fences.get(user.partnerId, user.id);
  const refresh = await issueRefreshToken(
    deps.refreshTokens,
    { userId: user.id, partnerId: user.partnerId },
    { now, sessionFence },
  );
  return tokensFor(deps, user, refresh, now);
}

/**
 * Trades a refresh token for a new pair. The user is read afresh, so that a
 * disabled or deleted user's session ends here, and so does a session begun
 * before the user's sessions were ended (a higher fence), even one the list
 * walked by endUserSessions missed.
 */
export async function refreshSession(
  deps: SessionDeps,
  refreshToken: string,
): Promise<SessionTokens> {
  const now = deps.now?.() ?? new Date();
  const session = await rotateRefreshToken(deps.refreshTokens, refreshToken, { now });
  const [user, fence] = await Promise.all([
    deps.users.getById(session.partnerId, session.userId),
    deps.fences.get(session.partnerId, session.userId),
  ]);
  if (user === null || user.status !== 'active' || session.sessionFence < fence) {
    const reason =
      user === null ? 'user-gone' : user.status !== 'active' ? 'user-disabled' : 'sessions-ended';
    await deps.refreshTokens.revokeFamily(
      session.familyId,
      now.toISOString(),
      reason === 'sessions-ended' ? 'account-changed' : 'logout',
    );
    throw new DomainError('UNAUTHENTICATED', 'the session has ended', { details: { reason } });
  }
  return tokensFor(deps, user, session, now);
}

/**
 * Ends every session of a user: raises the session fence, so that each access
 * token and refresh session issued before is refused from the next request
 * on, then revokes each refresh family still open (`account-changed`), so
 * that the sessions also show as ended. Called after the user's password,
 * grants or status changed, or the user was deleted. Returns the fence and
 * how many families it revoked.
 */
export async function endUserSessions(
  deps: Pick<SessionDeps, 'refreshTokens' | 'fences' | 'now'>,
  subject: { partnerId: string; userId: string },
): Promise<{ sessionFence: number; revoked: number }> {
  const now = deps.now?.() ?? new Date();
  const sessionFence = await deps.fences.raise(subject.partnerId, subject.userId, now.getTime());
  const at = now.toISOString();
  let revoked = 0;
  for (const family of await deps.refreshTokens.listFamilies(subject.partnerId, subject.userId)) {
    if (family.revokedAt !== null || family.expiresAt <= at) continue;
    await deps.refreshTokens.revokeFamily(family.familyId, at, 'account-changed');
    revoked += 1;
  }
  return { sessionFence, revoked };
}

/** Sign-out; always succeeds outwardly (see revokeRefreshToken). */
export async function signOut(deps: SessionDeps, refreshToken: string): Promise<void> {
  await revokeRefreshToken(deps.refreshTokens, refreshToken, { now: deps.now?.() ?? new Date() });
}
