import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { buildApp } from '../src/app.js';
import { createMemoryAuth } from '../src/auth/app-auth.js';
import { issueAccessToken } from '../src/auth/access-token.js';
import { createApiKey, type ApiKeyStore } from '../src/auth/api-keys.js';
import type { RoleGrant } from '../src/auth/principal.js';
import type { SessionDeps } from '../src/auth/sessions.js';
import {
  createMemorySigningKeyStore,
  openKeyRing,
  type KeyRing,
} from '../src/auth/signing-keys.js';
import { userDirectory } from '../src/platform-services.js';
import { createDynamoApiKeyStore } from '../src/store/dynamodb-api-key-store.js';
import {
  createDynamoTenancyStores,
  type DynamoTenancyStores,
} from '../src/store/dynamodb-tenancy-stores.js';

const ISSUER = 'https://zw.example';

export interface TenancyAppOptions {
  /** A table of useDynaliteTable (test/ports/dynalite-table.ts). */
  table: { doc: DynamoDBDocumentClient; tableName: string };
  /** $id'd schemas of the routes under test, added before `register` runs. */
  schemas?: readonly TSchema[];
  /** Registers the routes under test; the app is made ready afterwards. */
  register(
    app: FastifyInstance,
    stores: DynamoTenancyStores,
    services: TenancyAppServices,
  ): PromiseLike<unknown>;
}

/** What else the app authenticates with, for routes that manage it. */
export interface TenancyAppServices {
  /** The API key store the app authenticates with (DynamoDB, on the test's table). */
  apiKeys: ApiKeyStore;
  /** The ring the app's tokens are signed with, and their issuer. */
  ring: KeyRing;
  issuer: string;
  /** The sessions users sign in to (refresh tokens and fences in memory). */
  sessions: SessionDeps;
}

export interface TenancyApp {
  app: FastifyInstance;
  /** The real stores on the test's table, writing to the real audit log. */
  stores: DynamoTenancyStores;
  /** Every line the app logged (JSON, as pino writes it), at trace level. */
  logLines: string[];
  /** Authorization header of a user with these grants (user id `u-1` unless given). */
  bearer(partnerId: string, grants: RoleGrant[], userId?: string): Promise<Record<string, string>>;
  /** Header of a new API key with these grants (limited to an organisation when given). */
  apiKey(
    partnerId: string,
    grants: RoleGrant[],
    organisationId?: string,
  ): Promise<Record<string, string>>;
  /** The API key store the app authenticates with. */
  apiKeys: ApiKeyStore;
  close(): Promise<void>;
}

/**
 * The API over the real DynamoDB stores (dynalite) with real tokens: a key
 * ring in memory, API keys and sign-in over the table, a log captured line by
 * line, and whatever routes the test registers. Partners, organisations and
 * the rest are made through `stores`, as a seed would.
 */
export async function startTenancyApp(options: TenancyAppOptions): Promise<TenancyApp> {
  const ring = await openKeyRing(createMemorySigningKeyStore());
  const apiKeys = createDynamoApiKeyStore(options.table);
  const stores = createDynamoTenancyStores(options.table);
  const logLines: string[] = [];
  const auth = await createMemoryAuth({
    ring,
    issuer: ISSUER,
    apiKeys,
    users: userDirectory(stores.users),
  });
  const app = await buildApp({
    storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
    rateLimitPerMinute: 100_000,
    // The tests register the routes under test themselves, over their own doubles.
    coreRoutes: false,
    logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } },
    auth,
  });
  for (const schema of options.schemas ?? []) app.addSchema(schema);
  await options.register(app, stores, { apiKeys, ring, issuer: ISSUER, sessions: auth.sessions });
  await app.ready();
  return {
    app,
    stores,
    logLines,
    apiKeys,
    async bearer(partnerId, grants, userId = 'u-1') {
      const { token } = await issueAccessToken(
        ring,
        { userId, partnerId, grants },
        { now: new Date(), issuer: ISSUER },
      );
      return { authorization: `Bearer ${token}` };
    },
    async apiKey(partnerId, grants, organisationId) {
      const created = await createApiKey(
        apiKeys,
        {
          partnerId,
          ...(organisationId === undefined ? {} : { organisationId }),
          name: 'integration',
          scopes: ['tenancy'],
          grants,
          createdBy: 'u-1',
        },
        { now: new Date() },
      );
      return { 'x-api-key': created.apiKey };
    },
    async close() {
      await app.close();
    },
  };
}
