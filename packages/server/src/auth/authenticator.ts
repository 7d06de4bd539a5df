import { decodeProtectedHeader } from 'jose';
import { DomainError } from '../domain/errors.js';
import { verifyAccessToken } from './access-token.js';
import { verifyApiKey, type ApiKeyStore } from './api-keys.js';
import { verifyEmbedToken } from './embed-tokens.js';
import type { Principal } from './principal.js';
import { TOKEN_TYPES } from './signed-token.js';
import type { KeyRing } from './signing-keys.js';

/** Turns what a request presents into a principal, or UNAUTHENTICATED. */
export interface Authenticator {
  /** A bearer token: an access token, or an embed token where the route admits widgets. */
  bearer(
    token: string,
    options: { embed: boolean; origin: string | undefined },
  ): Promise<Principal>;
  apiKey(presented: string): Promise<Principal>;
}

export interface AuthenticatorOptions {
  ring: KeyRing;
  /** The `iss` of our tokens: the platform's public base URL. */
  issuer: string;
  apiKeys: ApiKeyStore;
  now?: () => Date;
}

function typeOf(token: string): unknown {
  try {
    return decodeProtectedHeader(token).typ;
  } catch {
    return undefined;
  }
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? (() => new Date());
  return {
    async bearer(token, { embed, origin }) {
      // The header only picks which verifier runs; each verifies the type again,
      // so a forged typ gains nothing.
      if (typeOf(token) === TOKEN_TYPES.embed) {
        if (!embed) {
          throw new DomainError('UNAUTHENTICATED', 'embed tokens are for widget endpoints only', {
            details: { reason: 'embed-token-not-admitted' },
          });
        }
        return verifyEmbedToken(options.ring, token, {
          issuer: options.issuer,
          origin,
          now: now(),
        });
      }
      return verifyAccessToken(options.ring, token, { issuer: options.issuer, now: now() });
    },
    apiKey: (presented) => verifyApiKey(options.apiKeys, presented, { now: now() }),
  };
}
