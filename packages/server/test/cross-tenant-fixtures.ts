import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createFleet } from '@zaehlwerk/firmware-contract/simulator';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { issueAccessToken } from '../src/auth/access-token.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { issueEmbedToken } from '../src/auth/embed-tokens.js';
import type { Role, RoleGrant } from '../src/auth/principal.js';
import { seedDemo, type DemoPartnerCredentials } from '../src/demo/seed.js';
import { alarmId } from '../src/domain/alarms/alarm.js';
import type { Actor } from '../src/domain/audit.js';
import { newSupportGrant } from '../src/domain/support-access.js';
import type { Meter } from '../src/domain/tenancy/meter.js';
import { startLocalIotCore } from '../src/iot/local/local-iot-core.js';
import { loadOrCreateCertificateAuthority } from '../src/iot/local/pki/index.js';
import { makeGatewayCsr } from '../src/iot/local/pki/pki-test-kit.js';
import { createPlatformServices, type PlatformServices } from '../src/platform-services.js';
import { createDynamoIotRegistry } from '../src/store/dynamodb-iot-registry.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { LiveHub } from '../src/ingest/live-hub.js';
import { createDynamoWebhookStore } from '../src/store/dynamodb-webhook-store.js';
import { WebhookDispatcher } from '../src/webhooks/dispatcher.js';
import { newWebhookSecret, sealWebhookSecret } from '../src/webhooks/webhook-secret.js';
import { meterPlace } from '../src/ingest/pipeline.js';

/**
 * The world of the cross-tenant matrix (cross-tenant-matrix.test.ts): the
 * app as production builds it, over the real stores on one table and a real
 * local IoT Core, with the seeded partners `demo` and `solvimus`; callers of
 * every role of `demo`; and for every guarded route a fixture that builds a
 * request naming one partner's resources.
 */

export const ISSUER = 'https://zw.example';
export const CALLER_PARTNER = 'demo';
export const OTHER_PARTNER = 'solvimus';
/** The demo partner's embed origin (its allowedOrigins in the demo catalogue). */
export const DEMO_ORIGIN = 'https://demo.localhost:8443';
/** solvimus' custom domain: the partner a host-resolving route would pick. */
export const OTHER_HOST = 'solvimus.localhost';
const ACTOR: Actor = { kind: 'system', id: 'cross-tenant-matrix' };
/** A version no record reaches: a change sent with it can never be stored. */
export const STALE_VERSION = 999_999;

/** One partner's resources as the fixtures name them. */
export interface World {
  partnerId: string;
  operatorOrganisationId: string;
  managerOrganisationId: string;
  propertyId: string;
  /** The first unit: the demo tenant's. */
  unitId: string;
  /** The first unit's tenancy. */
  tenancyId: string;
  /** A meter of the first unit, made for the matrix (not one of the simulated fleet). */
  meterId: string;
  /** The first unit's tenant. */
  tenantUserId: string;
  /** An API key limited to the operator organisation, made to be looked at and revoked. */
  apiKeyId: string;
  /** The gateway of the operator organisation, registered through the IoT Core port. */
  thingName: string;
  certificateId: string;
  /** Cursors of each partner's first page of one item (a second page exists). */
  cursors: { users: string; organisations: string };
  /** A support engineer's account: a user without grants, made for the matrix. */
  supportUserId: string;
  /** That user's support access to the operator organisation. */
  supportAccessId: string;
  /** Days inside the first unit's tenancy with consumption of three units (reading routes). */
  days: { from: string; to: string };
  /** An active alarm of the matrix's meter. */
  alarmId: string;
  /** A webhook of the operator organisation. */
  webhookId: string;
}

/**
 * Ids of the same shapes that exist in no partner. Another partner's resource
 * must be answered as one of these is: otherwise ids could be probed across
 * partners (authorize.ts: NOT_FOUND across partners).
 */
export const NOWHERE: World = {
  partnerId: 'nowhere',
  operatorOrganisationId: 'org_nowhere000000001',
  managerOrganisationId: 'org_nowhere000000002',
  propertyId: 'prop_nowhere00000001',
  unitId: 'unit_nowhere00000001',
  tenancyId: 'ten_nowhere000000001',
  meterId: 'mtr_nowhere000000001',
  tenantUserId: 'usr_nowhere000000001',
  apiKeyId: 'nowherekeyaa',
  thingName: 'nowhere-matrix-gw',
  certificateId: '0'.repeat(64),
  cursors: { users: 'bm93aGVyZQ', organisations: 'bm93aGVyZQ' },
  supportUserId: 'usr_nowhere000000002',
  supportAccessId: 'sup_nowhere000000001',
  days: { from: '2025-02-01', to: '2025-02-28' },
  alarmId: 'leak.2025-02-10T12:00:00.000Z',
  webhookId: 'wh_0000000000000000',
};

/** What a fixture adds to the route's method and URL. */
export interface Built {
  /** Every `:param` of the route's URL. */
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean>;
  /** JSON unless it is a string sent with `contentType`. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface BuildContext {
  /** The partner whose resources the request names. */
  target: World;
  /** The caller's partner (the same as target for positive controls). */
  own: World;
  /** Unique per request: for names, e-mails, meter ids and thing names of creates. */
  n: number;
  services: PlatformServices;
}

/**
 * - `resource`: the request names a resource of the target partner (in the
 *   URL, the query or the body); against another partner's it must be refused.
 * - `caller`: the route acts on the caller's own partner or account and takes
 *   no other partner's id (the fixture tries what it can: another partner's
 *   host name or pagination cursor); it may succeed, but only with the
 *   caller's own records.
 */
export type Target = 'resource' | 'caller';

export interface Fixture {
  /** Tells a route's fixtures apart in test names; absent for the main one. */
  variant?: string;
  target: Target;
  build(ctx: BuildContext): Built | Promise<Built>;
  /** Statuses a request naming another partner's ids may get (`resource`); 403 and 404 unless given. */
  denied?: readonly number[];
  /**
   * The same request built from the caller's own partner, for each role the
   * rule admits: the statuses that prove the fixture reaches a real resource
   * past authorisation (200 for reads; for changes, often 409 for a stale
   * version: the record was found and the caller allowed to change it). False
   * for variants, whose main fixture has the control.
   */
  control: readonly number[] | false;
  /**
   * Routes a platform admin may use: the statuses its request against the
   * other partner gets. Platform admins belong to no partner and reach every
   * partner by design (authorize.ts); the matrix only records it.
   */
  platformAdmin?: readonly number[];
  /**
   * Statuses of the positive control for particular callers, where they
   * differ from `control` (a landlord refused one unit's values), and for
   * the embed tokens of routes that admit widgets (required there).
   */
  controlFor?: Partial<Record<PartnerRole | EmbedCredential, readonly number[]>>;
}

function csrFor(thingName: string) {
  return makeGatewayCsr('P-256', `CN=${thingName}`).then((k) => k.csrPem);
}

const address = (n: number) => ({
  street: `Matrixweg ${n}`,
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
});
const heatingSystem = { kind: 'central', fuel: 'natural-gas-h', warmWaterCentral: true };
const meterNumber = (n: number) => String(70_000_000 + n);
const tomorrow = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();
const METER_KEY = '00112233445566778899AABBCCDDEEFF';

/**
 * Per route (`"<METHOD> <url>"`, as app.accessTable() lists it) one or more
 * fixtures. A route without one fails the matrix's first test: a new route
 * must say here how another partner's resource is named to it.
 */
export const FIXTURES: Readonly<Record<string, Fixture | readonly Fixture[]>> = {
  // ---- the caller itself ---------------------------------------------------------------
  'GET /v1/me': {
    target: 'caller',
    build: () => ({ headers: { host: OTHER_HOST } }),
    control: [200],
  },
  'GET /v1/me/profile': {
    target: 'caller',
    build: () => ({ headers: { host: OTHER_HOST } }),
    control: [200],
  },
  'PATCH /v1/me/profile': {
    target: 'caller',
    build: ({ n }) => ({
      headers: { host: OTHER_HOST },
      body: { version: STALE_VERSION, name: `Matrix ${n}` },
    }),
    control: [409],
  },
  'PUT /v1/me/password': {
    target: 'caller',
    // A wrong current password: answered 401 INVALID_CREDENTIALS once the user is found.
    build: () => ({
      headers: { host: OTHER_HOST },
      body: { currentPassword: 'not-the-password', newPassword: 'matrix-password-1' },
    }),
    control: [401],
  },

  // ---- gateways ------------------------------------------------------------------------
  'POST /v1/gateways': {
    target: 'resource',
    build: async ({ target, n }) => {
      const thingName = `${target.partnerId}-matrix-gw-${n}`;
      return {
        body: {
          organisationId: target.operatorOrganisationId,
          thingName,
          csrPem: await csrFor(thingName),
        },
      };
    },
    control: [201],
  },
  'GET /v1/gateways': {
    target: 'resource',
    build: ({ target }) => ({ query: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'GET /v1/gateways/:thingName': {
    target: 'resource',
    build: ({ target }) => ({ params: { thingName: target.thingName } }),
    control: [200],
  },
  'POST /v1/gateways/:thingName/certificates': {
    target: 'resource',
    build: async ({ target }) => ({
      params: { thingName: target.thingName },
      body: { csrPem: await csrFor(target.thingName) },
    }),
    // 409 once two certificates are ACTIVE: the rotation was allowed and refused on its merits.
    control: [201, 409],
  },
  'PUT /v1/gateways/:thingName/certificates/:certificateId/status': [
    {
      target: 'resource',
      build: ({ target }) => ({
        params: { thingName: target.thingName, certificateId: target.certificateId },
        body: { status: 'ACTIVE' },
      }),
      control: [200],
    },
    {
      variant: "own gateway, other partner's certificate",
      target: 'resource',
      build: ({ target, own }) => ({
        params: { thingName: own.thingName, certificateId: target.certificateId },
        body: { status: 'ACTIVE' },
      }),
      control: false,
    },
  ],

  // ---- partners ------------------------------------------------------------------------
  'POST /v1/partners': {
    target: 'resource',
    build: ({ n }) => ({
      body: {
        id: `matrix-${n}`,
        name: `Matrix ${n}`,
        branding: {
          colours: {
            primary: '#0055aa',
            onPrimary: '#ffffff',
            background: '#ffffff',
            text: '#111',
          },
          fonts: { body: 'Georgia, serif', heading: 'Georgia, serif' },
          defaultLocale: 'de',
          legal: {
            imprintUrl: 'https://matrix.example/impressum',
            privacyUrl: 'https://matrix.example/datenschutz',
          },
        },
      },
    }),
    // Platform admins only: no partner's role is admitted.
    control: false,
    platformAdmin: [201],
  },
  'GET /v1/partners': {
    target: 'resource',
    build: () => ({}),
    control: false,
    platformAdmin: [200],
  },
  'GET /v1/partners/:partnerId': {
    target: 'resource',
    build: ({ target }) => ({ params: { partnerId: target.partnerId } }),
    control: [200],
    platformAdmin: [200],
  },
  'PATCH /v1/partners/:partnerId': {
    target: 'resource',
    build: ({ target, n }) => ({
      params: { partnerId: target.partnerId },
      body: { version: STALE_VERSION, name: `Matrix ${n}` },
    }),
    control: [409],
    platformAdmin: [409],
  },

  // ---- organisations -------------------------------------------------------------------
  'POST /v1/organisations': {
    // The organisation is made in the caller's partner; nothing names another.
    target: 'caller',
    build: ({ n }) => ({
      headers: { host: OTHER_HOST },
      body: { name: `Matrix Hausverwaltung ${n}`, kind: 'property-manager' },
    }),
    control: [201],
  },
  'GET /v1/organisations': {
    target: 'caller',
    build: ({ target }) => ({ query: { limit: 1, cursor: target.cursors.organisations } }),
    control: [200],
  },
  'GET /v1/organisations/:organisationId': {
    target: 'resource',
    build: ({ target }) => ({ params: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'PATCH /v1/organisations/:organisationId': {
    target: 'resource',
    build: ({ target, n }) => ({
      params: { organisationId: target.operatorOrganisationId },
      body: { version: STALE_VERSION, name: `Matrix ${n}` },
    }),
    control: [409],
  },
  'DELETE /v1/organisations/:organisationId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { organisationId: target.operatorOrganisationId },
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },

  // ---- users ---------------------------------------------------------------------------
  'POST /v1/users': {
    // Users are made in the caller's partner; their grants name the target's property.
    target: 'resource',
    build: ({ target, n }) => ({
      body: {
        email: `matrix-${n}@matrix.example`,
        name: `Matrix ${n}`,
        grants: [{ role: 'landlord', propertyId: target.propertyId }],
      },
    }),
    control: [201],
  },
  'GET /v1/users': {
    target: 'caller',
    build: ({ target }) => ({ query: { limit: 1, cursor: target.cursors.users } }),
    control: [200],
  },
  'GET /v1/users/:userId': {
    target: 'resource',
    build: ({ target }) => ({ params: { userId: target.tenantUserId } }),
    control: [200],
  },
  'PATCH /v1/users/:userId': [
    {
      target: 'resource',
      build: ({ target, n }) => ({
        params: { userId: target.tenantUserId },
        body: { version: STALE_VERSION, name: `Matrix ${n}` },
      }),
      control: [409],
    },
    {
      variant: "own user, grant on the other partner's unit",
      target: 'resource',
      // The grants are checked before the version: 404 for a unit the caller's partner lacks.
      build: ({ target, own }) => ({
        params: { userId: own.tenantUserId },
        body: { version: STALE_VERSION, grants: [{ role: 'tenant', unitId: target.unitId }] },
      }),
      control: false,
    },
  ],
  'DELETE /v1/users/:userId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { userId: target.tenantUserId },
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },

  // ---- API keys ------------------------------------------------------------------------
  'POST /v1/api-keys': [
    {
      target: 'resource',
      build: ({ target, n }) => ({
        body: {
          name: `Matrix ${n}`,
          organisationId: target.operatorOrganisationId,
          grants: [{ role: 'operator', organisationId: target.operatorOrganisationId }],
        },
      }),
      control: [201],
    },
    {
      variant: "own organisation, grant on the other partner's property",
      target: 'resource',
      build: ({ target, own, n }) => ({
        body: {
          name: `Matrix ${n}`,
          organisationId: own.operatorOrganisationId,
          grants: [
            {
              role: 'landlord',
              organisationId: own.operatorOrganisationId,
              propertyId: target.propertyId,
            },
          ],
        },
      }),
      control: false,
    },
  ],
  'GET /v1/api-keys': {
    target: 'resource',
    build: ({ target }) => ({ query: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'GET /v1/api-keys/:keyId': {
    target: 'resource',
    build: ({ target }) => ({ params: { keyId: target.apiKeyId } }),
    control: [200],
  },
  'POST /v1/api-keys/:keyId/revoke': {
    target: 'resource',
    build: ({ target }) => ({ params: { keyId: target.apiKeyId } }),
    // Revokes the caller's partner's matrix key, which nobody authenticates with.
    control: [200],
  },

  // ---- audit ---------------------------------------------------------------------------
  'GET /v1/audit': {
    target: 'resource',
    build: ({ target }) => ({ query: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },

  // ---- properties ----------------------------------------------------------------------
  'POST /v1/properties': [
    {
      target: 'resource',
      build: ({ target, n }) => ({
        body: {
          organisationId: target.operatorOrganisationId,
          name: `Matrixhaus ${n}`,
          address: address(n),
          heatingSystem,
        },
      }),
      control: [201],
    },
    {
      variant: "own operator, the other partner's manager",
      target: 'resource',
      build: ({ target, own, n }) => ({
        body: {
          organisationId: own.operatorOrganisationId,
          managerOrganisationId: target.managerOrganisationId,
          name: `Matrixhaus ${n}`,
          address: address(n),
          heatingSystem,
        },
      }),
      control: false,
    },
  ],
  'GET /v1/properties': {
    target: 'resource',
    build: ({ target }) => ({ query: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'GET /v1/properties/:propertyId': {
    target: 'resource',
    build: ({ target }) => ({ params: { propertyId: target.propertyId } }),
    control: [200],
  },
  'PATCH /v1/properties/:propertyId': [
    {
      target: 'resource',
      build: ({ target, n }) => ({
        params: { propertyId: target.propertyId },
        body: { version: STALE_VERSION, name: `Matrixhaus ${n}` },
      }),
      control: [409],
    },
    {
      variant: "own property handed to the other partner's operator",
      target: 'resource',
      // The current version, so the change itself is judged: a patch never changes the
      // operator (that is a transfer), whoever it names.
      build: async ({ target, own, services }) => ({
        params: { propertyId: own.propertyId },
        body: {
          version: await versionOf(services.stores.properties.get(own.partnerId, own.propertyId)),
          organisationId: target.operatorOrganisationId,
        },
      }),
      denied: [400],
      control: false,
    },
    {
      variant: "own property managed by the other partner's manager",
      target: 'resource',
      build: async ({ target, own, services }) => ({
        params: { propertyId: own.propertyId },
        body: {
          version: await versionOf(services.stores.properties.get(own.partnerId, own.propertyId)),
          managerOrganisationId: target.managerOrganisationId,
        },
      }),
      control: false,
    },
  ],
  'POST /v1/properties/:propertyId/transfer': [
    {
      target: 'resource',
      // A stale version: the control reaches the property and the organisation, and the
      // store refuses before anything moves.
      build: ({ target }) => ({
        params: { propertyId: target.propertyId },
        body: { toOrganisationId: target.operatorOrganisationId, expectedVersion: STALE_VERSION },
      }),
      control: [409],
    },
    {
      variant: "own property handed to the other partner's operator",
      target: 'resource',
      // The current version: only the target organisation stands in the way.
      build: async ({ target, own, services }) => ({
        params: { propertyId: own.propertyId },
        body: {
          toOrganisationId: target.operatorOrganisationId,
          expectedVersion: await versionOf(
            services.stores.properties.get(own.partnerId, own.propertyId),
          ),
        },
      }),
      control: false,
    },
  ],
  'DELETE /v1/properties/:propertyId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { propertyId: target.propertyId },
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },

  // ---- units ---------------------------------------------------------------------------
  'POST /v1/properties/:propertyId/units': {
    target: 'resource',
    build: ({ target, n }) => ({
      params: { propertyId: target.propertyId },
      body: { name: `M ${n}`, livingAreaM2: 50, heatedAreaM2: 50 },
    }),
    control: [201],
  },
  'GET /v1/properties/:propertyId/units': {
    target: 'resource',
    build: ({ target }) => ({ params: { propertyId: target.propertyId } }),
    control: [200],
  },
  'POST /v1/embed-tokens': {
    target: 'resource',
    // The caller's own page origin (the demo seed allows https://<partner>.localhost:8443),
    // so that only the unit decides.
    build: ({ target, own }) => ({
      body: { unitId: target.unitId, allowedOrigins: [`https://${own.partnerId}.localhost:8443`] },
    }),
    // 403 for the landlord: a unit's widgets would show it one tenant's consumption.
    control: [201, 403],
  },
  'GET /v1/units/:unitId': {
    target: 'resource',
    build: ({ target }) => ({ params: { unitId: target.unitId } }),
    control: [200],
  },
  'PATCH /v1/units/:unitId': {
    target: 'resource',
    build: ({ target, n }) => ({
      params: { unitId: target.unitId },
      body: { version: STALE_VERSION, name: `M ${n}` },
    }),
    control: [409],
  },
  'DELETE /v1/units/:unitId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { unitId: target.unitId },
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },

  // ---- tenancies -----------------------------------------------------------------------
  'POST /v1/units/:unitId/tenancies': [
    {
      target: 'resource',
      // Overlaps the unit's open-ended tenancy: 409 once the caller reached the unit.
      build: ({ target }) => ({ params: { unitId: target.unitId }, body: { from: '2030-01-01' } }),
      control: [409],
    },
    {
      variant: "own unit, the other partner's tenant",
      target: 'resource',
      // 400: "a tenant is not a user of the partner", the route's documented answer.
      build: ({ target, own }) => ({
        params: { unitId: own.unitId },
        body: { from: '2030-01-01', tenantUserIds: [target.tenantUserId] },
      }),
      denied: [400, 403, 404],
      control: false,
    },
  ],
  'GET /v1/units/:unitId/tenancies': {
    target: 'resource',
    build: ({ target }) => ({ params: { unitId: target.unitId } }),
    control: [200],
  },
  'GET /v1/tenancies/:tenancyId': {
    target: 'resource',
    build: ({ target }) => ({ params: { tenancyId: target.tenancyId } }),
    control: [200],
  },
  'PATCH /v1/tenancies/:tenancyId': [
    {
      target: 'resource',
      build: ({ target }) => ({
        params: { tenancyId: target.tenancyId },
        body: { version: STALE_VERSION, to: '2031-12-31' },
      }),
      control: [409],
    },
    {
      variant: "own tenancy, the other partner's tenant",
      target: 'resource',
      build: ({ target, own }) => ({
        params: { tenancyId: own.tenancyId },
        body: { version: STALE_VERSION, tenantUserIds: [target.tenantUserId] },
      }),
      denied: [400, 403, 404],
      control: false,
    },
  ],
  'DELETE /v1/tenancies/:tenancyId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { tenancyId: target.tenancyId },
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },

  // ---- meters --------------------------------------------------------------------------
  'POST /v1/properties/:propertyId/meters': [
    {
      target: 'resource',
      build: ({ target, n }) => ({
        params: { propertyId: target.propertyId },
        body: newMeterBody(target.unitId, n),
      }),
      control: [201],
    },
    {
      variant: "own property, the other partner's unit",
      target: 'resource',
      build: ({ target, own, n }) => ({
        params: { propertyId: own.propertyId },
        body: newMeterBody(target.unitId, n),
      }),
      control: false,
    },
  ],
  'GET /v1/properties/:propertyId/meters': {
    target: 'resource',
    build: ({ target }) => ({ params: { propertyId: target.propertyId } }),
    control: [200],
  },
  'GET /v1/units/:unitId/meters': {
    target: 'resource',
    build: ({ target }) => ({ params: { unitId: target.unitId } }),
    control: [200],
  },
  'GET /v1/meters/:meterId': {
    target: 'resource',
    build: ({ target }) => ({ params: { meterId: target.meterId } }),
    control: [200],
  },
  'PATCH /v1/meters/:meterId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { meterId: target.meterId },
      body: { version: STALE_VERSION, location: 'Matrix' },
    }),
    control: [409],
  },
  'DELETE /v1/meters/:meterId': {
    target: 'resource',
    build: ({ target }) => ({
      params: { meterId: target.meterId },
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },

  // ---- meter keys ----------------------------------------------------------------------
  'POST /v1/properties/:propertyId/meter-keys/import': {
    target: 'resource',
    // A dry run: nothing is stored even where the import is allowed.
    build: ({ target }) => ({
      params: { propertyId: target.propertyId },
      query: { dryRun: true },
      body: { text: `${meterNumber(0)};${METER_KEY}\n` },
    }),
    control: [200],
  },
  // ---- support access ------------------------------------------------------------------
  'POST /v1/organisations/:organisationId/support-access': [
    {
      target: 'resource',
      build: ({ target, n }) => ({
        params: { organisationId: target.operatorOrganisationId },
        body: {
          userId: target.supportUserId,
          access: 'read',
          reason: `Matrix ${n}`,
          expiresAt: tomorrow(),
        },
      }),
      control: [201],
    },
    {
      variant: "own organisation, the other partner's user",
      target: 'resource',
      build: ({ target, own, n }) => ({
        params: { organisationId: own.operatorOrganisationId },
        body: {
          userId: target.supportUserId,
          access: 'operate',
          reason: `Matrix ${n}`,
          expiresAt: tomorrow(),
        },
      }),
      control: false,
    },
  ],
  'GET /v1/organisations/:organisationId/support-access': {
    target: 'resource',
    build: ({ target }) => ({ params: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'DELETE /v1/organisations/:organisationId/support-access/:supportAccessId': [
    {
      target: 'resource',
      build: ({ target }) => ({
        params: {
          organisationId: target.operatorOrganisationId,
          supportAccessId: target.supportAccessId,
        },
      }),
      // Revokes the caller's partner's matrix grant; revoking again answers it as it is.
      control: [200],
    },
    {
      variant: "own organisation, the other partner's support access",
      target: 'resource',
      build: ({ target, own }) => ({
        params: {
          organisationId: own.operatorOrganisationId,
          supportAccessId: target.supportAccessId,
        },
      }),
      control: false,
    },
  ],

  'PUT /v1/meters/:meterId/key': {
    target: 'resource',
    // The matrix's own meter: replacing its key breaks nothing the other cases read.
    build: ({ target }) => ({ params: { meterId: target.meterId }, body: { key: METER_KEY } }),
    control: [200],
  },

  // ---- readings, consumption and the ingest's monitoring -------------------------------
  'GET /v1/units/:unitId/consumption': {
    target: 'resource',
    build: ({ target }) => ({ params: { unitId: target.unitId }, query: target.days }),
    control: [200],
    // A unit is one household: never a landlord's, nor a property widget's.
    controlFor: { landlord: [403], 'embed-unit': [200], 'embed-property': [403] },
  },
  'GET /v1/units/:unitId/monthly-information': {
    target: 'resource',
    // February of last year: a month that has ended, inside the first unit's tenancy.
    build: ({ target }) => ({
      params: { unitId: target.unitId },
      query: { month: target.days.from.slice(0, 7) },
    }),
    control: [200],
    controlFor: { landlord: [403], 'embed-unit': [200], 'embed-property': [403] },
  },
  'GET /v1/properties/:propertyId/consumption': {
    target: 'resource',
    build: ({ target }) => ({ params: { propertyId: target.propertyId }, query: target.days }),
    control: [200],
    controlFor: { tenant: [403], 'embed-unit': [403], 'embed-property': [200] },
  },
  'GET /v1/meters/:meterId/readings': {
    target: 'resource',
    build: ({ target }) => ({ params: { meterId: target.meterId } }),
    control: [200],
    // The matrix's meter is the first unit's.
    controlFor: { landlord: [403], 'embed-unit': [200], 'embed-property': [403] },
  },
  'GET /v1/meters/:meterId/receptions': {
    target: 'resource',
    build: ({ target }) => ({ params: { meterId: target.meterId } }),
    control: [200],
  },
  'GET /v1/gateways/:thingName/health': {
    target: 'resource',
    build: ({ target }) => ({ params: { thingName: target.thingName } }),
    control: [200],
  },
  'GET /v1/gateways/:thingName/receptions': {
    target: 'resource',
    build: ({ target }) => ({ params: { thingName: target.thingName } }),
    control: [200],
  },
  'GET /v1/gateways/:thingName/meters': {
    target: 'resource',
    build: ({ target }) => ({ params: { thingName: target.thingName } }),
    control: [200],
  },
  'GET /v1/organisations/:organisationId/rejected-frames': {
    target: 'resource',
    build: ({ target }) => ({ params: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'GET /v1/organisations/:organisationId/unregistered-meters': {
    target: 'resource',
    build: ({ target }) => ({ params: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'GET /v1/organisations/:organisationId/alarms': {
    target: 'resource',
    build: ({ target }) => ({
      params: { organisationId: target.operatorOrganisationId },
      query: { state: 'all' },
    }),
    control: [200],
  },
  'GET /v1/meters/:meterId/alarms': {
    target: 'resource',
    build: ({ target }) => ({ params: { meterId: target.meterId } }),
    control: [200],
    // The matrix's meter is the first unit's.
    controlFor: { landlord: [403], 'embed-unit': [200], 'embed-property': [403] },
  },
  'POST /v1/meters/:meterId/alarms/:alarmId/acknowledge': {
    target: 'resource',
    build: ({ target }) => ({ params: { meterId: target.meterId, alarmId: target.alarmId } }),
    // Idempotent: every caller after the first gets the same acknowledgement.
    control: [200],
  },
  // ---- webhooks ------------------------------------------------------------------------
  'POST /v1/organisations/:organisationId/webhooks': {
    target: 'resource',
    build: ({ target, n }) => ({
      params: { organisationId: target.operatorOrganisationId },
      body: { url: `https://hooks.matrix.example/${n}`, events: ['alarm.raised'] },
    }),
    control: [201],
  },
  'GET /v1/organisations/:organisationId/webhooks': {
    target: 'resource',
    build: ({ target }) => ({ params: { organisationId: target.operatorOrganisationId } }),
    control: [200],
  },
  'GET /v1/organisations/:organisationId/webhooks/:webhookId': [
    {
      target: 'resource',
      build: ({ target }) => ({ params: webhookParams(target, target) }),
      control: [200],
    },
    {
      variant: "own organisation, the other partner's webhook",
      target: 'resource',
      build: ({ target, own }) => ({ params: webhookParams(own, target) }),
      control: false,
    },
  ],
  'PATCH /v1/organisations/:organisationId/webhooks/:webhookId': {
    target: 'resource',
    build: ({ target }) => ({
      params: webhookParams(target, target),
      body: { version: STALE_VERSION, enabled: false },
    }),
    control: [409],
  },
  'DELETE /v1/organisations/:organisationId/webhooks/:webhookId': {
    target: 'resource',
    build: ({ target }) => ({
      params: webhookParams(target, target),
      query: { version: STALE_VERSION },
    }),
    control: [409],
  },
  'POST /v1/organisations/:organisationId/webhooks/:webhookId/test': {
    target: 'resource',
    // The matrix's dispatcher answers every delivery itself: nothing leaves the machine.
    build: ({ target }) => ({ params: webhookParams(target, target) }),
    control: [200],
  },
  'GET /v1/organisations/:organisationId/webhooks/:webhookId/deliveries': {
    target: 'resource',
    build: ({ target }) => ({ params: webhookParams(target, target) }),
    control: [200],
  },
  // A stream: the matrix reads its first bytes and lets go (cross-tenant-matrix.test.ts).
  'GET /v1/live': [
    {
      target: 'resource',
      build: ({ target }) => ({ query: { unitId: target.unitId } }),
      control: [200],
      controlFor: { landlord: [403], 'embed-unit': [200], 'embed-property': [403] },
    },
    {
      variant: 'a property',
      target: 'resource',
      build: ({ target }) => ({ query: { propertyId: target.propertyId } }),
      control: false,
    },
    {
      variant: 'a meter',
      target: 'resource',
      build: ({ target }) => ({ query: { meterId: target.meterId } }),
      control: false,
    },
  ],
};

/** A webhook named under an organisation: its own, or (variants) another world's. */
function webhookParams(organisationOf: World, webhookOf: World) {
  return {
    organisationId: organisationOf.operatorOrganisationId,
    webhookId: webhookOf.webhookId,
  };
}

function newMeterBody(unitId: string, n: number) {
  return {
    unitId,
    kind: 'water-meter',
    manufacturer: 'ZWM',
    meterId: meterNumber(n),
    deviceVersion: 1,
    deviceType: 7,
    installedAt: '2024-01-01T00:00:00Z',
  };
}

async function versionOf(record: Promise<{ version: number } | null>): Promise<number> {
  const found = await record;
  if (found === null) throw new Error('the matrix lost one of its records');
  return found.version;
}

/** The fixtures of a route, as a list. */
export function fixturesOf(key: string): readonly Fixture[] {
  const entry = FIXTURES[key];
  if (entry === undefined) return [];
  return Array.isArray(entry) ? entry : [entry as Fixture];
}

// ---- callers ------------------------------------------------------------------------------

export type PartnerRole = Exclude<Role, 'platform-admin'>;
export const PARTNER_ROLES: readonly PartnerRole[] = [
  'partner-admin',
  'operator',
  'landlord',
  'tenant',
];
export type Credential = 'token' | 'api-key';
export type EmbedCredential = 'embed-unit' | 'embed-property';

export interface Caller {
  role: Role | 'embed';
  credential: Credential | EmbedCredential;
  /** The principal's partner ('*' for the platform admin). */
  partnerId: string;
  headers: Record<string, string>;
}

// ---- the world ----------------------------------------------------------------------------

export interface MatrixWorld {
  app: FastifyInstance;
  services: PlatformServices;
  own: World;
  other: World;
  /** Callers of the demo partner, by `<role>/<credential>`. */
  callers: Map<string, Caller>;
  /**
   * What of the other partner must never show in an answer to the caller
   * (unless the request itself named it): ids, names, e-mail addresses.
   */
  otherSecrets: string[];
  close(): Promise<void>;
}

/**
 * Builds the app as startPlatform does (createPlatformServices over the
 * table, its auth, a local IoT Core with the registry in the same table),
 * seeds the demo with a small fleet, and adds what the matrix names: one
 * gateway, one meter of the first unit and one API key per partner.
 */
export async function startMatrixWorld(table: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): Promise<MatrixWorld> {
  const services = await createPlatformServices({
    doc: table.doc,
    tableName: table.tableName,
    issuer: ISSUER,
    region: 'eu-central-1',
  });
  const { stores } = services;
  const ca = await loadOrCreateCertificateAuthority();
  const registry = createDynamoIotRegistry(table);
  const ingestStore = createDynamoIngestStore(table);
  const webhookStore = createDynamoWebhookStore(table);
  const webhooks = new WebhookDispatcher({
    store: webhookStore,
    vault: services.vault,
    allowLocal: false,
    log: { warn: () => undefined },
    resolve: async () => ['93.184.215.14'],
    fetch: async () => new Response(null, { status: 204 }),
  });
  const { iot, broker } = await startLocalIotCore({ registry, ca, port: 0, host: '127.0.0.1' });
  let app: FastifyInstance | undefined;
  const close = async () => {
    await webhooks.close();
    await app?.close();
    await broker.close();
  };
  try {
    app = await buildApp({
      storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
      auth: services.auth,
      core: services,
      corsOrigins: services.corsOrigins,
      caCertificatePem: ca.caCertificatePem,
      gateways: { iot, organisations: stores.organisations, audit: stores.audit },
      rateLimitPerMinute: 1_000_000,
      ingest: { store: ingestStore, hub: new LiveHub() },
      webhooks: { store: webhookStore, dispatcher: webhooks, allowLocalUrls: false },
    });
    await app.ready();

    const demo = await seedDemo({
      stores,
      apiKeys: services.apiKeys,
      vault: services.vault,
      meterKeys: services.meterKeys,
      fleet: createFleet({ count: 6, seed: 1 }),
    });
    const partnerCreds = (id: string) => {
      const found = demo.partners.find((p) => p.partnerId === id);
      if (found === undefined) throw new Error(`the demo seed made no partner ${id}`);
      return found;
    };

    async function world(creds: DemoPartnerCredentials, meterNumberOffset: number) {
      const { partnerId, ids } = creds;
      const unitId = ids.unitIds[0]!;
      const tenant = await tenantOf(creds, unitId);
      const meter = await stores.meters.create(
        partnerId,
        {
          propertyId: ids.propertyId,
          unitId,
          kind: 'water-meter',
          manufacturer: 'ZWM',
          meterId: String(80_000_000 + meterNumberOffset),
          deviceVersion: 1,
          deviceType: 7,
          location: 'Matrix',
          installedAt: '2024-01-01T00:00:00Z',
        },
        ACTOR,
      );
      const key = await createApiKey(
        services.apiKeys,
        {
          partnerId,
          organisationId: ids.operatorOrganisationId,
          name: `${partnerId} matrix target`,
          scopes: [],
          grants: [{ role: 'operator', partnerId, organisationId: ids.operatorOrganisationId }],
          createdBy: ACTOR.id,
        },
        { now: new Date() },
      );
      const thingName = `${partnerId}-matrix-gw`;
      const gateway = await iot.registerGateway({
        thingName,
        partnerId,
        organisationId: ids.operatorOrganisationId,
        csrPem: await csrFor(thingName),
      });
      const supportUser = await stores.users.create(
        partnerId,
        { email: `support-${partnerId}@matrix.example`, name: `Support ${partnerId}` },
        ACTOR,
      );
      const support = newSupportGrant(
        `sup_${partnerId}matrix`,
        partnerId,
        {
          organisationId: ids.operatorOrganisationId,
          userId: supportUser.id,
          access: 'read',
          reason: 'Matrix',
          expiresAt: tomorrow(),
        },
        ACTOR,
        new Date(),
      );
      await services.supportGrants.create(support);
      const cursor = (page: { cursor: string | null }) => {
        if (page.cursor === null) throw new Error(`${partnerId} has a single page`);
        return page.cursor;
      };
      const result: World = {
        partnerId,
        operatorOrganisationId: ids.operatorOrganisationId,
        managerOrganisationId: ids.managerOrganisationId,
        propertyId: ids.propertyId,
        unitId,
        tenancyId: ids.tenancyIds[0]!,
        meterId: meter.id,
        tenantUserId: tenant.id,
        apiKeyId: key.record.keyId,
        thingName,
        certificateId: gateway.certificates[0]!.certificateId,
        cursors: {
          users: cursor(await stores.users.list(partnerId, { limit: 1 })),
          organisations: cursor(await stores.organisations.list(partnerId, { limit: 1 })),
        },
        supportUserId: supportUser.id,
        supportAccessId: support.id,
        days: await consumptionOf(creds),
        alarmId: await alarmOf(meter),
        webhookId: await webhookOf(partnerId, ids.operatorOrganisationId),
      };
      return result;
    }

    /**
     * February of the first tenancy's first year, with a water meter's days in
     * three units (enough for a landlord's total at the default minimum).
     */
    async function consumptionOf(creds: DemoPartnerCredentials) {
      const { partnerId, ids } = creds;
      const tenancy = await stores.tenancies.get(partnerId, ids.tenancyIds[0]!);
      if (tenancy === null) throw new Error(`${partnerId} lost its first tenancy`);
      const year = tenancy.from.slice(0, 4);
      const days = { from: `${year}-02-01`, to: `${year}-02-28` };
      const stored = ids.unitIds.slice(0, 3).flatMap((unitId, u) =>
        Array.from({ length: 29 }, (_, d) => {
          const day = `${year}-${d === 0 ? '01-31' : `02-${String(d).padStart(2, '0')}`}`;
          return {
            partnerId,
            propertyId: ids.propertyId,
            unitId,
            meterId: `matrix-water-${u}`,
            kind: 'water-meter' as const,
            unit: 'm3' as const,
            day,
            firstAt: `${day}T06:00:00.000Z`,
            firstValue: d,
            lastAt: `${day}T20:00:00.000Z`,
            lastValue: d + 0.5,
            readings: 2,
            version: 1,
          };
        }),
      );
      await ingestStore.write({ readings: [], receptions: [], days: stored, rejected: [] });
      return days;
    }

    /** A webhook of the organisation, as the API stores it. */
    async function webhookOf(partnerId: string, organisationId: string) {
      const id = `wh_${partnerId === CALLER_PARTNER ? '1' : '2'}${'0'.repeat(15)}`;
      const at = new Date().toISOString();
      await webhookStore.create({
        id,
        partnerId,
        organisationId,
        url: `https://hooks.matrix.example/${partnerId}`,
        events: ['alarm.raised'],
        description: `${partnerId} matrix webhook`,
        enabled: true,
        sealedSecret: await sealWebhookSecret(services.vault, partnerId, id, newWebhookSecret()),
        createdAt: at,
        updatedAt: at,
        version: 1,
      });
      return id;
    }

    /** An active alarm of the matrix's meter, as the ingest writes it. */
    async function alarmOf(meter: Meter) {
      const since = '2025-02-10T12:00:00.000Z';
      await ingestStore.write({
        readings: [],
        receptions: [],
        days: [],
        rejected: [],
        alarms: [
          {
            type: 'raised',
            code: 'leak',
            severity: 'critical',
            source: 'meter',
            since,
            at: since,
            ...meterPlace(meter),
            digest: `matrix-${meter.id}`,
          },
        ],
      });
      return alarmId('leak', since);
    }

    async function tenantOf(creds: DemoPartnerCredentials, unitId: string) {
      for (const login of creds.users.filter((u) => u.role === 'tenant')) {
        const user = await stores.users.get(creds.partnerId, login.userId);
        if (user?.grants.some((g) => g.role === 'tenant' && g.unitId === unitId)) return user;
      }
      throw new Error(`no tenant of unit ${unitId} in ${creds.partnerId}`);
    }

    const ownCreds = partnerCreds(CALLER_PARTNER);
    const otherCreds = partnerCreds(OTHER_PARTNER);
    const own = await world(ownCreds, 1);
    const other = await world(otherCreds, 2);

    // ---- the demo partner's callers: users as seeded, and API keys with the same reach
    const ring = services.auth.sessions.ring;
    const callers = new Map<string, Caller>();
    const token = async (partnerId: string, userId: string, grants: RoleGrant[]) => {
      const { token: jwt } = await issueAccessToken(
        ring,
        { userId, partnerId, grants },
        { now: new Date(), issuer: ISSUER, ttlSeconds: 3600 },
      );
      return { authorization: `Bearer ${jwt}` };
    };
    const userOf = async (role: PartnerRole) => {
      if (role === 'tenant') return stores.users.get(own.partnerId, own.tenantUserId);
      const login = ownCreds.users.find((u) => u.role === role);
      return login === undefined ? null : stores.users.get(own.partnerId, login.userId);
    };
    for (const role of PARTNER_ROLES) {
      const user = await userOf(role);
      if (user === null) throw new Error(`the demo seed made no ${role}`);
      callers.set(`${role}/token`, {
        role,
        credential: 'token',
        partnerId: own.partnerId,
        headers: await token(own.partnerId, user.id, user.grants),
      });
    }
    callers.set('platform-admin/token', {
      role: 'platform-admin',
      credential: 'token',
      partnerId: '*',
      headers: await token('*', demo.platformAdmin.userId, [
        { role: 'platform-admin', partnerId: '*' },
      ]),
    });
    const keyGrants: Record<PartnerRole, RoleGrant> = {
      'partner-admin': { role: 'partner-admin', partnerId: own.partnerId },
      operator: {
        role: 'operator',
        partnerId: own.partnerId,
        organisationId: own.operatorOrganisationId,
      },
      landlord: {
        role: 'landlord',
        partnerId: own.partnerId,
        organisationId: own.operatorOrganisationId,
        propertyId: own.propertyId,
      },
      tenant: {
        role: 'tenant',
        partnerId: own.partnerId,
        organisationId: own.operatorOrganisationId,
        propertyId: own.propertyId,
        unitId: own.unitId,
        tenancyId: own.tenancyId,
      },
    };
    for (const role of PARTNER_ROLES) {
      // The operator's is the key the seed made for the demo integration.
      const seeded = role === 'operator' ? ownCreds.apiKey : null;
      const apiKey =
        seeded ??
        (
          await createApiKey(
            services.apiKeys,
            {
              partnerId: own.partnerId,
              name: `demo ${role} matrix caller`,
              scopes: [],
              grants: [keyGrants[role]],
              createdBy: ACTOR.id,
            },
            { now: new Date() },
          )
        ).apiKey;
      callers.set(`${role}/api-key`, {
        role,
        credential: 'api-key',
        partnerId: own.partnerId,
        headers: { 'x-api-key': apiKey },
      });
    }
    for (const scope of [{ unitId: own.unitId }, { propertyId: own.propertyId }]) {
      const credential = 'unitId' in scope ? 'embed-unit' : 'embed-property';
      const { token: jwt } = await issueEmbedToken(
        ring,
        { partnerId: own.partnerId, scope, allowedOrigins: [DEMO_ORIGIN], ttlSeconds: 900 },
        { now: new Date(), issuer: ISSUER, partnerAllowedOrigins: [DEMO_ORIGIN] },
      );
      callers.set(`embed/${credential}`, {
        role: 'embed',
        credential,
        partnerId: own.partnerId,
        headers: { authorization: `Bearer ${jwt}`, origin: DEMO_ORIGIN },
      });
    }

    return {
      app,
      services,
      own,
      other,
      callers,
      otherSecrets: await secretsOf(services, otherCreds, other),
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Every id, name and address of a partner that the matrix could see leak. */
async function secretsOf(
  services: PlatformServices,
  creds: DemoPartnerCredentials,
  world: World,
): Promise<string[]> {
  const { stores } = services;
  const { partnerId, ids } = creds;
  const found = new Set<string>([
    partnerId,
    creds.name,
    ...creds.customDomains,
    ids.operatorOrganisationId,
    ids.managerOrganisationId,
    ids.propertyId,
    ...ids.unitIds,
    ...ids.tenancyIds,
    ...ids.meterIds,
    world.meterId,
    world.apiKeyId,
    world.thingName,
    world.certificateId,
    world.supportUserId,
    world.supportAccessId,
    world.webhookId,
    `support-${partnerId}@matrix.example`,
    `Support ${partnerId}`,
  ]);
  for (const login of creds.users) {
    const user = await stores.users.get(partnerId, login.userId);
    found.add(login.userId);
    found.add(login.email);
    if (user !== null) found.add(user.name);
  }
  for (const id of [ids.operatorOrganisationId, ids.managerOrganisationId]) {
    const organisation = await stores.organisations.get(partnerId, id);
    if (organisation === null) continue;
    found.add(organisation.name);
    if (organisation.contact.email !== undefined) found.add(organisation.contact.email);
  }
  const property = await stores.properties.get(partnerId, ids.propertyId);
  if (property !== null) {
    if (property.name !== undefined) found.add(property.name);
    found.add(property.address.street);
    found.add(property.address.city);
    found.add(property.address.postalCode);
  }
  // Short values (unit names like `1.01`, floors) would match by chance: ids cover their records.
  return [...found].filter((s) => s.length >= 5);
}
