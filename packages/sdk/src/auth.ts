import { isZaehlwerkError } from './errors.js';
import type { TokenPair } from './models.js';

/** Integrators' systems: a key made in the portal or by POST /v1/api-keys, sent as `x-api-key`. */
interface ApiKeyCredentials {
  apiKey: string;
  token?: undefined;
  refreshToken?: undefined;
  embedToken?: undefined;
}

/**
 * A signed-in user: the access token of POST /v1/auth/login, and its refresh
 * token so that the client can renew an expired access token by itself. A
 * refresh token alone resumes a stored session (the first call refreshes).
 */
type SessionCredentials = {
  apiKey?: undefined;
  embedToken?: undefined;
} & ({ token: string; refreshToken?: string } | { token?: undefined; refreshToken: string });

/** A widget's short-lived embed token (POST /v1/embed-tokens): read-only widget routes only. */
interface EmbedCredentials {
  embedToken: string;
  apiKey?: undefined;
  token?: undefined;
  refreshToken?: undefined;
}

/** Public routes, and `login()`, which turns the client into a signed-in one. */
interface NoCredentials {
  apiKey?: undefined;
  token?: undefined;
  refreshToken?: undefined;
  embedToken?: undefined;
}

/** At most one way of signing the calls. */
export type Credentials = ApiKeyCredentials | SessionCredentials | EmbedCredentials | NoCredentials;

export type OnTokens = (tokens: TokenPair) => void | Promise<void>;

export type RefreshOutcome = 'refreshed' | 'failed';

/**
 * What the client signs its calls with, and, for users, the session's token
 * pair. A refresh token is used once (the server ends the whole session when
 * it sees one again), so concurrent calls that meet an expired access token
 * share one refresh.
 */
export class Session {
  private apiKey: string | undefined;
  private embedToken: string | undefined;
  private accessToken: string | undefined;
  private refreshToken: string | undefined;
  private refreshing: Promise<RefreshOutcome> | undefined;

  constructor(
    credentials: Credentials,
    private readonly refreshWith: (refreshToken: string) => Promise<TokenPair>,
    private readonly onTokens: OnTokens | undefined,
  ) {
    const given = (['apiKey', 'token', 'embedToken'] as const).filter(
      (k) => credentials[k] !== undefined,
    );
    if (given.length > 1) {
      throw new TypeError(
        `createClient: give one of apiKey, token, embedToken (got ${given.join(', ')})`,
      );
    }
    if (credentials.refreshToken !== undefined && given.length > 0 && given[0] !== 'token') {
      throw new TypeError(
        'createClient: refreshToken goes with token, not with apiKey or embedToken',
      );
    }
    this.apiKey = credentials.apiKey;
    this.embedToken = credentials.embedToken;
    this.accessToken = credentials.token;
    this.refreshToken = credentials.refreshToken;
  }

  /** How calls are signed now: a session starts with login() and ends with logout(). */
  get kind(): 'none' | 'api-key' | 'user' | 'embed' {
    if (this.apiKey !== undefined) return 'api-key';
    if (this.embedToken !== undefined) return 'embed';
    return this.accessToken !== undefined || this.refreshToken !== undefined ? 'user' : 'none';
  }

  /** The header that signs a call now, if any. */
  header(): { name: string; value: string } | undefined {
    if (this.apiKey !== undefined) return { name: 'x-api-key', value: this.apiKey };
    const bearer = this.embedToken ?? this.accessToken;
    return bearer === undefined ? undefined : { name: 'authorization', value: `Bearer ${bearer}` };
  }

  /** The access token a call is signed with now; compared after a 401 to see whether a refresh already happened. */
  currentAccessToken(): string | undefined {
    return this.accessToken;
  }

  canRefresh(): boolean {
    return this.refreshToken !== undefined;
  }

  /** The refresh token to end the session with, forgetting both tokens. */
  end(): string | undefined {
    const refreshToken = this.refreshToken;
    this.accessToken = undefined;
    this.refreshToken = undefined;
    return refreshToken;
  }

  /** Takes a token pair from a sign-in or refresh, and hands it to `onTokens` to keep. */
  async adopt(tokens: TokenPair): Promise<void> {
    if (this.kind === 'api-key' || this.kind === 'embed') {
      throw new TypeError(
        `this client signs its calls with ${this.kind === 'api-key' ? 'an API key' : 'an embed token'}, not a session`,
      );
    }
    this.accessToken = tokens.accessToken;
    this.refreshToken = tokens.refreshToken;
    await this.onTokens?.(tokens);
  }

  /**
   * Renews the access token after `rejected` was refused. When another call
   * renewed it meanwhile, or is doing so, this one uses (or waits for) that
   * result instead of spending the refresh token a second time.
   */
  refresh(rejected: string | undefined): Promise<RefreshOutcome> {
    if (this.accessToken !== rejected && this.accessToken !== undefined) {
      return Promise.resolve('refreshed');
    }
    this.refreshing ??= this.runRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async runRefresh(): Promise<RefreshOutcome> {
    const refreshToken = this.refreshToken;
    if (refreshToken === undefined) return 'failed';
    let tokens: TokenPair;
    try {
      tokens = await this.refreshWith(refreshToken);
    } catch (error) {
      // A refused refresh token is spent for good; after a network failure it may still work.
      if (isZaehlwerkError(error) && error.status === 401 && this.refreshToken === refreshToken) {
        this.end();
      }
      return 'failed';
    }
    await this.adopt(tokens);
    return 'refreshed';
  }
}
