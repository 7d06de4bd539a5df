import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { createMemoryAuth } from '../src/auth/app-auth.js';
import { issueAccessToken } from '../src/auth/access-token.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { createMemoryApiKeyStore } from '../src/auth/memory-api-key-store.js';
import type { RoleGrant } from '../src/auth/principal.js';
import { createMemorySigningKeyStore, openKeyRing } from '../src/auth/signing-keys.js';
import type { NewAuditEntry } from '../src/domain/audit.js';
import type { LocalBroker } from '../src/iot/local/broker/index.js';
import { startLocalIotCore } from '../src/iot/local/local-iot-core.js';
import { loadOrCreateCertificateAuthority } from '../src/iot/local/pki/index.js';
import { createMemoryIotRegistry } from '../src/iot/memory-iot-registry.js';

const ISSUER = 'https://zw.example';

export interface GatewayApp {
  app: FastifyInstance;
  broker: LocalBroker;
  /** What the routes appended to the audit log, in order. */
  audit: NewAuditEntry[];
  /** Authorization header of a user with these grants. */
  bearer(partnerId: string, grants: RoleGrant[]): Promise<Record<string, string>>;
  /** A new API key (the secret) with these grants. */
  apiKey(partnerId: string, grants: RoleGrant[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * The API with gateway management over a real local IoT Core (broker, CA,
 * registry in memory), organisations acme/o1, acme/o2 and other/o1, and an
 * audit log kept in an array.
 */
export async function startGatewayApp(
  organisations = ['acme/o1', 'acme/o2', 'other/o1'],
): Promise<GatewayApp> {
  const known = new Set(organisations);
  const ring = await openKeyRing(createMemorySigningKeyStore());
  const apiKeys = createMemoryApiKeyStore();
  const ca = await loadOrCreateCertificateAuthority();
  const { iot, broker } = await startLocalIotCore({
    registry: createMemoryIotRegistry(),
    ca,
    port: 0,
    host: '127.0.0.1',
  });
  const audit: NewAuditEntry[] = [];
  const app = await buildApp({
    storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
    rateLimitPerMinute: 10_000,
    auth: await createMemoryAuth({ ring, issuer: ISSUER, apiKeys }),
    gateways: {
      iot,
      organisations: {
        // Only existence is asked of an organisation here.
        get: async (partnerId, organisationId) =>
          known.has(`${partnerId}/${organisationId}`)
            ? ({ id: organisationId, partnerId } as never)
            : null,
      },
      audit: {
        append: async (entry) => {
          audit.push(entry);
          return { ...entry, id: String(audit.length), at: new Date().toISOString() };
        },
      },
    },
  });
  return {
    app,
    broker,
    audit,
    async bearer(partnerId, grants) {
      const { token } = await issueAccessToken(
        ring,
        { userId: 'u-1', partnerId, grants },
        { now: new Date(), issuer: ISSUER },
      );
      return { authorization: `Bearer ${token}` };
    },
    async apiKey(partnerId, grants) {
      const created = await createApiKey(
        apiKeys,
        { partnerId, name: 'operator CLI', scopes: ['gateways'], grants, createdBy: 'u-1' },
        { now: new Date() },
      );
      return created.apiKey;
    },
    async close() {
      await app.close();
      await broker.close();
    },
  };
}
