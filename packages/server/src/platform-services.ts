import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppAuth } from './app.js';
import type { Config } from './config.js';
import type { ApiKeyStore } from './auth/api-keys.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { LoginUser, UserDirectory } from './auth/sessions.js';
import { openKeyRing } from './auth/signing-keys.js';
import type { SupportGrantStore } from './domain/support-access.js';
import { everyItem } from './domain/tenancy/every-item.js';
import type { User } from './domain/tenancy/user.js';
import {
  createKeyVault,
  createKmsMasterKey,
  openLocalMasterKey,
  type KeyVault,
} from './keys/index.js';
import { createDynamoApiKeyStore } from './store/dynamodb-api-key-store.js';
import { createDynamoMeterKeyStore, type MeterKeyStore } from './store/dynamodb-meter-key-store.js';
import { createDynamoRefreshTokenStore } from './store/dynamodb-refresh-token-store.js';
import { createDynamoSessionFenceStore } from './store/dynamodb-session-fence-store.js';
import { createDynamoSigningKeyStore } from './store/dynamodb-signing-key-store.js';
import { createDynamoSupportGrantStore } from './store/dynamodb-support-grant-store.js';
import {
  createDynamoTenancyStores,
  type DynamoTenancyStores,
} from './store/dynamodb-tenancy-stores.js';

export interface PlatformServices {
  stores: DynamoTenancyStores;
  apiKeys: ApiKeyStore;
  supportGrants: SupportGrantStore;
  meterKeys: MeterKeyStore;
  vault: KeyVault;
  auth: AppAuth;
  /** Every origin an active partner allows, for CORS. */
  corsOrigins(): Promise<ReadonlySet<string>>;
}

export interface PlatformServicesOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** `iss` of our tokens. */
  issuer: string;
  /** Where the local master key file lives; in memory without it. */
  dataDir?: string;
  /** An AWS KMS key ARN: the master key in production, instead of the local file. */
  kmsKeyId?: string;
  /** KMS keys of earlier rotations, whose envelopes must still open until rewrapped. */
  kmsPreviousKeyIds?: readonly string[];
  region: string;
}

/**
 * The services' options as the server's configuration gives them: the API
 * server and an ingest worker must open the same master keys and sign with
 * the same issuer, so both take them from here.
 */
export function platformServicesOptions(
  config: Pick<
    Config,
    'table' | 'publicUrl' | 'region' | 'dataDir' | 'kmsKeyId' | 'kmsPreviousKeyIds'
  >,
  doc: DynamoDBDocumentClient,
): PlatformServicesOptions {
  return {
    doc,
    tableName: config.table,
    // Stable across restarts and instances, unlike the listening address.
    issuer: config.publicUrl ?? `urn:zaehlwerk:${config.table}`,
    region: config.region,
    ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
    ...(config.kmsKeyId === undefined ? {} : { kmsKeyId: config.kmsKeyId }),
    ...(config.kmsPreviousKeyIds === undefined
      ? {}
      : { kmsPreviousKeyIds: config.kmsPreviousKeyIds.split(',') }),
  };
}

function toLoginUser(user: User | null): LoginUser | null {
  if (user === null) return null;
  return {
    id: user.id,
    partnerId: user.partnerId,
    passwordHash: user.passwordHash ?? null,
    grants: user.grants,
    status: user.status,
    ...(user.locale === undefined ? {} : { locale: user.locale }),
  };
}

/** Sign-in reads users from the tenancy store; a stronger hash is written back as the system. */
export function userDirectory(users: DynamoTenancyStores['users']): UserDirectory {
  return {
    findByEmail: async (partnerId, email) => toLoginUser(await users.findByEmail(partnerId, email)),
    getById: async (partnerId, userId) => toLoginUser(await users.get(partnerId, userId)),
    async replacePasswordHash(partnerId, userId, hash) {
      const user = await users.get(partnerId, userId);
      if (user === null) return;
      await users.update(partnerId, userId, { passwordHash: hash }, user.version, {
        kind: 'system',
        id: 'sign-in-rehash',
      });
    },
  };
}

/**
 * The platform's stores and security services over one DynamoDB table: the
 * tenancy stores with their audit log, API keys, support access, the token
 * signing ring, sessions with their fences, and the meter key vault (local
 * master key file, or AWS KMS).
 */
export async function createPlatformServices(
  options: PlatformServicesOptions,
): Promise<PlatformServices> {
  const { doc, tableName, issuer } = options;
  const stores = createDynamoTenancyStores({ doc, tableName });
  const apiKeys = createDynamoApiKeyStore({ doc, tableName });
  const supportGrants = createDynamoSupportGrantStore({ doc, tableName });
  // One store read by the authenticator and raised by the user routes (sessions).
  const fences = createDynamoSessionFenceStore({ doc, tableName });
  const ring = await openKeyRing(createDynamoSigningKeyStore({ doc, tableName }));
  const masterKey =
    options.kmsKeyId === undefined
      ? await openLocalMasterKey(options.dataDir === undefined ? {} : { dataDir: options.dataDir })
      : createKmsMasterKey({
          keyId: options.kmsKeyId,
          previousKeyIds: options.kmsPreviousKeyIds ?? [],
          clientConfig: { region: options.region },
        });
  const auth: AppAuth = {
    authenticator: createAuthenticator({ ring, issuer, apiKeys, fences, supportGrants }),
    sessions: {
      ring,
      issuer,
      users: userDirectory(stores.users),
      refreshTokens: createDynamoRefreshTokenStore({ doc, tableName }),
      fences,
    },
    async partnerForHost(host) {
      const partner = await stores.partners.findByCustomDomain(host.replace(/:\d+$/, ''));
      return partner === null || partner.status !== 'active' ? null : partner.id;
    },
  };
  async function corsOrigins(): Promise<ReadonlySet<string>> {
    const origins = new Set<string>();
    for await (const partner of everyItem((page) => stores.partners.list(page))) {
      if (partner.status === 'active') for (const o of partner.allowedOrigins) origins.add(o);
    }
    return origins;
  }
  return {
    stores,
    apiKeys,
    supportGrants,
    meterKeys: createDynamoMeterKeyStore({ doc, tableName }),
    vault: createKeyVault({ masterKey }),
    auth,
    corsOrigins,
  };
}
