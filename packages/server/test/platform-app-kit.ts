import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppAuth } from '../src/app.js';
import { createAuthenticator } from '../src/auth/authenticator.js';
import { hashPassword } from '../src/auth/password-hash.js';
import type { Actor } from '../src/domain/audit.js';
import { createPlatformServices, type PlatformServices } from '../src/platform-services.js';
import { newPartner, newProperty, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';

const ISSUER = 'https://zw.example';
const SEED: Actor = { kind: 'system', id: 'test-seed' };
export const PASSWORD = 'a password for the platform kit';

/** The server's clock as the kit's app sees it: real time, moved forward by hand. */
export interface KitClock {
  now(): Date;
  advance(ms: number): void;
}

export type Headers = Record<string, string>;

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  headers: Headers;
}

/** One partner as seedPartner makes it; every user's password is PASSWORD. */
export interface SeededPartner {
  partnerId: string;
  organisationId: string;
  otherOrganisationId: string;
  propertyId: string;
  users: Record<'admin' | 'operator' | 'support' | 'member', { id: string; email: string }>;
}

export interface PlatformApp {
  app: FastifyInstance;
  services: PlatformServices;
  clock: KitClock;
  call(
    method: InjectOptions['method'],
    url: string,
    headers?: Headers,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
  /** Signs in over HTTP (each time from a new client address, past the per-IP limit). */
  signIn(partnerId: string, email: string, password?: string): Promise<SignedIn>;
  refresh(refreshToken: string): Promise<LightMyRequestResponse>;
  seedPartner(): Promise<SeededPartner>;
  close(): Promise<void>;
}

/**
 * The app as production wires it (createPlatformServices over the table: the
 * DynamoDB stores, sessions, fences and support access), except that the
 * authenticator and the sessions read a clock the test can move forward.
 */
export async function startPlatformApp(table: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): Promise<PlatformApp> {
  let offset = 0;
  const clock: KitClock = {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => void (offset += ms),
  };
  const services = await createPlatformServices({
    doc: table.doc,
    tableName: table.tableName,
    issuer: ISSUER,
    region: 'eu-central-1',
  });
  const sessions = services.auth.sessions;
  const auth: AppAuth = {
    authenticator: createAuthenticator({
      ring: sessions.ring,
      issuer: ISSUER,
      apiKeys: services.apiKeys,
      fences: sessions.fences,
      supportGrants: services.supportGrants,
      now: clock.now,
    }),
    sessions: { ...sessions, now: clock.now },
    partnerForHost: services.auth.partnerForHost,
  };
  const app = await buildApp({
    storage: { check: async () => ({ status: 'ok', table: 't', tableStatus: 'ACTIVE' }) },
    auth,
    core: services,
    rateLimitPerMinute: 1_000_000,
  });
  await app.ready();

  let clients = 0;
  const remoteAddress = () => {
    clients += 1;
    return `10.9.${(clients >> 8) & 255}.${clients & 255}`;
  };
  const call: PlatformApp['call'] = (method, url, headers = {}, payload) =>
    app.inject({
      method,
      url,
      headers,
      remoteAddress: remoteAddress(),
      ...(payload === undefined ? {} : { payload }),
    });

  let hash: string | undefined;
  const { stores } = services;

  return {
    app,
    services,
    clock,
    call,
    async signIn(partnerId, email, password = PASSWORD) {
      const res = await call('POST', '/v1/auth/login', {}, { partner: partnerId, email, password });
      if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
      const { accessToken, refreshToken } = res.json<{
        accessToken: string;
        refreshToken: string;
      }>();
      return { accessToken, refreshToken, headers: { authorization: `Bearer ${accessToken}` } };
    },
    refresh: (refreshToken) => call('POST', '/v1/auth/refresh', {}, { refreshToken }),
    async seedPartner() {
      hash ??= await hashPassword(PASSWORD);
      const partnerId = freshPartnerId();
      await stores.partners.create(newPartner(partnerId), SEED);
      const organisation = await stores.organisations.create(
        partnerId,
        { name: 'Messdienst Nord', kind: 'metering-operator' },
        SEED,
      );
      const other = await stores.organisations.create(
        partnerId,
        { name: 'Messdienst Süd', kind: 'metering-operator' },
        SEED,
      );
      const property = await stores.properties.create(
        partnerId,
        newProperty(organisation.id),
        SEED,
      );
      const user = async (label: string, grants: object[]) => {
        const email = `${label}@${partnerId}.example`;
        const created = await stores.users.create(
          partnerId,
          { email, name: label, passwordHash: hash, grants: grants as never },
          SEED,
        );
        return { id: created.id, email };
      };
      return {
        partnerId,
        organisationId: organisation.id,
        otherOrganisationId: other.id,
        propertyId: property.id,
        users: {
          admin: await user('admin', [{ role: 'partner-admin', partnerId }]),
          operator: await user('operator', [
            { role: 'operator', partnerId, organisationId: organisation.id },
          ]),
          // The gateway vendor's support engineer: an account, and no grants of their own.
          support: await user('support', []),
          member: await user('member', [{ role: 'operator', partnerId, organisationId: other.id }]),
        },
      };
    },
    async close() {
      await app.close();
    },
  };
}
