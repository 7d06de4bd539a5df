import type { ApiKeyStore } from './api-keys.js';
import { createAuthenticator, type Authenticator } from './authenticator.js';
import { createMemoryApiKeyStore } from './memory-api-key-store.js';
import { createMemoryRefreshTokenStore } from './memory-refresh-token-store.js';
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
  return {
    authenticator: createAuthenticator({
      ring,
      issuer,
      apiKeys: options.apiKeys ?? createMemoryApiKeyStore(),
    }),
    sessions: {
      ring,
      issuer,
      refreshTokens: createMemoryRefreshTokenStore(),
      users: options.users ?? NOBODY,
    },
    partnerForHost: options.partnerForHost ?? (async () => null),
  };
}
