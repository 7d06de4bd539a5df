/**
 * Test helpers for this folder: gateways provisioned as the platform will do it
 * (key and CSR made on the gateway, CSR signed by the CA, certificate stored as
 * ACTIVE and attached to its thing) and real mqtt.js clients over TLS.
 * Not used by production code.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { CertificateStatus } from '../../../domain/ports.js';
import type { IotRegistry } from '../../iot-registry.js';
import type { CertificateAuthority } from '../pki/index.js';
import { makeGatewayCsr } from '../pki/pki-test-kit.js';
import type { LocalBroker } from './local-broker.js';

export interface ClientIdentity {
  certificateId: string;
  certificatePem: string;
  privateKeyPem: string;
}

export interface GatewayIdentity extends ClientIdentity {
  thingName: string;
}

const CREATED_AT = '2025-01-01T00:00:00.000Z';

export async function provisionGateway(
  ca: CertificateAuthority,
  registry: IotRegistry,
  thingName: string,
  status: CertificateStatus = 'ACTIVE',
): Promise<GatewayIdentity> {
  const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', `CN=${thingName}`);
  const signed = await ca.signGatewayCsr(csrPem, { thingName });
  if ((await registry.getThing(thingName)) === null) {
    await registry.createThing({
      thingName,
      partnerId: 'acme',
      organisationId: 'org-1',
      createdAt: CREATED_AT,
    });
  }
  await registry.createCertificate({
    certificateId: signed.certificateId,
    certificatePem: signed.certificatePem,
    status,
    partnerId: 'acme',
    thingName,
    isClaim: false,
    notAfter: signed.notAfter,
    createdAt: CREATED_AT,
  });
  return { thingName, privateKeyPem, ...signed };
}

export async function provisionClaim(
  ca: CertificateAuthority,
  registry: IotRegistry,
): Promise<ClientIdentity> {
  const claim = await ca.issueClaimCertificate('acme');
  await registry.createCertificate({
    certificateId: claim.certificateId,
    certificatePem: claim.certificatePem,
    status: 'ACTIVE',
    partnerId: 'acme',
    thingName: null,
    isClaim: true,
    notAfter: claim.notAfter,
    createdAt: CREATED_AT,
  });
  return claim;
}

export type ConnectAttempt =
  | { ok: true; client: MqttClient }
  | { ok: false; client: MqttClient; error: Error & { code?: number | string } };

/** Every client made here, so afterEach can end them all. */
const made = new Set<MqttClient>();

export async function endAllClients(): Promise<void> {
  const clients = [...made];
  made.clear();
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
}

/**
 * One MQTT 3.1.1 connection attempt, bounded in time; never reconnects. A
 * refused CONNACK, a failed handshake and a close before CONNACK all settle
 * as `ok: false`.
 */
export function tryConnect(
  broker: Pick<LocalBroker, 'port' | 'caCertificatePem'>,
  identity: ClientIdentity,
  options: Partial<IClientOptions> & { clientId: string },
): Promise<ConnectAttempt> {
  const client = connect(`mqtts://127.0.0.1:${broker.port}`, {
    ca: broker.caCertificatePem,
    cert: identity.certificatePem,
    key: identity.privateKeyPem,
    servername: 'localhost', // SNI, which IoT Core requires
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  made.add(client);
  return new Promise((resolve) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      client.end(true);
      resolve({ ok: false, client, error });
    };
    const timer = setTimeout(() => fail(new Error('no CONNACK within 5 s')), 5000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve({ ok: true, client });
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('closed before CONNACK')));
  });
}

export async function connectOrThrow(
  broker: Pick<LocalBroker, 'port' | 'caCertificatePem'>,
  identity: ClientIdentity,
  options: Partial<IClientOptions> & { clientId: string },
): Promise<MqttClient> {
  const attempt = await tryConnect(broker, identity, options);
  if (!attempt.ok) throw attempt.error;
  return attempt.client;
}

/** Resolves when the broker has closed the client's connection; rejects after `ms`. */
export function closedBy(client: MqttClient, ms = 5000): Promise<void> {
  if (!client.connected && client.disconnected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The SUBACK's return codes, one per filter in the order given (0x80 = refused).
 * mqtt.js rejects a SUBACK with any 0x80 in it; the codes ride on the error.
 */
export async function subscribeGranted(
  client: MqttClient,
  filters: Record<string, { qos: 0 | 1 | 2 }>,
): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters);
    return granted.map((grant) => grant.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: unknown } }).packet?.granted;
    if (Array.isArray(granted)) return granted as number[];
    throw error;
  }
}

/**
 * A factory's side of fleet provisioning by claim, over a connection made with
 * the claim certificate: CreateCertificateFromCsr with a key made here, then
 * RegisterThing with the template. Returns the gateway's new identity.
 */
export async function provisionByClaim(
  claimClient: MqttClient,
  options: { templateName: string; thingName: string; timeoutMs?: number },
): Promise<ClientIdentity & { thingName: string }> {
  const csrTopic = '$aws/certificates/create-from-csr/json';
  const provisionTopic = `$aws/provisioning-templates/${options.templateName}/provision/json`;
  const answers = new Map<string, Record<string, unknown>>();
  const waiters = new Map<string, () => void>();
  claimClient.on('message', (topic: string, payload: Buffer) => {
    answers.set(topic, JSON.parse(payload.toString()) as Record<string, unknown>);
    waiters.get(topic)?.();
  });
  const answerOf = async (request: string): Promise<Record<string, unknown>> => {
    const ms = options.timeoutMs ?? 5000;
    await new Promise<void>((resolve, reject) => {
      const done = () =>
        (answers.has(`${request}/accepted`) || answers.has(`${request}/rejected`)) && resolve();
      waiters.set(`${request}/accepted`, done);
      waiters.set(`${request}/rejected`, done);
      done();
      setTimeout(() => reject(new Error(`no answer to ${request} in ${ms} ms`)), ms).unref();
    });
    const rejected = answers.get(`${request}/rejected`);
    if (rejected !== undefined) throw new Error(`${request} rejected: ${JSON.stringify(rejected)}`);
    return answers.get(`${request}/accepted`)!;
  };
  await claimClient.subscribeAsync(
    [csrTopic, provisionTopic].flatMap((t) => [`${t}/accepted`, `${t}/rejected`]),
    { qos: 1 },
  );
  const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', `CN=${options.thingName}`);
  await claimClient.publishAsync(csrTopic, JSON.stringify({ certificateSigningRequest: csrPem }), {
    qos: 1,
  });
  const created = (await answerOf(csrTopic)) as {
    certificateId: string;
    certificatePem: string;
    certificateOwnershipToken: string;
  };
  await claimClient.publishAsync(
    provisionTopic,
    JSON.stringify({
      certificateOwnershipToken: created.certificateOwnershipToken,
      parameters: { SerialNumber: options.thingName },
    }),
    { qos: 1 },
  );
  const provisioned = await answerOf(provisionTopic);
  return {
    thingName: String(provisioned.thingName),
    certificateId: created.certificateId,
    certificatePem: created.certificatePem,
    privateKeyPem,
  };
}
