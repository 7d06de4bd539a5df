import type { SupportGrantStore } from '../domain/support-access.js';
import type { ApiKeyStore } from './api-keys.js';
import { createAuthenticator, type Authenticator } from './authenticator.js';
import { createMemoryApiKeyStore } from './memory-api-key-store.js';
import { createMemoryRefreshTokenStore } from './memory-refresh-token-store.js';
import type { RefreshTokenStore } from './refresh-tokens.js';
import { createMemorySessionFenceStore, type SessionFenceStore } from './session-fence.js';
import type { SessionDeps, UserDirectory } from './sessions.js';
import { createMemorySigningKeyStore, openKeyRing, type KeyRing } from './signing-keys.js';

/** What the HTTP layer authenticates with: credentials in, sessions, the partner of a host. */
export interface AppAuth {
  authenticator: Authenticator;
  sessions: SessionDeps;
  partnerForHost(host: string): Promise<string | null>;
}

export interface MemoryAuthOptions {
  /** A new ring in memory when absent. */
  ring?: KeyRing;
  issuer?: string;
  /** An empty store in memory when absent. */
  apiKeys?: ApiKeyStore;
  /** Nobody can sign in when absent. */
  users?: UserDirectory;
  /** In memory when absent. */
  refreshTokens?: RefreshTokenStore;
  /** In memory when absent. */
  fences?: SessionFenceStore;
  /** No support access when absent. */
  supportGrants?: Pick<SupportGrantStore, 'activeForUser'>;
  now?: () => Date;
  partnerForHost?: (host: string) => Promise<string | null>;
}

const NOBODY: UserDirectory = {
  findByEmail: async () => null,
  getById: async () => null,
  replacePasswordHash: async () => undefined,
};

/**
 * Authentication with everything it keeps in memory unless given: the app
 * without storage (tests, the OpenAPI document), or tests that bring their own
 * users or API keys.
 */
export async function createMemoryAuth(options: MemoryAuthOptions = {}): Promise<AppAuth> {
  const ring = options.ring ?? (await openKeyRing(createMemorySigningKeyStore()));
  const issuer = options.issuer ?? 'http://localhost';
  // One store for both sides: ending a user's sessions must reach the authenticator.
  const fences = options.fences ?? createMemorySessionFenceStore();
  return {
    authenticator: createAuthenticator({
      ring,
      issuer,
      apiKeys: options.apiKeys ?? createMemoryApiKeyStore(),
      fences,
      ...(options.supportGrants === undefined ? {} : { supportGrants: options.supportGrants }),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
    sessions: {
      ring,
      issuer,
      refreshTokens: options.refreshTokens ?? createMemoryRefreshTokenStore(),
      fences,
      users: options.users ?? NOBODY,
      ...(options.now === undefined ? {} : { now: options.now }),
    },
    partnerForHost: options.partnerForHost ?? (async () => null),
  };
}
