import { topics } from '@zaehlwerk/firmware-contract';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelegramBatchDelivery } from '../../domain/ports.js';
import type { IotRegistry } from '../iot-registry.js';
import { createMemoryIotRegistry } from '../memory-iot-registry.js';
import { createDynamoClients } from '../../store/dynamodb-client.js';
import { createDynamoIotRegistry } from '../../store/dynamodb-iot-registry.js';
import { startEmbeddedDynamo } from '../../store/embedded-dynamodb.js';
import { ensureTable } from '../../store/table.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionByClaim,
  provisionClaim,
  tryConnect,
} from './broker/broker-test-kit.js';
import type { LocalBroker } from './broker/index.js';
import { startLocalIotCore, type LocalIotCore, type LocalShadowService } from './local-iot-core.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from './pki/index.js';
import { makeGatewayCsr } from './pki/pki-test-kit.js';
import { createMemoryShadowStore, createShadowService } from './shadow/index.js';

const OWNER = { partnerId: 'acme', organisationId: 'org-1' };
const REGION = 'eu-central-1';

describe('local IoT Core adapter', { timeout: 15_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let iot: LocalIotCore;
  let broker: LocalBroker;

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });

  async function start(withRegistry: IotRegistry = createMemoryIotRegistry()): Promise<void> {
    registry = withRegistry;
    ({ iot, broker } = await startLocalIotCore({ registry, ca, port: 0, host: '127.0.0.1' }));
  }

  beforeEach(() => start());

  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });

  /** A gateway's side of registration: its key never leaves it, only the CSR does. */
  async function register(thingName: string, owner: typeof OWNER = OWNER) {
    const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', `CN=${thingName}`);
    const thing = await iot.registerGateway({ thingName, ...owner, csrPem });
    const certificate = thing.certificates[0];
    if (certificate === undefined) throw new Error('registered without a certificate');
    return { thing, csrPem, identity: { ...certificate, privateKeyPem } };
  }

  it('registers a gateway from its CSR, which then connects and delivers a batch', async () => {
    const { thing, identity } = await register('gw-0001');
    expect(thing).toMatchObject({
      thingName: 'gw-0001',
      ...OWNER,
      lastConnectedAt: null,
      certificates: [{ status: 'ACTIVE', certificateId: expect.stringMatching(/^[0-9a-f]{64}$/) }],
    });
    expect(await registry.getCertificate(identity.certificateId)).toMatchObject({
      status: 'ACTIVE',
      thingName: 'gw-0001',
      isClaim: false,
    });

    const received: TelegramBatchDelivery[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    iot.onTelegramBatch(async (batch) => {
      received.push(batch);
      await held;
    });
    const client = await connectOrThrow(broker, identity, { clientId: 'gw-0001' });
    // The payload names another gateway: only the verified connection counts.
    const payload = JSON.stringify({ thingName: 'gw-forged', frames: [] });
    let acked = false;
    const published = client
      .publishAsync(topics.telegrams('gw-0001'), payload, { qos: 1 })
      .then(() => (acked = true));

    await vi.waitFor(() => expect(received).toHaveLength(1));
    // The handler holds the batch, so the broker must not have acknowledged it yet.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acked).toBe(false);
    release();
    await published;

    expect(received[0]).toMatchObject({
      thingName: 'gw-0001',
      topic: 'zw/v1/gw/gw-0001/telegrams',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(Buffer.from(received[0]?.payload ?? []).toString()).toBe(payload);
  });

  it('holds the PUBACK back while no handler is subscribed (at least once)', async () => {
    const { identity } = await register('gw-0002');
    const unsubscribe = iot.onTelegramBatch(async () => undefined);
    unsubscribe();
    const client = await connectOrThrow(broker, identity, { clientId: 'gw-0002' });
    const acked = vi.fn();
    const closed = closedBy(client);
    client.publish(topics.telegrams('gw-0002'), '{}', { qos: 1 }, acked);
    await closed;
    expect(acked).not.toHaveBeenCalledWith(undefined, expect.anything());
  });

  it.each(['REVOKED', 'INACTIVE'] as const)(
    'closes the connection at once when the certificate becomes %s, and refuses a reconnect',
    async (status) => {
      const { identity } = await register('gw-0003');
      const client = await connectOrThrow(broker, identity, { clientId: 'gw-0003' });
      const closed = closedBy(client);
      await iot.setCertificateStatus(identity.certificateId, status);
      await closed;
      expect(broker.connectedClientIds()).toEqual([]);

      const again = await tryConnect(broker, identity, { clientId: 'gw-0003' });
      expect(again.ok).toBe(false);
      if (!again.ok) expect(again.error.code).toBe(5);
    },
  );

  it('refuses a CSR whose CN is not the thing, with the CA code, and writes nothing', async () => {
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-other');
    const attempt = iot.registerGateway({ thingName: 'gw-0004', ...OWNER, csrPem });
    await expect(attempt).rejects.toMatchObject({
      name: 'DomainError',
      code: 'VALIDATION_FAILED',
      details: { pkiCode: 'CN_MISMATCH' },
      cause: { name: 'PkiError', code: 'CN_MISMATCH' },
    });
    expect(await registry.getThing('gw-0004')).toBeNull();
  });

  it("refuses another owner's thing name with CONFLICT and leaves it untouched", async () => {
    await register('gw-0005');
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-0005');
    await expect(
      iot.registerGateway({
        thingName: 'gw-0005',
        partnerId: 'rival',
        organisationId: 'o',
        csrPem,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await registry.listCertificates('gw-0005')).toHaveLength(1);
  });

  it('answers a retry with the same CSR with the same registration; another key is CONFLICT', async () => {
    const { thing, csrPem } = await register('gw-0006');
    const again = await iot.registerGateway({ thingName: 'gw-0006', ...OWNER, csrPem });
    expect(again.certificates.map((c) => c.certificateId)).toEqual([
      thing.certificates[0]?.certificateId,
    ]);
    await expect(register('gw-0006')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await registry.listCertificates('gw-0006')).toHaveLength(1);
  });

  it('leaves nothing that can connect when the certificate write fails, and a retry completes it', async () => {
    const memory = createMemoryIotRegistry();
    let failNext = true;
    await broker.close();
    await start({
      ...memory,
      async createCertificate(cert) {
        if (failNext) {
          failNext = false;
          throw new Error('table unavailable');
        }
        return memory.createCertificate(cert);
      },
    });

    const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', 'CN=gw-0007');
    await expect(
      iot.registerGateway({ thingName: 'gw-0007', ...OWNER, csrPem }),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // The thing stays (the registry cannot delete one) but has no certificate, so no one can
    // connect as it.
    expect(await registry.listCertificates('gw-0007')).toEqual([]);

    const thing = await iot.registerGateway({ thingName: 'gw-0007', ...OWNER, csrPem });
    const certificate = thing.certificates[0];
    expect(certificate?.status).toBe('ACTIVE');
    if (certificate === undefined) return;
    const client = await connectOrThrow(
      broker,
      { ...certificate, privateKeyPem },
      { clientId: 'gw-0007' },
    );
    expect(client.connected).toBe(true);
  });

  it("publishes the cloud's answers to a gateway on its errors topic, and to no other gateway", async () => {
    const { identity } = await register('gw-0010');
    const other = await register('gw-0011');
    const client = await connectOrThrow(broker, identity, { clientId: 'gw-0010' });
    const bystander = await connectOrThrow(broker, other.identity, { clientId: 'gw-0011' });
    await client.subscribeAsync(topics.errors('gw-0010'), { qos: 1 });
    await bystander.subscribeAsync(topics.errors('gw-0011'), { qos: 1 });
    const heardByOther = vi.fn();
    bystander.on('message', heardByOther);
    const received = new Promise<string>((resolve) =>
      client.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)),
    );
    await iot.publish(topics.errors('gw-0010'), '{"code":"INVALID_JSON"}');
    expect(await received).toBe(`${topics.errors('gw-0010')} {"code":"INVALID_JSON"}`);
    expect(heardByOther).not.toHaveBeenCalled();
  });

  describe('the operator view of gateways', () => {
    it('gets a gateway with its certificates, newest first, and its last connection', async () => {
      const { identity } = await register('gw-0020');
      expect(await iot.getGateway('gw-0020')).toMatchObject({ lastConnectedAt: null });
      const client = await connectOrThrow(broker, identity, { clientId: 'gw-0020' });
      await client.endAsync();
      // A later certificate, as a rotation leaves it, here already deactivated.
      const later = await ca.signGatewayCsr((await makeGatewayCsr('P-256', 'CN=gw-0020')).csrPem, {
        thingName: 'gw-0020',
      });
      await registry.createCertificate({
        ...later,
        status: 'INACTIVE',
        partnerId: OWNER.partnerId,
        thingName: 'gw-0020',
        isClaim: false,
        createdAt: '2999-01-01T00:00:00.000Z',
      });

      const gateway = await iot.getGateway('gw-0020');
      expect(gateway).toEqual({
        thingName: 'gw-0020',
        ...OWNER,
        certificates: [
          {
            certificateId: later.certificateId,
            certificatePem: later.certificatePem,
            status: 'INACTIVE',
            notAfter: later.notAfter,
          },
          {
            certificateId: identity.certificateId,
            certificatePem: identity.certificatePem,
            status: 'ACTIVE',
            notAfter: identity.notAfter,
          },
        ],
        lastConnectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(await iot.getGateway('gw-unknown')).toBeNull();
    });

    it("lists one partner's gateways page by page, by organisation on request", async () => {
      const other = { partnerId: 'rival', organisationId: 'org-1' };
      await register('gw-0031');
      await register('gw-0032', { ...OWNER, organisationId: 'org-2' });
      await register('gw-0033');
      await register('gw-0034', other);
      await register('gw-0035');

      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await iot.listGateways(OWNER.partnerId, {
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        });
        expect(page.items.length).toBeLessThanOrEqual(2);
        for (const gateway of page.items) {
          expect(gateway.certificates).toEqual([expect.objectContaining({ status: 'ACTIVE' })]);
          names.push(gateway.thingName);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(names).toEqual(['gw-0031', 'gw-0032', 'gw-0033', 'gw-0035']);

      const org1 = await iot.listGateways(OWNER.partnerId, { organisationId: 'org-1' });
      expect(org1.items.map((g) => g.thingName)).toEqual(['gw-0031', 'gw-0033', 'gw-0035']);
      expect(org1.cursor).toBeUndefined();
      expect((await iot.listGateways('rival')).items).toEqual([
        expect.objectContaining({ thingName: 'gw-0034', ...other }),
      ]);
    });

    it("refuses a cursor of another partner's list and a limit out of range", async () => {
      await register('gw-0041');
      await register('gw-0042');
      const first = await iot.listGateways(OWNER.partnerId, { limit: 1 });
      expect(first.cursor).toEqual(expect.any(String));
      await expect(
        iot.listGateways('rival', { cursor: first.cursor as string }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(iot.listGateways(OWNER.partnerId, { limit: 101 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(iot.listGateways('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  it('closes a connection whose certificate another process revoked in the same table', async () => {
    const db = await startEmbeddedDynamo({});
    // Two clients, as two processes have: nothing passes between them but the table.
    const server = createDynamoClients({
      region: REGION,
      endpoint: db.endpoint,
      localCredentials: true,
    });
    const operator = createDynamoClients({
      region: REGION,
      endpoint: db.endpoint,
      localCredentials: true,
    });
    try {
      const tableName = 'zw-revocation';
      await ensureTable(server.client, tableName);
      await broker.close();
      registry = createDynamoIotRegistry({ doc: server.doc, tableName });
      ({ iot, broker } = await startLocalIotCore({
        registry,
        ca,
        port: 0,
        host: '127.0.0.1',
        certificateRecheckMs: 100,
      }));
      const { identity } = await register('gw-0050');
      const client = await connectOrThrow(broker, identity, { clientId: 'gw-0050' });
      const closed = closedBy(client, 3000);

      const cli = createDynamoIotRegistry({ doc: operator.doc, tableName });
      await cli.setCertificateStatus(identity.certificateId, 'REVOKED');
      await closed;
      expect((await tryConnect(broker, identity, { clientId: 'gw-0050' })).ok).toBe(false);
      expect((await iot.getGateway('gw-0050'))?.certificates).toEqual([
        expect.objectContaining({ certificateId: identity.certificateId, status: 'REVOKED' }),
      ]);
    } finally {
      await endAllClients();
      server.client.destroy();
      operator.client.destroy();
      await db.close();
    }
  });

  describe('rotating a certificate', () => {
    /** The gateway's side of a rotation: a new key, and a CSR for it. */
    async function rotate(thingName: string) {
      const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', `CN=${thingName}`);
      const certificate = await iot.rotateCertificate(thingName, csrPem);
      return { ...certificate, privateKeyPem };
    }

    it('lets the gateway switch over while the old certificate works, then retires the old one', async () => {
      const { identity: old } = await register('gw-0060');
      const before = await connectOrThrow(broker, old, { clientId: 'gw-0060' });

      const next = await rotate('gw-0060');
      expect(next).toMatchObject({ status: 'ACTIVE', notAfter: expect.any(String) });
      expect(next.certificateId).not.toBe(old.certificateId);
      // The rotation itself cuts nobody off.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(before.connected).toBe(true);
      expect((await iot.getGateway('gw-0060'))?.certificates.map((c) => c.status)).toEqual([
        'ACTIVE',
        'ACTIVE',
      ]);

      // The gateway reconnects with its new certificate (the old session is taken over) ...
      const taken = closedBy(before);
      const after = await connectOrThrow(broker, next, { clientId: 'gw-0060' });
      await taken;
      // ... and the operator revokes the old one, which no longer connects.
      await iot.setCertificateStatus(old.certificateId, 'REVOKED');
      expect(after.connected).toBe(true);
      expect((await tryConnect(broker, old, { clientId: 'gw-0060' })).ok).toBe(false);
      expect(
        (await iot.getGateway('gw-0060'))?.certificates.map((c) => [c.certificateId, c.status]),
      ).toEqual([
        [next.certificateId, 'ACTIVE'],
        [old.certificateId, 'REVOKED'],
      ]);
    });

    it('refuses a third active certificate with CONFLICT and writes nothing', async () => {
      const { identity } = await register('gw-0061');
      await rotate('gw-0061');
      await expect(rotate('gw-0061')).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'TOO_MANY_ACTIVE_CERTIFICATES' },
      });
      expect(await registry.listCertificates('gw-0061')).toHaveLength(2);
      await iot.setCertificateStatus(identity.certificateId, 'INACTIVE');
      await expect(rotate('gw-0061')).resolves.toMatchObject({ status: 'ACTIVE' });
    });

    it('refuses a CSR whose CN is not the thing, as registration does', async () => {
      await register('gw-0062');
      const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-other');
      await expect(iot.rotateCertificate('gw-0062', csrPem)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { pkiCode: 'CN_MISMATCH' },
      });
      expect(await registry.listCertificates('gw-0062')).toHaveLength(1);
    });

    it('refuses an unknown gateway (NOT_FOUND) and a retired one (CONFLICT)', async () => {
      await expect(rotate('gw-0063')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const { identity } = await register('gw-0064');
      await iot.setCertificateStatus(identity.certificateId, 'REVOKED');
      await expect(rotate('gw-0064')).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'GATEWAY_RETIRED' },
      });
      expect(await registry.listCertificates('gw-0064')).toHaveLength(1);
    });

    it('brings a gateway with a lost key back: deactivate, rotate, connect with the new key', async () => {
      const { identity: lost } = await register('gw-0065');
      await iot.setCertificateStatus(lost.certificateId, 'INACTIVE');
      const replacement = await rotate('gw-0065');
      await iot.setCertificateStatus(lost.certificateId, 'REVOKED');
      const client = await connectOrThrow(broker, replacement, { clientId: 'gw-0065' });
      expect(client.connected).toBe(true);
      expect((await tryConnect(broker, lost, { clientId: 'gw-0065' })).ok).toBe(false);
    });
  });

  it('says the device shadow is not available without a shadow service', async () => {
    await expect(iot.getShadow('gw-0001')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(iot.updateDesired('gw-0001', { interval: 900 })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('writes desired state through the shadow service, which sends the delta to the gateway', async () => {
    await broker.close();
    registry = createMemoryIotRegistry();
    ({ iot, broker } = await startLocalIotCore({
      registry,
      ca,
      port: 0,
      host: '127.0.0.1',
      shadows: (publish) =>
        createShadowService({
          store: createMemoryShadowStore(),
          registry,
          publish,
        }) as LocalShadowService,
    }));
    const { identity } = await register('gw-0008');
    const client = await connectOrThrow(broker, identity, { clientId: 'gw-0008' });
    await client.subscribeAsync('$aws/things/gw-0008/shadow/update/delta', { qos: 1 });
    const delta = new Promise<Buffer>((resolve) => client.once('message', (_t, p) => resolve(p)));

    expect(await iot.getShadow('gw-0008')).toBeNull();
    await iot.updateDesired('gw-0008', { intervalSeconds: 900 });
    expect(JSON.parse((await delta).toString())).toMatchObject({
      state: { intervalSeconds: 900 },
    });
    expect(await iot.getShadow('gw-0008')).toMatchObject({
      state: { desired: { intervalSeconds: 900 } },
    });
  });

  it('provisions a gateway by claim through the broker, then takes its batches', async () => {
    await broker.close();
    registry = createMemoryIotRegistry();
    ({ iot, broker } = await startLocalIotCore({
      registry,
      ca,
      port: 0,
      host: '127.0.0.1',
      provisioningTemplateName: 'zw-gateway',
      provisioningTemplates: {
        'zw-gateway': {
          partnerId: 'acme',
          organisationId: 'org-acme',
          thingNameFrom: 'SerialNumber',
        },
      },
    }));
    const batches: TelegramBatchDelivery[] = [];
    iot.onTelegramBatch(async (b) => void batches.push(b));

    const claim = await provisionClaim(ca, registry);
    const factory = await connectOrThrow(broker, claim, { clientId: 'factory-7' });
    const identity = await provisionByClaim(factory, {
      templateName: 'zw-gateway',
      thingName: 'ACME-1',
    });
    expect(identity.thingName).toBe('ACME-1');
    expect(await registry.getThing('ACME-1')).toMatchObject({ organisationId: 'org-acme' });

    const gateway = await connectOrThrow(broker, identity, { clientId: 'ACME-1' });
    await gateway.publishAsync(topics.telegrams('ACME-1'), '{"gatewaySeq":1}', { qos: 1 });
    expect(batches.map((b) => b.thingName)).toEqual(['ACME-1']);
  });
});
