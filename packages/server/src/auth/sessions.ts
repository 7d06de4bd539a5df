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
  refresh: { token: string; expiresAt: Date },
  now: Date,
): Promise<SessionTokens> {
  const access = await issueAccessToken(
    deps.ring,
    {
      userId: user.id,
      partnerId: user.partnerId,
      grants: user.grants,
      ...(user.locale === undefined ? {} : { locale: user.locale }),
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
  const refresh = await issueRefreshToken(
    deps.refreshTokens,
    { userId: user.id, partnerId: user.partnerId },
    { now },
  );
  return tokensFor(deps, user, refresh, now);
}

/**
 * Trades a refresh token for a new pair. The user is read afresh, so changed
 * grants apply and a disabled or deleted user's session ends here.
 */
export async function refreshSession(
  deps: SessionDeps,
  refreshToken: string,
): Promise<SessionTokens> {
  const now = deps.now?.() ?? new Date();
  const session = await rotateRefreshToken(deps.refreshTokens, refreshToken, { now });
  const user = await deps.users.getById(session.partnerId, session.userId);
  if (user === null || user.status !== 'active') {
    await revokeRefreshToken(deps.refreshTokens, session.token, { now });
    throw new DomainError('UNAUTHENTICATED', 'the session has ended', {
      details: { reason: user === null ? 'user-gone' : 'user-disabled' },
    });
  }
  return tokensFor(deps, user, session, now);
}

/** Sign-out; always succeeds outwardly (see revokeRefreshToken). */
export async function signOut(deps: SessionDeps, refreshToken: string): Promise<void> {
  await revokeRefreshToken(deps.refreshTokens, refreshToken, { now: deps.now?.() ?? new Date() });
}
