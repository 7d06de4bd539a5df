import { decodeProtectedHeader } from 'jose';
import { DomainError } from '../domain/errors.js';
import type { SupportGrantStore } from '../domain/support-access.js';
import { readAccessToken } from './access-token.js';
import { verifyApiKey, type ApiKeyStore } from './api-keys.js';
import { verifyEmbedToken } from './embed-tokens.js';
import { ANY_PARTNER, type Principal } from './principal.js';
import type { SessionFenceStore } from './session-fence.js';
import { TOKEN_TYPES } from './signed-token.js';
import type { KeyRing } from './signing-keys.js';
import { withSupportAccess, type SupportMode } from './support-access.js';

/** Turns what a request presents into a principal, or UNAUTHENTICATED. */
export interface Authenticator {
  /**
   * A bearer token: an access token, or an embed token where the route admits
   * widgets. `support` says which support access the request admits (none
   * when absent).
   */
  bearer(
    token: string,
    options: { embed: boolean; origin: string | undefined; support?: SupportMode },
  ): Promise<Principal>;
  apiKey(presented: string): Promise<Principal>;
}

export interface AuthenticatorOptions {
  ring: KeyRing;
  /** The `iss` of our tokens: the platform's public base URL. */
  issuer: string;
  apiKeys: ApiKeyStore;
  /**
   * Where users' session fences are kept: an access token issued under a
   * lower fence than the user's is refused. Without it, access tokens hold
   * until they expire (the app without storage).
   */
  fences?: SessionFenceStore;
  /** Support grants, read per request where support access is admitted; none without it. */
  supportGrants?: Pick<SupportGrantStore, 'activeForUser'>;
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
  const { fences, supportGrants } = options;
  return {
    async bearer(token, { embed, origin, support = 'none' }) {
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
      const at = now();
      const { principal, sessionFence } = await readAccessToken(options.ring, token, {
        issuer: options.issuer,
        now: at,
      });
      // Both reads at once: a request pays for one round trip, not two.
      const [fence, grants] = await Promise.all([
        fences?.get(principal.partnerId, principal.subject) ?? 0,
        // Platform admins belong to no partner, so no organisation can let them in.
        support === 'none' || supportGrants === undefined || principal.partnerId === ANY_PARTNER
          ? []
          : supportGrants.activeForUser(principal.partnerId, principal.subject, at),
      ]);
      if (sessionFence < fence) {
        throw new DomainError('UNAUTHENTICATED', 'access token refused: session ended', {
          details: { tokenType: 'access', reason: 'session-ended' },
        });
      }
      return withSupportAccess(principal, grants, support, at);
    },
    apiKey: (presented) => verifyApiKey(options.apiKeys, presented, { now: now() }),
  };
}
