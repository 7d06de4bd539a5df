import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { NewAuditEntry } from '../src/domain/audit.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
} from '../src/iot/local/broker/broker-test-kit.js';
import type { LocalBroker } from '../src/iot/local/broker/index.js';
import { makeGatewayCsr } from '../src/iot/local/pki/pki-test-kit.js';
import { startGatewayApp, type GatewayApp } from './gateway-app-kit.js';

/**
 * The operator API for gateways over the real local IoT Core: registration
 * from a CSR, listing, rotation and revocation (which closes the connection),
 * each behind the access rules and in the audit log.
 */
describe('gateway management over HTTP', { timeout: 20_000 }, () => {
  let kit: GatewayApp;
  let app: FastifyInstance;
  let broker: LocalBroker;
  let audit: NewAuditEntry[];

  beforeAll(async () => {
    kit = await startGatewayApp();
    ({ app, broker, audit } = kit);
  });
  afterEach(() => endAllClients());
  afterAll(() => kit.close());

  const bearer = (partnerId: string, grants: RoleGrant[]) => kit.bearer(partnerId, grants);
  const operator = (organisationId = 'o1', partnerId = 'acme') =>
    bearer(partnerId, [{ role: 'operator', partnerId, organisationId }]);
  const partnerAdmin = () => bearer('acme', [{ role: 'partner-admin', partnerId: 'acme' }]);

  async function register(
    thingName: string,
    organisationId = 'o1',
    headers?: Record<string, string>,
  ) {
    const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', `CN=${thingName}`);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/gateways',
      headers: headers ?? (await operator(organisationId)),
      payload: { organisationId, thingName, csrPem },
    });
    return { res, privateKeyPem };
  }

  it('registers a gateway of the operator’s organisation, whose certificate then connects', async () => {
    const { res, privateKeyPem } = await register('gw-a1');
    expect(res.statusCode).toBe(201);
    const gateway = res.json<{
      certificates: { certificateId: string; certificatePem: string }[];
    }>();
    expect(gateway).toMatchObject({
      thingName: 'gw-a1',
      partnerId: 'acme',
      organisationId: 'o1',
      certificates: [{ status: 'ACTIVE' }],
      lastConnectedAt: null,
    });
    const client = await connectOrThrow(
      broker,
      { ...gateway.certificates[0]!, privateKeyPem },
      { clientId: 'gw-a1' },
    );
    expect(client.connected).toBe(true);
    expect(audit.at(-1)).toMatchObject({
      action: 'gateway.registered',
      partnerId: 'acme',
      organisationId: 'o1',
      actor: { kind: 'user', id: 'u-1' },
      target: { type: 'gateway', id: 'gw-a1' },
    });
    expect(JSON.stringify(audit.at(-1))).not.toContain('BEGIN CERTIFICATE');
  });

  it('refuses registration outside the caller’s organisation, for an unknown one, and twice', async () => {
    const other = await register('gw-x1', 'o2', await operator('o1'));
    expect(other.res.statusCode).toBe(403);
    const unknown = await register('gw-x2', 'o9', await partnerAdmin());
    expect(unknown.res.statusCode).toBe(404);
    await register('gw-dup');
    expect((await register('gw-dup')).res.statusCode).toBe(409);
    const tenant = await register(
      'gw-x3',
      'o1',
      await bearer('acme', [{ role: 'tenant', partnerId: 'acme', unitId: 'u1' }]),
    );
    expect(tenant.res.statusCode).toBe(403);
  });

  it('lists an organisation’s gateways to its operator, and the partner’s to a partner admin', async () => {
    await register('gw-list-1');
    await register('gw-list-2', 'o2', await operator('o2'));
    const list = async (query: string, headers: Record<string, string>) =>
      app.inject({ url: `/v1/gateways${query}`, headers });
    const mine = await list('?organisationId=o1', await operator('o1'));
    const names = mine.json<{ items: { thingName: string }[] }>().items.map((g) => g.thingName);
    expect(names).toContain('gw-list-1');
    expect(names).not.toContain('gw-list-2');
    expect((await list('', await operator('o1'))).statusCode).toBe(403);
    expect((await list('?organisationId=o2', await operator('o1'))).statusCode).toBe(403);
    const all = await list('', await partnerAdmin());
    const allNames = all.json<{ items: { thingName: string }[] }>().items.map((g) => g.thingName);
    expect(allNames).toEqual(expect.arrayContaining(['gw-list-1', 'gw-list-2']));
  });

  it('hides a gateway from another partner, with the same answer as a missing one', async () => {
    await register('gw-hidden');
    const stranger = await operator('o1', 'other');
    const seen = await app.inject({ url: '/v1/gateways/gw-hidden', headers: stranger });
    const missing = await app.inject({ url: '/v1/gateways/gw-nowhere', headers: stranger });
    expect([seen.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(seen.json<{ error: { code: string } }>().error.code).toBe(
      missing.json<{ error: { code: string } }>().error.code,
    );
  });

  it('rotates: a second certificate beside the first, a third refused', async () => {
    await register('gw-rot');
    const rotate = async () => {
      const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-rot');
      return app.inject({
        method: 'POST',
        url: '/v1/gateways/gw-rot/certificates',
        headers: await operator(),
        payload: { csrPem },
      });
    };
    const second = await rotate();
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ status: 'ACTIVE' });
    expect((await rotate()).statusCode).toBe(409);
    expect(audit.at(-1)).toMatchObject({ action: 'gateway.certificate-rotated' });
  });

  it('revokes a certificate, which closes the gateway’s open connection', async () => {
    const { res, privateKeyPem } = await register('gw-rev');
    const certificate = res.json<{
      certificates: { certificateId: string; certificatePem: string }[];
    }>().certificates[0]!;
    const client = await connectOrThrow(
      broker,
      { ...certificate, privateKeyPem },
      { clientId: 'gw-rev' },
    );
    const closed = closedBy(client);
    const setStatus = async (thing: string, status: string) =>
      app.inject({
        method: 'PUT',
        url: `/v1/gateways/${thing}/certificates/${certificate.certificateId}/status`,
        headers: await operator(),
        payload: { status },
      });
    const revoked = await setStatus('gw-rev', 'REVOKED');
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ certificates: [{ status: 'REVOKED' }] });
    await closed;
    expect((await setStatus('gw-rev', 'ACTIVE')).statusCode).toBe(409);
    // The certificate id through another gateway's path reaches nothing.
    await register('gw-rev-other');
    expect((await setStatus('gw-rev-other', 'INACTIVE')).statusCode).toBe(404);
    expect(audit.filter((e) => e.action === 'gateway.certificate-status-changed')).toHaveLength(1);
  });
});
