import { topics } from '@zaehlwerk/firmware-contract';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CertificateStatus } from '../../../domain/ports.js';
import type { IotRegistry } from '../../iot-registry.js';
import { createMemoryIotRegistry } from '../../memory-iot-registry.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionClaim,
  subscribeGranted,
  tryConnect,
  type ClientIdentity,
} from '../broker/broker-test-kit.js';
import {
  startLocalBroker,
  type BrokerEvent,
  type LocalBroker,
  type RuleMessage,
} from '../broker/local-broker.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from '../pki/index.js';
import { makeGatewayCsr } from '../pki/pki-test-kit.js';
import {
  createProvisioningService,
  OWNERSHIP_TOKEN_TTL_MS,
  type ProvisioningMessage,
  type ProvisioningService,
} from './provisioning-service.js';
import { PROVISIONING_TOPIC_PREFIXES } from './provisioning-topics.js';
import { routeServiceMessages } from './route-service-messages.js';

const TEMPLATE = 'zw-gateway';
const CSR_TOPIC = '$aws/certificates/create-from-csr/json';
const PROVISION_TOPIC = `$aws/provisioning-templates/${TEMPLATE}/provision/json`;

/** A gateway on the factory floor: the claim connection and what it hears back. */
class ClaimDevice {
  readonly received: { topic: string; body: Record<string, unknown> }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic: string, payload: Buffer) => {
      this.received.push({
        topic,
        body: JSON.parse(payload.toString()) as Record<string, unknown>,
      });
    });
  }

  static async open(broker: LocalBroker, claim: ClientIdentity, clientId: string) {
    const client = await connectOrThrow(broker, claim, { clientId });
    // §1.10: subscribe to the responses before publishing; exact filters, as the claim policy says.
    const filters = [CSR_TOPIC, PROVISION_TOPIC].flatMap((t) => [`${t}/accepted`, `${t}/rejected`]);
    const granted = await subscribeGranted(
      client,
      Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])),
    );
    expect(granted).toEqual([1, 1, 1, 1]);
    return new ClaimDevice(client);
  }

  async createCertificate(csrPem: string) {
    await this.client.publishAsync(
      CSR_TOPIC,
      JSON.stringify({ certificateSigningRequest: csrPem }),
      { qos: 1 },
    );
    return this.take(CSR_TOPIC);
  }

  async provision(certificateOwnershipToken: unknown, parameters: Record<string, string>) {
    await this.client.publishAsync(
      PROVISION_TOPIC,
      JSON.stringify({ certificateOwnershipToken, parameters }),
      { qos: 1 },
    );
    return this.take(PROVISION_TOPIC);
  }

  /** The next answer to `request`: which of accepted/rejected, and its body. */
  async take(request: string): Promise<{ outcome: string; body: Record<string, unknown> }> {
    let index = -1;
    await vi.waitFor(
      () => {
        index = this.received.findIndex((m) => m.topic.startsWith(`${request}/`));
        expect(index, `an answer to ${request}`).toBeGreaterThanOrEqual(0);
      },
      { timeout: 3000 },
    );
    const [message] = this.received.splice(index, 1);
    const { topic, body } = message as { topic: string; body: Record<string, unknown> };
    return { outcome: topic.slice(request.length + 1), body };
  }
}

describe('fleet provisioning by claim over the local broker', { timeout: 20_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let broker: LocalBroker;
  let service: ProvisioningService;
  let events: BrokerEvent[];
  let rules: RuleMessage[];
  let clock: number;

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });

  beforeEach(async () => {
    registry = createMemoryIotRegistry();
    events = [];
    rules = [];
    clock = Date.now();
    service = createProvisioningService({
      registry,
      ca,
      publish: (topic, payload) => broker.publish(topic, payload, { qos: 1 }),
      templates: {
        [TEMPLATE]: {
          partnerId: 'acme',
          organisationId: 'org-acme',
          thingNameFrom: 'SerialNumber',
          allowedThingNamePattern: /^ACME-[0-9]{6}$/,
          deviceConfiguration: { ingestRule: 'zw_ingest' },
        },
      },
      now: () => new Date(clock),
    });
    const route = routeServiceMessages<ProvisioningMessage>([
      { prefixes: PROVISIONING_TOPIC_PREFIXES, handle: (m) => service.handleMessage(m) },
    ]);
    broker = await startLocalBroker({
      registry,
      ca,
      port: 0,
      provisioningTemplateName: TEMPLATE,
      onRuleMessage: (message) => {
        rules.push(message);
      },
      onEvent: (event) => events.push(event),
      onServiceMessage: route,
    });
  });

  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });

  async function claimOf(partnerId: string, status: CertificateStatus = 'ACTIVE') {
    const claim = await ca.issueClaimCertificate(partnerId);
    await registry.createCertificate({
      certificateId: claim.certificateId,
      certificatePem: claim.certificatePem,
      status,
      partnerId,
      thingName: null,
      isClaim: true,
      notAfter: claim.notAfter,
      createdAt: new Date().toISOString(),
    });
    return claim;
  }

  it('signs a CSR, registers the serial, and the gateway then sends telegrams as its thing', async () => {
    const claim = await provisionClaim(ca, registry);
    const device = await ClaimDevice.open(broker, claim, 'factory-line-3');
    // The key is made here, as on the gateway, and never leaves the test.
    const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', undefined);

    const created = await device.createCertificate(csrPem);
    expect(created).toEqual({
      outcome: 'accepted',
      body: {
        certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
        certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
        certificateOwnershipToken: expect.any(String),
      },
    });
    const { certificateId, certificatePem, certificateOwnershipToken } = created.body as {
      certificateId: string;
      certificatePem: string;
      certificateOwnershipToken: string;
    };
    const identity = { certificateId, certificatePem, privateKeyPem } as ClientIdentity;
    // PENDING_ACTIVATION until RegisterThing (§1.10): not in the registry, cannot connect.
    expect(await registry.getCertificate(certificateId)).toBeNull();
    expect((await tryConnect(broker, identity, { clientId: 'ACME-000001' })).ok).toBe(false);

    const provisioned = await device.provision(certificateOwnershipToken, {
      SerialNumber: 'ACME-000001',
    });
    expect(provisioned).toEqual({
      outcome: 'accepted',
      body: { thingName: 'ACME-000001', deviceConfiguration: { ingestRule: 'zw_ingest' } },
    });
    expect(await registry.getThing('ACME-000001')).toMatchObject({
      partnerId: 'acme',
      organisationId: 'org-acme',
    });
    expect(await registry.getCertificate(certificateId)).toMatchObject({
      status: 'ACTIVE',
      thingName: 'ACME-000001',
      partnerId: 'acme',
      isClaim: false,
    });
    expect(service.pendingCount()).toBe(0);

    // §1.10: disconnect, reconnect with the permanent certificate, client id = thing name.
    await device.client.endAsync();
    const gateway = await connectOrThrow(broker, identity, { clientId: 'ACME-000001' });
    await gateway.publishAsync(topics.telegrams('ACME-000001'), '{"gatewaySeq":1}', { qos: 1 });
    expect(rules).toEqual([
      expect.objectContaining({
        rule: 'zw_ingest',
        thingName: 'ACME-000001',
        certificateId,
        payload: Buffer.from('{"gatewaySeq":1}'),
      }),
    ]);
  });

  it('keeps a CN the CSR names, and then registers only that serial', async () => {
    const claim = await provisionClaim(ca, registry);
    const device = await ClaimDevice.open(broker, claim, 'any-client-id');
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=ACME-000002');
    const created = await device.createCertificate(csrPem);
    const token = created.body['certificateOwnershipToken'];

    expect(await device.provision(token, { SerialNumber: 'ACME-000003' })).toMatchObject({
      outcome: 'rejected',
      body: { statusCode: 400, errorCode: 'InvalidRequest' },
    });
    expect(await device.provision(token, { SerialNumber: 'ACME-000002' })).toMatchObject({
      outcome: 'accepted',
      body: { thingName: 'ACME-000002' },
    });
    expect(await registry.getThing('ACME-000003')).toBeNull();
  });

  it('refuses a reused and an expired ownership token', async () => {
    const claim = await provisionClaim(ca, registry);
    const device = await ClaimDevice.open(broker, claim, 'claim-1');
    const first = await device.createCertificate((await makeGatewayCsr('P-256', undefined)).csrPem);
    const token = first.body['certificateOwnershipToken'];
    expect((await device.provision(token, { SerialNumber: 'ACME-000010' })).outcome).toBe(
      'accepted',
    );
    expect(await device.provision(token, { SerialNumber: 'ACME-000010' })).toEqual({
      outcome: 'rejected',
      body: {
        statusCode: 400,
        errorCode: 'InvalidRequest',
        errorMessage: 'The certificate ownership token is not valid',
      },
    });

    const second = await device.createCertificate(
      (await makeGatewayCsr('P-256', undefined)).csrPem,
    );
    expect(service.pendingCount()).toBe(1);
    clock += OWNERSHIP_TOKEN_TTL_MS; // §1.10: the token lives one hour
    expect(
      await device.provision(second.body['certificateOwnershipToken'], {
        SerialNumber: 'ACME-000011',
      }),
    ).toMatchObject({ outcome: 'rejected', body: { statusCode: 400 } });
    expect(service.pendingCount()).toBe(0);
    expect(await registry.getThing('ACME-000011')).toBeNull();
  });

  it("refuses another partner's template, and the policy closes a template it does not name", async () => {
    const foreign = await claimOf('globex');
    const device = await ClaimDevice.open(broker, foreign, 'globex-claim');
    const created = await device.createCertificate(
      (await makeGatewayCsr('P-256', undefined)).csrPem,
    );
    expect(
      await device.provision(created.body['certificateOwnershipToken'], {
        SerialNumber: 'ACME-000020',
      }),
    ).toMatchObject({ outcome: 'rejected', body: { statusCode: 403, errorCode: 'AccessDenied' } });
    expect(await registry.getThing('ACME-000020')).toBeNull();

    await device.client.publishAsync('$aws/provisioning-templates/globex-gw/provision/json', '{}', {
      qos: 0,
    });
    await closedBy(device.client);
    expect(events).toContainEqual(
      expect.objectContaining({ outcome: 'disconnected', code: 'NOT_AUTHORIZED' }),
    );
  });

  it('refuses serials that are not valid thing names or not in the partner format; the token stays', async () => {
    const claim = await provisionClaim(ca, registry);
    const device = await ClaimDevice.open(broker, claim, 'claim-2');
    const created = await device.createCertificate(
      (await makeGatewayCsr('P-256', undefined)).csrPem,
    );
    const token = created.body['certificateOwnershipToken'];
    const attempts: Record<string, string>[] = [
      { SerialNumber: 'ACME 000030' },
      { SerialNumber: 'ACME-12' },
      { SerialNumber: '' },
      { Serial: 'ACME-000030' },
    ];
    for (const parameters of attempts) {
      expect(await device.provision(token, parameters)).toMatchObject({
        outcome: 'rejected',
        body: { statusCode: 400, errorCode: 'InvalidRequest' },
      });
    }
    expect((await device.provision(token, { SerialNumber: 'ACME-000030' })).outcome).toBe(
      'accepted',
    );
  });

  it("refuses a serial registered to another partner, and reuses the partner's own thing", async () => {
    await registry.createThing({
      thingName: 'ACME-000040',
      partnerId: 'globex',
      organisationId: 'org-g',
      createdAt: new Date().toISOString(),
    });
    const claim = await provisionClaim(ca, registry);
    const device = await ClaimDevice.open(broker, claim, 'claim-3');
    const csr = async () =>
      (await device.createCertificate((await makeGatewayCsr('P-256', undefined)).csrPem)).body;

    expect(
      await device.provision((await csr())['certificateOwnershipToken'], {
        SerialNumber: 'ACME-000040',
      }),
    ).toMatchObject({ outcome: 'rejected', body: { statusCode: 403 } });
    expect(await registry.listCertificates('ACME-000040')).toEqual([]);

    // RegisterThing on an existing thing reuses it and attaches one more certificate.
    const first = await csr();
    const second = await csr();
    for (const body of [first, second]) {
      expect(
        await device.provision(body['certificateOwnershipToken'], { SerialNumber: 'ACME-000041' }),
      ).toMatchObject({ outcome: 'accepted', body: { thingName: 'ACME-000041' } });
    }
    const attached = await registry.listCertificates('ACME-000041');
    expect(attached.map((c) => [c.certificateId, c.status]).sort()).toEqual(
      [
        [first['certificateId'], 'ACTIVE'],
        [second['certificateId'], 'ACTIVE'],
      ].sort(),
    );
  });

  it('answers a CSR that is no CSR, and a payload that is no JSON, with 400', async () => {
    const claim = await provisionClaim(ca, registry);
    const device = await ClaimDevice.open(broker, claim, 'claim-4');
    expect(await device.createCertificate('not a csr')).toMatchObject({
      outcome: 'rejected',
      body: { statusCode: 400, errorCode: 'InvalidRequest' },
    });
    await device.client.publishAsync(CSR_TOPIC, 'nope', { qos: 1 });
    expect(await device.take(CSR_TOPIC)).toMatchObject({
      outcome: 'rejected',
      body: { statusCode: 400 },
    });
  });

  it('keeps the claim certificate away from telegrams and cbor, and an INACTIVE claim out', async () => {
    const claim = await provisionClaim(ca, registry);
    const client = await connectOrThrow(broker, claim, { clientId: 'ACME-000050' });
    await client.publishAsync(topics.telegrams('ACME-000050'), '{}', { qos: 0 });
    await closedBy(client);
    expect(rules).toEqual([]);

    const cbor = await connectOrThrow(broker, claim, { clientId: 'claim-cbor' });
    await cbor.publishAsync('$aws/certificates/create-from-csr/cbor', Buffer.from([0xa0]), {
      qos: 0,
    });
    await closedBy(cbor);

    const inactive = await claimOf('acme', 'INACTIVE');
    const attempt = await tryConnect(broker, inactive, { clientId: 'claim-5' });
    expect(attempt.ok).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({ outcome: 'connect-refused', code: 'CERTIFICATE_INACTIVE' }),
    );
  });
});
