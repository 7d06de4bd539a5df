import { topics, type CaptureLine } from '@zaehlwerk/firmware-contract';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IotRegistry } from '../../iot-registry.js';
import { createMemoryIotRegistry } from '../../memory-iot-registry.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionGateway,
  subscribeGranted,
  tryConnect,
  type ClientIdentity,
} from '../broker/broker-test-kit.js';
import type { LocalBroker } from '../broker/index.js';
import { startLocalIotCore, type LocalShadowService } from '../local-iot-core.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from '../pki/index.js';
import { createMemoryShadowStore, createShadowService } from '../shadow/index.js';
import { monitorCaptureTopic, monitorDisconnectTopic, registerMonitor } from './index.js';

/** Collects what a monitor receives, and waits for the message a test expects. */
function inbox(client: MqttClient) {
  const messages: { topic: string; json: Record<string, unknown> }[] = [];
  const waiters: { match: (m: (typeof messages)[number]) => boolean; resolve: () => void }[] = [];
  client.on('message', (topic, payload) => {
    const message = { topic, json: JSON.parse(payload.toString()) as Record<string, unknown> };
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.match(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  return {
    messages,
    async waitFor(match: (m: (typeof messages)[number]) => boolean, ms = 5000) {
      const found = messages.find(match);
      if (found !== undefined) return found;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('expected message not received')), ms);
        waiters.push({
          match,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
      return messages.find(match) as (typeof messages)[number];
    },
  };
}

describe('monitor interface of the IoT Core emulator', { timeout: 20_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let broker: LocalBroker;
  let monitorIdentity: ClientIdentity;
  const captured: CaptureLine[] = [];
  const batches: Uint8Array[] = [];

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });

  beforeEach(async () => {
    captured.length = 0;
    batches.length = 0;
    registry = createMemoryIotRegistry();
    let iot;
    ({ iot, broker } = await startLocalIotCore({
      registry,
      ca,
      port: 0,
      host: '127.0.0.1',
      onCapture: (line) => captured.push(line),
      shadows: (publish) =>
        createShadowService({
          store: createMemoryShadowStore(),
          registry,
          publish,
        }) as LocalShadowService,
    }));
    iot.onTelegramBatch(async (batch) => {
      batches.push(batch.payload);
    });
    monitorIdentity = await registerMonitor(ca, registry, { name: 'lab', partnerId: 'acme' });
  });

  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });

  async function monitorFor(thingName: string) {
    const client = await connectOrThrow(broker, monitorIdentity, { clientId: 'zw-monitor-lab1' });
    const received = inbox(client);
    const granted = await subscribeGranted(client, {
      [monitorCaptureTopic(thingName)]: { qos: 1 },
      [`$aws/events/presence/+/${thingName}`]: { qos: 1 },
      [`$aws/things/${thingName}/shadow/name/zw-config/update/accepted`]: { qos: 1 },
    });
    expect(granted).toEqual([1, 1, 1]);
    return { client, received };
  }

  it('admits a monitor only under a zw-monitor- client id, and not once revoked', async () => {
    const asGateway = await tryConnect(broker, monitorIdentity, { clientId: 'gw-0001' });
    expect(asGateway.ok).toBe(false);
    expect((await tryConnect(broker, monitorIdentity, { clientId: 'zw-monitor-x' })).ok).toBe(true);
    await registry.setCertificateStatus(monitorIdentity.certificateId, 'REVOKED');
    expect((await tryConnect(broker, monitorIdentity, { clientId: 'zw-monitor-y' })).ok).toBe(
      false,
    );
  });

  it("mirrors a gateway's publishes as capture lines, Basic Ingest and refusals included", async () => {
    const { received } = await monitorFor('gw-0001');
    const gateway = await provisionGateway(ca, registry, 'gw-0001');
    const client = await connectOrThrow(broker, gateway, { clientId: 'gw-0001', clean: false });

    const connected = await received.waitFor((m) => m.topic.includes('/presence/connected/'));
    expect(connected.json).toMatchObject({
      clientId: 'gw-0001',
      eventType: 'connected',
      principalIdentifier: gateway.certificateId,
      versionNumber: 0,
    });
    expect(connected.json.sessionIdentifier).toMatch(/^[0-9a-f-]{36}$/);

    await client.publishAsync(topics.status('gw-0001'), '{"hello":1}', { qos: 1 });
    await client.publishAsync(topics.telegrams('gw-0001'), Buffer.from([0xff, 0x00]), { qos: 1 });
    const status = await received.waitFor(
      (m) => m.topic.endsWith('/capture') && m.json.topic === topics.status('gw-0001'),
    );
    expect(status.json).toMatchObject({
      payload: { hello: 1 },
      qos: 1,
      retain: false,
      clientId: 'gw-0001',
      outcome: 'accepted',
    });
    const batch = await received.waitFor((m) => m.json.topic === topics.telegrams('gw-0001'));
    expect(batches).toHaveLength(1);
    // Not JSON, so kept as bytes: the checker must see exactly what was sent.
    expect(batch.json.payload).toEqual({ base64: Buffer.from([0xff, 0x00]).toString('base64') });

    // Another gateway's topic: refused, recorded with the reason, connection closed.
    client.publish(topics.status('gw-0002'), '{}', { qos: 1 });
    const refused = await received.waitFor((m) => m.json.topic === topics.status('gw-0002'));
    expect(refused.json).toMatchObject({ outcome: 'refused' });
    expect(String(refused.json.reason)).toContain('not authorized');
    const gone = await received.waitFor((m) => m.topic.includes('/presence/disconnected/'));
    expect(gone.json).toMatchObject({
      eventType: 'disconnected',
      disconnectReason: 'AUTH_ERROR',
      clientInitiatedDisconnect: false,
    });
    // The file capture got the same lines as the monitor.
    expect(captured.map((line) => line.outcome)).toEqual(['accepted', 'accepted', 'refused']);
  });

  it("cuts a gateway's connection on request and tells a clean disconnect apart", async () => {
    const { client: monitor, received } = await monitorFor('gw-0001');
    const gateway = await provisionGateway(ca, registry, 'gw-0001');
    const first = await connectOrThrow(broker, gateway, { clientId: 'gw-0001' });
    await received.waitFor((m) => m.topic.includes('/connected/'));

    await monitor.publishAsync(monitorDisconnectTopic('gw-0001'), '{}', { qos: 1 });
    await closedBy(first);
    const cut = await received.waitFor((m) => m.topic.includes('/disconnected/'));
    expect(cut.json).toMatchObject({ disconnectReason: 'API_INITIATED_DISCONNECT' });

    const second = await connectOrThrow(broker, gateway, { clientId: 'gw-0001' });
    const again = await received.waitFor(
      (m) => m.topic.includes('/connected/') && m.json.versionNumber === 1,
    );
    expect(again.json.sessionIdentifier).not.toBe(
      received.messages.find((m) => m.topic.includes('/connected/'))?.json.sessionIdentifier,
    );
    await second.endAsync();
    const clean = await received.waitFor(
      (m) => m.topic.includes('/disconnected/') && m.json.versionNumber === 1,
    );
    expect(clean.json).toMatchObject({
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      clientInitiatedDisconnect: true,
    });
  });

  it("writes a gateway's desired configuration, which reaches the gateway as a delta", async () => {
    const { client: monitor, received } = await monitorFor('gw-0001');
    const gateway = await provisionGateway(ca, registry, 'gw-0001');
    const client = await connectOrThrow(broker, gateway, { clientId: 'gw-0001' });
    const delta = topics.shadow('gw-0001', 'update/delta');
    expect(await subscribeGranted(client, { [delta]: { qos: 1 } })).toEqual([1]);
    const deltaReceived = new Promise<Record<string, unknown>>((resolve) =>
      client.on('message', (topic, payload) => {
        if (topic === delta) resolve(JSON.parse(payload.toString()) as Record<string, unknown>);
      }),
    );

    await monitor.publishAsync(
      topics.shadow('gw-0001', 'update'),
      JSON.stringify({ state: { desired: { configVersion: 2 } }, clientToken: 'm-1' }),
      { qos: 1 },
    );
    const accepted = await received.waitFor((m) => m.topic.endsWith('/update/accepted'));
    expect(accepted.json).toMatchObject({ clientToken: 'm-1' });
    expect(await deltaReceived).toMatchObject({ state: { configVersion: 2 } });
  });

  it('keeps gateways out of the monitor topics and lifecycle events', async () => {
    const gateway = await provisionGateway(ca, registry, 'gw-0001');
    const client = await connectOrThrow(broker, gateway, { clientId: 'gw-0001' });
    expect(
      await subscribeGranted(client, {
        [monitorCaptureTopic('gw-0001')]: { qos: 1 },
        '$aws/events/presence/connected/gw-0001': { qos: 1 },
      }),
    ).toEqual([0x80, 0x80]);
    // Publishing a disconnect request as a gateway is not allowed either: the connection ends.
    client.publish(monitorDisconnectTopic('gw-0001'), '{}', { qos: 1 });
    await closedBy(client);
  });
});
