import { topics } from '@zaehlwerk/firmware-contract';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IotRegistry } from '../../iot-registry.js';
import { createMemoryIotRegistry } from '../../memory-iot-registry.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from '../pki/index.js';
import { makeGatewayCsr } from '../pki/pki-test-kit.js';
import { registerMonitor } from '../monitor/index.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionClaim,
  provisionGateway,
  subscribeGranted,
  tryConnect,
} from './broker-test-kit.js';
import {
  startLocalBroker,
  type BrokerEvent,
  type LocalBroker,
  type RuleMessage,
} from './local-broker.js';

const shadow = (thing: string, rest: string) => `$aws/things/${thing}/shadow/${rest}`;

describe('local IoT Core broker', { timeout: 15_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let broker: LocalBroker;
  let ruleMessages: RuleMessage[];
  let events: BrokerEvent[];
  let ruleHandler: (message: RuleMessage) => Promise<void>;

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });

  beforeEach(async () => {
    registry = createMemoryIotRegistry();
    ruleMessages = [];
    events = [];
    ruleHandler = async (message) => {
      ruleMessages.push(message);
    };
    broker = await startLocalBroker({
      registry,
      ca,
      port: 0,
      host: '127.0.0.1',
      onRuleMessage: (message) => ruleHandler(message),
      onEvent: (event) => events.push(event),
    });
  });

  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });

  const codes = () => events.map((e) => `${e.outcome}:${e.code}`);

  describe('CONNECT', () => {
    it('accepts a registered gateway, records the connection and adjusts keep-alive', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-1000');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-1000', keepalive: 5 });
      expect(client.connected).toBe(true);
      expect(broker.connectedClientIds()).toEqual(['gw-1000']);
      // IOT-CORE.md §1.3: a keep-alive below 30 s is treated as 30 s.
      expect(broker.connections()).toEqual([
        expect.objectContaining({
          clientId: 'gw-1000',
          thingName: 'gw-1000',
          certificateId: gw.certificateId,
          isClaim: false,
          keepAliveSeconds: 30,
        }),
      ]);
      expect((await registry.getThing('gw-1000'))?.lastConnectedAt).not.toBeNull();
    });

    it('fails the TLS handshake for a certificate from another CA', async () => {
      const otherCa = await loadOrCreateCertificateAuthority();
      const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', 'CN=gw-1001');
      const foreign = await otherCa.signGatewayCsr(csrPem, { thingName: 'gw-1001' });
      const attempt = await tryConnect(
        broker,
        { ...foreign, privateKeyPem },
        { clientId: 'gw-1001' },
      );
      expect(attempt.ok).toBe(false);
      // Refused before MQTT: no CONNACK, nothing the registry was asked about.
      expect(events).toEqual([]);
      expect(broker.connectedClientIds()).toEqual([]);
    });

    it('refuses a certificate of our CA that is not registered (CONNACK 5)', async () => {
      const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', 'CN=gw-1002');
      const unknown = await ca.signGatewayCsr(csrPem, { thingName: 'gw-1002' });
      const attempt = await tryConnect(
        broker,
        { ...unknown, privateKeyPem },
        { clientId: 'gw-1002' },
      );
      expect(attempt.ok).toBe(false);
      if (attempt.ok) return;
      expect(attempt.error.code).toBe(5);
      expect(codes()).toEqual(['connect-refused:CERTIFICATE_UNKNOWN']);
    });

    it.each([
      ['INACTIVE', 'CERTIFICATE_INACTIVE'],
      ['REVOKED', 'CERTIFICATE_REVOKED'],
    ] as const)('refuses an %s certificate (CONNACK 5)', async (status, code) => {
      const gw = await provisionGateway(ca, registry, 'gw-1003', status);
      const attempt = await tryConnect(broker, gw, { clientId: 'gw-1003' });
      expect(attempt.ok).toBe(false);
      if (attempt.ok) return;
      expect(attempt.error.code).toBe(5);
      expect(codes()).toEqual([`connect-refused:${code}`]);
      expect((await registry.getThing('gw-1003'))?.lastConnectedAt).toBeNull();
    });

    it('refuses a client id other than the thing the certificate is attached to', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-1004');
      await provisionGateway(ca, registry, 'gw-1005');
      const attempt = await tryConnect(broker, gw, { clientId: 'gw-1005' });
      expect(attempt.ok).toBe(false);
      if (attempt.ok) return;
      expect(attempt.error.code).toBe(5);
      expect(codes()).toEqual(['connect-refused:NOT_AUTHORIZED']);
    });

    it('refuses a client id IoT Core reserves (CONNACK 2)', async () => {
      const claim = await provisionClaim(ca, registry);
      const attempt = await tryConnect(broker, claim, { clientId: '$gw' });
      expect(attempt.ok).toBe(false);
      if (attempt.ok) return;
      expect(attempt.error.code).toBe(2);
      expect(codes()).toEqual(['connect-refused:CLIENT_ID_RESERVED']);
    });

    it('refuses a TLS connection without SNI, as IoT Core does', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-1006');
      // Node sends no SNI for an IP address, which is what servername '' asks for.
      const attempt = await tryConnect(broker, gw, { clientId: 'gw-1006', servername: '' });
      expect(attempt.ok).toBe(false);
      expect(codes()).toEqual(['connect-refused:SNI_MISSING']);
    });

    it('lets a second connection with the same client id take over the first', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-1007');
      const first = await connectOrThrow(broker, gw, { clientId: 'gw-1007' });
      const firstClosed = closedBy(first);
      const second = await connectOrThrow(broker, gw, { clientId: 'gw-1007' });
      await firstClosed;
      expect(second.connected).toBe(true);
      expect(broker.connectedClientIds()).toEqual(['gw-1007']);
      // The new connection works.
      await second.publishAsync(topics.telegrams('gw-1007'), '{}', { qos: 1 });
      expect(ruleMessages).toHaveLength(1);
    });

    it('closeConnection closes the open connection of a thing', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-1008');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-1008' });
      const closed = closedBy(client);
      expect(await broker.closeConnection('gw-1008')).toBe(true);
      await closed;
      await vi.waitFor(() => expect(broker.connectedClientIds()).toEqual([]));
      expect(await broker.closeConnection('gw-1008')).toBe(false);
    });

    it('lets a claim certificate connect with any client id but only provision', async () => {
      const claim = await provisionClaim(ca, registry);
      const client = await connectOrThrow(broker, claim, { clientId: 'factory-42' });
      const granted = await subscribeGranted(client, {
        '$aws/certificates/create-from-csr/json/accepted': { qos: 1 },
        [shadow('gw-9999', 'get/accepted')]: { qos: 1 },
      });
      expect(granted).toEqual([1, 128]);
      const closed = closedBy(client);
      client.publish(topics.telegrams('gw-9999'), '{}', { qos: 1 });
      await closed;
      expect(ruleMessages).toEqual([]);
      expect(codes()).toContain('disconnected:NOT_AUTHORIZED');
    });
  });

  describe('certificates changed by another process', () => {
    const RECHECK_MS = 100;

    /** A broker that re-checks every 100 ms, over `withRegistry`; the suite's one is closed. */
    async function restart(
      withRegistry: IotRegistry = registry,
      certificateRecheckMs = RECHECK_MS,
    ): Promise<void> {
      await broker.close();
      registry = withRegistry;
      broker = await startLocalBroker({
        registry,
        ca,
        port: 0,
        host: '127.0.0.1',
        onEvent: (event) => events.push(event),
        certificateRecheckMs,
      });
    }

    /** A monitor listening to the presence events of `thingName`. */
    async function presence(thingName: string) {
      const identity = await registerMonitor(ca, registry, { name: 'lab', partnerId: 'acme' });
      const monitor = await connectOrThrow(broker, identity, { clientId: 'zw-monitor-lab' });
      const filter = `$aws/events/presence/disconnected/${thingName}`;
      expect(await subscribeGranted(monitor, { [filter]: { qos: 1 } })).toEqual([1]);
      // Wrapped: an async function answering a bare promise would wait for the event.
      return {
        event: new Promise<Record<string, unknown>>((resolve) =>
          monitor.on('message', (_topic, payload) =>
            resolve(JSON.parse(payload.toString()) as Record<string, unknown>),
          ),
        ),
      };
    }

    it.each([
      ['REVOKED', 'CERTIFICATE_REVOKED'],
      ['INACTIVE', 'CERTIFICATE_INACTIVE'],
    ] as const)(
      'closes a connection within the interval once its certificate is %s, with AUTH_ERROR',
      async (status, code) => {
        await restart();
        const gw = await provisionGateway(ca, registry, 'gw-1500');
        const bystander = await provisionGateway(ca, registry, 'gw-1501');
        const disconnected = await presence('gw-1500');
        const client = await connectOrThrow(broker, gw, { clientId: 'gw-1500' });
        const other = await connectOrThrow(broker, bystander, { clientId: 'gw-1501' });
        const closed = closedBy(client, 20 * RECHECK_MS);

        // Straight into the registry, as an operator CLI on the same table writes it:
        // nothing in this process is told.
        const changedAt = Date.now();
        await registry.setCertificateStatus(gw.certificateId, status);
        await closed;
        expect(Date.now() - changedAt).toBeLessThan(20 * RECHECK_MS);
        expect(await disconnected.event).toMatchObject({
          clientId: 'gw-1500',
          eventType: 'disconnected',
          disconnectReason: 'AUTH_ERROR',
          clientInitiatedDisconnect: false,
        });
        expect(codes()).toContain(`disconnected:${code}`);
        // Another gateway, with its own certificate, stays.
        expect(other.connected).toBe(true);
        const again = await tryConnect(broker, gw, { clientId: 'gw-1500' });
        expect(again.ok).toBe(false);
      },
    );

    it('closes a claim connection too, and keeps every ACTIVE one', async () => {
      await restart();
      const claim = await provisionClaim(ca, registry);
      const gw = await provisionGateway(ca, registry, 'gw-1510');
      const factory = await connectOrThrow(broker, claim, { clientId: 'factory-1' });
      const gateway = await connectOrThrow(broker, gw, { clientId: 'gw-1510' });
      await new Promise((resolve) => setTimeout(resolve, 3 * RECHECK_MS));
      expect(broker.connectedClientIds()).toEqual(['factory-1', 'gw-1510']);

      const closed = closedBy(factory, 20 * RECHECK_MS);
      await registry.setCertificateStatus(claim.certificateId, 'REVOKED');
      await closed;
      expect(gateway.connected).toBe(true);
    });

    it('keeps connections while the registry cannot be read, and acts once it can', async () => {
      const memory = createMemoryIotRegistry();
      let failing = false;
      await restart({
        ...memory,
        async getCertificate(certificateId) {
          if (failing) throw new Error('table unavailable');
          return memory.getCertificate(certificateId);
        },
      });
      const gw = await provisionGateway(ca, registry, 'gw-1520');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-1520' });
      failing = true;
      await memory.setCertificateStatus(gw.certificateId, 'REVOKED');
      await new Promise((resolve) => setTimeout(resolve, 4 * RECHECK_MS));
      expect(client.connected).toBe(true);
      const closed = closedBy(client, 20 * RECHECK_MS);
      failing = false;
      await closed;
    });

    it('does not re-check with certificateRecheckMs 0', async () => {
      await restart(registry, 0);
      const gw = await provisionGateway(ca, registry, 'gw-1530');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-1530' });
      await registry.setCertificateStatus(gw.certificateId, 'REVOKED');
      await new Promise((resolve) => setTimeout(resolve, 5 * RECHECK_MS));
      expect(client.connected).toBe(true);
    });

    it('refuses a negative interval', async () => {
      await expect(
        startLocalBroker({ registry, ca, port: 0, certificateRecheckMs: -1 }),
      ).rejects.toThrow(RangeError);
    });
  });

  describe('Basic Ingest', () => {
    it('hands a batch to the rule with the verified thing name before the PUBACK', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-2000');
      let finished = false;
      ruleHandler = async (message) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        ruleMessages.push(message);
        finished = true;
      };
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-2000' });
      const batch = JSON.stringify({ gatewaySeq: 7, thingName: 'gw-forged', frames: [] });
      await client.publishAsync(topics.telegrams('gw-2000'), batch, { qos: 1 });
      // The PUBACK came after the handler: delivery is at least once.
      expect(finished).toBe(true);
      expect(ruleMessages).toEqual([
        expect.objectContaining({
          rule: 'zw_ingest',
          topic: 'zw/v1/gw/gw-2000/telegrams',
          thingName: 'gw-2000',
          clientId: 'gw-2000',
          certificateId: gw.certificateId,
          qos: 1,
        }),
      ]);
      expect(ruleMessages[0]?.payload.toString()).toBe(batch);
    });

    it('delivers Basic Ingest to no subscriber', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-2001');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-2001' });
      const granted = await subscribeGranted(client, { '$aws/rules/zw_ingest/#': { qos: 1 } });
      expect(granted).toEqual([128]);
      const received = vi.fn();
      client.on('message', received);
      await client.publishAsync(topics.telegrams('gw-2001'), '{}', { qos: 1 });
      expect(ruleMessages).toHaveLength(1);
      expect(received).not.toHaveBeenCalled();
    });

    it('closes the connection without PUBACK when the rule handler fails', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-2002');
      ruleHandler = async () => {
        throw new Error('ingest down');
      };
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-2002' });
      const acked = vi.fn();
      const closed = closedBy(client);
      client.publish(topics.telegrams('gw-2002'), '{}', { qos: 1 }, acked);
      await closed;
      expect(codes()).toEqual(['disconnected:RULE_HANDLER_FAILED']);
      expect(acked).not.toHaveBeenCalledWith(undefined, expect.anything());
    });
  });

  describe('policies', () => {
    it("closes a gateway's connection when it publishes to another gateway's topic", async () => {
      const gw = await provisionGateway(ca, registry, 'gw-3000');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-3000' });
      const closed = closedBy(client);
      client.publish(topics.telegrams('gw-3001'), '{}', { qos: 1 });
      await closed;
      expect(ruleMessages).toEqual([]);
      expect(codes()).toEqual(['disconnected:NOT_AUTHORIZED']);
    });

    it("answers 0x80 for another gateway's shadow and grants its own", async () => {
      const gw = await provisionGateway(ca, registry, 'gw-3002');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-3002' });
      const granted = await subscribeGranted(client, {
        [shadow('gw-3002', 'update/delta')]: { qos: 1 },
        [shadow('gw-3003', 'update/delta')]: { qos: 1 },
      });
      expect(granted).toEqual([1, 128]);
      expect(client.connected).toBe(true);
      expect(codes()).toEqual(['suback-failure:NOT_AUTHORIZED']);
    });

    it('delivers a service-side shadow response to the gateway allowed to receive it', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-3004');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-3004' });
      expect(
        await subscribeGranted(client, { [shadow('gw-3004', 'update/accepted')]: { qos: 1 } }),
      ).toEqual([1]);
      const received = new Promise<string>((resolve) =>
        client.once('message', (topic: string) => resolve(topic)),
      );
      await broker.publish(shadow('gw-3004', 'update/accepted'), '{"state":{}}');
      expect(await received).toBe(shadow('gw-3004', 'update/accepted'));
    });
  });

  describe('limits', () => {
    it('drops a QoS 2 publish without acknowledging it and refuses QoS 2 subscriptions', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-4000');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-4000' });
      const qos2Done = vi.fn();
      client.publish(topics.telegrams('gw-4000'), 'qos2', { qos: 2 }, qos2Done);
      await client.publishAsync(topics.telegrams('gw-4000'), 'qos1', { qos: 1 });
      expect(ruleMessages.map((m) => m.payload.toString())).toEqual(['qos1']);
      expect(qos2Done).not.toHaveBeenCalled(); // no PUBREC (IOT-CORE.md §1.2)
      const granted = await subscribeGranted(client, {
        [shadow('gw-4000', 'get/accepted')]: { qos: 2 },
      });
      expect(granted).toEqual([128]);
      expect(client.connected).toBe(true);
      expect(codes()).toEqual(['dropped:QOS_NOT_SUPPORTED', 'suback-failure:QOS_NOT_SUPPORTED']);
    });

    it('closes the connection on a payload over 128 KB', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-4001');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-4001' });
      const closed = closedBy(client);
      client.publish(topics.telegrams('gw-4001'), Buffer.alloc(128 * 1024 + 1), { qos: 1 });
      await closed;
      expect(ruleMessages).toEqual([]);
      expect(codes()).toEqual(['disconnected:PAYLOAD_TOO_LARGE']);
    });

    it('accepts exactly 128 KB', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-4002');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-4002' });
      await client.publishAsync(topics.telegrams('gw-4002'), Buffer.alloc(128 * 1024), { qos: 1 });
      expect(ruleMessages).toHaveLength(1);
    });

    it('closes the connection on a topic deeper than 7 slashes (Basic Ingest prefix not counted)', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-4003');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-4003' });
      const closed = closedBy(client);
      client.publish('$aws/rules/zw_ingest/a/b/c/d/e/f/g/h/i', '{}', { qos: 1 });
      await closed;
      expect(codes()).toEqual(['disconnected:TOPIC_TOO_DEEP']);
    });

    it('closes the connection on more than 8 filters in one SUBSCRIBE', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-4004');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-4004' });
      const filters = Object.fromEntries(
        ['get', 'update', 'delete'].flatMap((op) =>
          ['accepted', 'rejected', 'x'].map((r) => [shadow('gw-4004', `${op}/${r}`), { qos: 1 }]),
        ),
      ) as Record<string, { qos: 1 }>;
      expect(Object.keys(filters)).toHaveLength(9);
      const closed = closedBy(client);
      client.subscribe(filters);
      await closed;
      expect(codes()).toEqual(['disconnected:TOO_MANY_FILTERS']);
    });

    it('discards publishes over 100 per second and keeps the connection', async () => {
      const gw = await provisionGateway(ca, registry, 'gw-4005');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-4005' });
      const sent = 150;
      for (let i = 0; i < sent; i += 1) {
        client.publish(topics.telegrams('gw-4005'), String(i), { qos: 0 });
      }
      const dropped = () => events.filter((e) => e.code === 'PUBLISH_RATE_EXCEEDED').length;
      await vi.waitFor(() => expect(ruleMessages.length + dropped()).toBe(sent), {
        timeout: 5000,
      });
      // A full bucket of 100, plus what refilled while the burst was being handled.
      expect(ruleMessages.length).toBeGreaterThanOrEqual(100);
      expect(dropped()).toBeGreaterThan(0);
      expect(client.connected).toBe(true);
    });
  });
});
