import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from './domain/errors.js';
import type { IotCore, StorageHealth } from './domain/ports.js';
import { createMemoryAuth, type AppAuth } from './auth/app-auth.js';
import { apiKeyId } from './auth/api-keys.js';
import type { SessionDeps } from './auth/sessions.js';
import authPlugin from './http/plugins/auth.js';
import corsPlugin from './http/plugins/cors.js';
import errorsPlugin from './http/plugins/errors.js';
import authRoutes from './http/routes/auth.js';
import apiKeyRoutes from './http/routes/api-keys.js';
import auditRoutes from './http/routes/audit.js';
import embedTokenRoutes from './http/routes/embed-tokens.js';
import gatewayRoutes, { type GatewayRoutesOptions } from './http/routes/gateways.js';
import { embedTokenSchemas } from './http/schemas/embed-tokens.js';
import meterKeyRoutes from './http/routes/meter-keys.js';
import meterRoutes from './http/routes/meters.js';
import organisationRoutes from './http/routes/organisations.js';
import partnerRoutes from './http/routes/partners.js';
import propertyRoutes from './http/routes/properties.js';
import supportAccessRoutes from './http/routes/support-access.js';
import propertyTransferRoutes from './http/routes/property-transfers.js';
import tenancyRoutes from './http/routes/tenancies.js';
import unitRoutes from './http/routes/units.js';
import userRoutes from './http/routes/users.js';
import { apiKeySchemas } from './http/schemas/api-keys.js';
import { auditSchemas } from './http/schemas/audit.js';
import { grantSchemas } from './http/schemas/grants.js';
import { meterKeysSchemas } from './http/schemas/meter-keys.js';
import { metersSchemas } from './http/schemas/meters.js';
import { organisationSchemas } from './http/schemas/organisations.js';
import { partnerSchemas } from './http/schemas/partners.js';
import { propertiesSchemas } from './http/schemas/properties.js';
import { supportAccessSchemas } from './http/schemas/support-access.js';
import { propertyTransferSchemas } from './http/schemas/property-transfers.js';
import { tenanciesSchemas } from './http/schemas/tenancies.js';
import { unitsSchemas } from './http/schemas/units.js';
import { userSchemas } from './http/schemas/users.js';
import type { ApiKeyStore } from './auth/api-keys.js';
import type { AuditLog } from './domain/audit.js';
import type { SupportGrantStore } from './domain/support-access.js';
import type {
  MeterStore,
  OrganisationStore,
  PartnerStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
  UserStore,
} from './domain/tenancy/ports.js';
import type { KeyVault } from './keys/index.js';
import type { MeterKeyStore } from './store/dynamodb-meter-key-store.js';
import {
  CertificateStatusRequest,
  Gateway,
  GatewayCertificate,
  GatewayList,
  RegisterGatewayRequest,
  RotateCertificateRequest,
} from './http/schemas/gateways.js';
import {
  Jwks,
  Me,
  RefreshRequest,
  RoleGrantSchema,
  SignInRequest,
  TokenPair,
} from './http/schemas/auth.js';
import i18nPlugin from './http/plugins/i18n.js';
import swaggerPlugin from './http/plugins/swagger.js';
import healthRoutes from './http/routes/health.js';
import ruleIngestRoutes, { type RuleIngest } from './http/routes/iot-rule-ingest.js';
import { ErrorRef, ErrorResponse } from './http/schemas/common.js';
import alarmRoutes from './http/routes/alarms.js';
import consumptionRoutes from './http/routes/consumption.js';
import monthlyInformationRoutes from './http/routes/monthly-information.js';
import gatewayReceptionRoutes from './http/routes/gateway-receptions.js';
import ingestMonitoringRoutes from './http/routes/ingest-monitoring.js';
import liveRoutes from './http/routes/live.js';
import meterReadingRoutes from './http/routes/meter-readings.js';
import { alarmSchemas } from './http/schemas/alarms.js';
import { consumptionSchemas } from './http/schemas/consumption.js';
import { monthlyInformationSchemas } from './http/schemas/monthly-information.js';
import { ingestSchemas } from './http/schemas/ingest.js';
import type { IngestStore } from './ingest/ingest-store.js';
import type { LiveHub } from './ingest/live-hub.js';
import { DEFAULT_MINIMUM_AGGREGATION_UNITS } from './domain/tenancy/property.js';
import { Health } from './http/schemas/health.js';
import webhookRoutes from './http/routes/webhooks.js';
import { webhookSchemas } from './http/schemas/webhooks.js';
import type { WebhookStore } from './domain/webhooks/webhook.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import { VERSION } from './version.js';

export type GatewayDeps = GatewayRoutesOptions & {
  iot: GatewayRoutesOptions['iot'] & Pick<IotCore, 'getShadow'>;
};

export interface AppDeps {
  storage: StorageHealth;
  /** Fastify's logger option; off unless given. */
  logger?: FastifyServerOptions['logger'];
  version?: string;
  /** The local IoT Core's CA certificate, served to gateways and tools that must trust the broker. */
  caCertificatePem?: string;
  /** With AWS IoT Core: where its ingest rule delivers batches (hidden from OpenAPI). */
  ruleIngest?: RuleIngest;
  /** The platform core's stores; without them, those routes answer SERVICE_UNAVAILABLE. */
  core?: CoreServices;
  /**
   * False leaves the platform core's routes out, for tests that register one
   * of them over their own doubles (a store that fails on purpose). Default true.
   */
  coreRoutes?: boolean;
  /**
   * Gateway management, and the gateways' shadows for their health; without it, those routes
   * answer SERVICE_UNAVAILABLE.
   */
  gateways?: GatewayDeps;
  /** Origins allowed to call cross-origin (the partners' allowedOrigins); none without it. */
  corsOrigins?: () => Promise<ReadonlySet<string>>;
  /** Requests per minute and API key (or IP); default 600. */
  rateLimitPerMinute?: number;
  /** Authentication; without it, an in-memory set with no users (tests, the OpenAPI document). */
  auth?: AppAuth;
  /** What the ingest stored, and its live feed; without it, those routes answer SERVICE_UNAVAILABLE. */
  ingest?: { store: IngestStore; hub: LiveHub };
  /** The fewest units a landlord's consumption total may combine; 3 (the least) when absent. */
  minAggregationUnits?: number;
  /** Webhook subscriptions and their delivery; without them, those routes answer SERVICE_UNAVAILABLE. */
  webhooks?: WebhookServices;
}

export interface WebhookServices {
  store: WebhookStore;
  /** The same dispatcher the ingest notifies, so that a change reaches it at once. */
  dispatcher: Pick<WebhookDispatcher, 'sendTest' | 'invalidate'>;
  /** Development only: http and private addresses allowed as webhook URLs. */
  allowLocalUrls: boolean;
}

export interface CoreServices {
  stores: {
    partners: PartnerStore;
    organisations: OrganisationStore;
    properties: PropertyStore;
    units: UnitStore;
    tenancies: TenancyStore;
    meters: MeterStore;
    users: UserStore;
    audit: AuditLog;
  };
  /** The same store the authenticator verifies against, so a revocation holds at once. */
  apiKeys: ApiKeyStore;
  /** The same store the authenticator reads support access from, for the same reason. */
  supportGrants: SupportGrantStore;
  meterKeys: MeterKeyStore;
  vault: KeyVault;
}

/** The platform core's API: partners to meter keys, each plugin over the stores it needs. */
async function registerCoreRoutes(
  app: FastifyInstance,
  given: CoreServices | undefined,
  sessions: SessionDeps,
) {
  for (const schema of [
    ...embedTokenSchemas,
    ...partnerSchemas,
    ...organisationSchemas,
    ...grantSchemas,
    ...userSchemas,
    ...apiKeySchemas,
    ...auditSchemas,
    ...propertiesSchemas,
    ...propertyTransferSchemas,
    ...unitsSchemas,
    ...tenanciesSchemas,
    ...metersSchemas,
    ...meterKeysSchemas,
    ...supportAccessSchemas,
  ]) {
    app.addSchema(schema);
  }
  const core = given ?? {
    stores: unavailable<CoreServices['stores']>('storage'),
    apiKeys: unavailable<ApiKeyStore>('storage'),
    supportGrants: unavailable<SupportGrantStore>('storage'),
    meterKeys: unavailable<MeterKeyStore>('storage'),
    vault: unavailable<KeyVault>('the key vault'),
  };
  const { stores } = core;
  // What a grant names must exist: users and API keys check it through these.
  const grantTargets = {
    organisations: stores.organisations,
    properties: stores.properties,
    units: stores.units,
    tenancies: stores.tenancies,
  };
  await app.register(partnerRoutes, { partners: stores.partners });
  await app.register(organisationRoutes, { organisations: stores.organisations });
  // The sessions the app signs in with: a password or grant change ends them.
  await app.register(userRoutes, { ...grantTargets, users: stores.users, sessions });
  await app.register(apiKeyRoutes, { ...grantTargets, apiKeys: core.apiKeys, audit: stores.audit });
  await app.register(auditRoutes, { audit: stores.audit, organisations: stores.organisations });
  await app.register(propertyRoutes, {
    properties: stores.properties,
    organisations: stores.organisations,
  });
  await app.register(propertyTransferRoutes, {
    properties: stores.properties,
    units: stores.units,
    meters: stores.meters,
    audit: stores.audit,
  });
  await app.register(unitRoutes, { properties: stores.properties, units: stores.units });
  await app.register(tenancyRoutes, {
    properties: stores.properties,
    units: stores.units,
    tenancies: stores.tenancies,
    users: stores.users,
  });
  await app.register(meterRoutes, {
    properties: stores.properties,
    units: stores.units,
    meters: stores.meters,
    meterKeys: core.meterKeys,
  });
  await app.register(supportAccessRoutes, {
    supportGrants: core.supportGrants,
    organisations: stores.organisations,
    users: stores.users,
    audit: stores.audit,
  });
  await app.register(embedTokenRoutes, {
    ring: sessions.ring,
    issuer: sessions.issuer,
    partners: stores.partners,
    properties: stores.properties,
    units: stores.units,
  });
  await app.register(meterKeyRoutes, {
    properties: stores.properties,
    meters: stores.meters,
    meterKeys: core.meterKeys,
    vault: core.vault,
    audit: stores.audit,
  });
}

/**
 * An object whose every method fails with SERVICE_UNAVAILABLE: routes are
 * registered all the same, so the OpenAPI document does not depend on the wiring.
 */
function unavailable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => async () => {
      throw new DomainError('SERVICE_UNAVAILABLE', `${what} is not configured`);
    },
  });
}

/** Readings, consumption and the ingest's monitoring, over the core's stores and the ingest's. */
async function registerIngestRoutes(
  app: FastifyInstance,
  deps: Pick<AppDeps, 'core' | 'ingest' | 'gateways' | 'minAggregationUnits'>,
) {
  for (const schema of [
    ...ingestSchemas,
    ...consumptionSchemas,
    ...monthlyInformationSchemas,
    ...alarmSchemas,
  ]) {
    app.addSchema(schema);
  }
  const stores = deps.core?.stores ?? unavailable<CoreServices['stores']>('storage');
  const store = deps.ingest?.store ?? unavailable<IngestStore>('the ingest');
  const hub: Pick<LiveHub, 'subscribe'> = deps.ingest?.hub ?? {
    subscribe: () => {
      throw new DomainError('SERVICE_UNAVAILABLE', 'the ingest is not configured');
    },
  };
  const tree = { properties: stores.properties, units: stores.units, tenancies: stores.tenancies };
  await app.register(consumptionRoutes, {
    ...tree,
    ingest: store,
    minAggregationUnits: deps.minAggregationUnits ?? DEFAULT_MINIMUM_AGGREGATION_UNITS,
  });
  await app.register(monthlyInformationRoutes, {
    ...tree,
    meters: stores.meters,
    ingest: store,
    minAggregationUnits: deps.minAggregationUnits ?? DEFAULT_MINIMUM_AGGREGATION_UNITS,
  });
  await app.register(meterReadingRoutes, { ...tree, meters: stores.meters, ingest: store });
  await app.register(liveRoutes, { ...tree, meters: stores.meters, hub, ingest: store });
  const { iot } = deps.gateways ?? unavailableGateways();
  await app.register(ingestMonitoringRoutes, {
    iot,
    organisations: stores.organisations,
    ingest: store,
  });
  await app.register(gatewayReceptionRoutes, { iot, meters: stores.meters, ingest: store });
  await app.register(alarmRoutes, {
    ...tree,
    meters: stores.meters,
    organisations: stores.organisations,
    ingest: store,
    audit: stores.audit,
  });
}

/** Webhooks of organisations, over the core's stores and vault. */
async function registerWebhookRoutes(
  app: FastifyInstance,
  deps: Pick<AppDeps, 'core' | 'webhooks'>,
) {
  for (const schema of webhookSchemas) app.addSchema(schema);
  const stores = deps.core?.stores ?? unavailable<CoreServices['stores']>('storage');
  const vault = deps.core?.vault ?? unavailable<KeyVault>('the key vault');
  const webhooks = deps.webhooks ?? {
    store: unavailable<WebhookStore>('webhooks'),
    dispatcher: unavailable<WebhookServices['dispatcher']>('webhooks'),
    allowLocalUrls: false,
  };
  await app.register(webhookRoutes, {
    organisations: stores.organisations,
    webhooks: webhooks.store,
    vault,
    dispatcher: webhooks.dispatcher,
    audit: stores.audit,
    allowLocalUrls: webhooks.allowLocalUrls,
  });
}

function unavailableGateways(): GatewayDeps {
  return {
    iot: unavailable<GatewayDeps['iot']>('gateway management'),
    organisations: unavailable<GatewayRoutesOptions['organisations']>('storage'),
    audit: unavailable<GatewayRoutesOptions['audit']>('storage'),
  };
}

/** Headers whose values must never reach a log line. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-zw-ingest-token"]',
  'res.headers["set-cookie"]',
];

/**
 * The composition root: wires adapters into plugins and routes. It never
 * listens, so tests drive it with `app.inject()` and the CLI decides where it serves.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const version = deps.version ?? VERSION;
  const logger =
    deps.logger && typeof deps.logger === 'object'
      ? { ...deps.logger, redact: { paths: REDACTED, censor: '[redacted]' } }
      : (deps.logger ?? false);

  const app = Fastify({
    logger,
    // Our own ids only: a client-chosen id could be used to forge log lines.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  for (const schema of [
    ErrorResponse,
    Health,
    SignInRequest,
    RefreshRequest,
    TokenPair,
    RoleGrantSchema,
    Me,
    Jwks,
    GatewayCertificate,
    Gateway,
    GatewayList,
    RegisterGatewayRequest,
    RotateCertificateRequest,
    CertificateStatusRequest,
  ]) {
    app.addSchema(schema);
  }

  // Nobody can sign in to the default: it lets the app be built and described without storage.
  const auth = deps.auth ?? (await createMemoryAuth());
  await app.register(i18nPlugin);
  await app.register(errorsPlugin);
  await app.register(swaggerPlugin, { version });
  // Security headers; the CSP is left to the routes that serve pages (Swagger UI needs its own).
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    // Per API key where one is sent (its id, never the secret), per client IP otherwise.
    keyGenerator: (request) => {
      const key = request.headers['x-api-key'];
      const id = typeof key === 'string' ? apiKeyId(key) : null;
      return id === null ? `ip:${request.ip}` : `key:${id}`;
    },
    // The error handler turns this into RATE_LIMITED in the caller's language.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`rate limit of ${context.max} per ${context.after} reached`), {
        statusCode: 429,
      }),
  });
  await app.register(corsPlugin, { allowedOrigins: deps.corsOrigins ?? (async () => new Set()) });
  // Before any route: its onRoute hook checks each route's access rule.
  await app.register(authPlugin, {
    authenticator: auth.authenticator,
    // Where requests served through support access are recorded.
    ...(deps.core === undefined ? {} : { audit: deps.core.stores.audit }),
  });

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));
  await app.register(healthRoutes, { storage: deps.storage, version });
  await app.register(authRoutes, { sessions: auth.sessions, partnerForHost: auth.partnerForHost });
  await app.register(gatewayRoutes, deps.gateways ?? unavailableGateways());

  if (deps.coreRoutes !== false) {
    await registerCoreRoutes(app, deps.core, auth.sessions);
    await registerIngestRoutes(app, deps);
    await registerWebhookRoutes(app, deps);
  }

  // Registered without a CA too, so that the OpenAPI document is the same wherever it is emitted.
  const caCertificatePem = deps.caCertificatePem;
  app.get(
    '/v1/iot/ca.pem',
    {
      config: { access: { public: 'a CA certificate is public' } },
      schema: {
        operationId: 'getIotCaCertificate',
        tags: ['iot'],
        summary: "The local IoT Core's CA certificate",
        description:
          'The PEM certificate of the CA that signs the MQTT broker and every gateway certificate ' +
          'of the local IoT Core emulator. Gateways and tools trust the broker through it. It is ' +
          'public; a CA kept in memory changes at every start. 503 when no local IoT Core runs.',
        response: {
          200: {
            description: 'The CA certificate, PEM',
            content: { 'application/x-pem-file': { schema: Type.String() } },
          },
          503: ErrorRef,
        },
      },
    },
    async (_request, reply) => {
      if (caCertificatePem === undefined) {
        throw new DomainError('SERVICE_UNAVAILABLE', 'no local IoT Core is running');
      }
      return reply
        .header('cache-control', 'no-cache')
        .type('application/x-pem-file')
        .send(caCertificatePem);
    },
  );

  if (deps.ruleIngest !== undefined) {
    await app.register(ruleIngestRoutes, { ingest: deps.ruleIngest });
  }

  return app;
}

export type { AppAuth } from './auth/app-auth.js';
