import type { MqttClient } from 'mqtt';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IotRegistry } from '../../iot-registry.js';
import { createMemoryIotRegistry } from '../../memory-iot-registry.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionGateway,
  subscribeGranted,
} from '../broker/broker-test-kit.js';
import { startLocalBroker, type BrokerEvent, type LocalBroker } from '../broker/local-broker.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from '../pki/index.js';
import { createMemoryShadowStore } from './memory-shadow-store.js';
import { createShadowService, type ShadowService } from './shadow-service.js';
import type { ShadowStore } from './shadow-store.js';

interface Received {
  topic: string;
  body: Record<string, unknown>;
}

/** A gateway's view of one shadow: its requests and every response it receives. */
class ShadowDevice {
  readonly received: Received[] = [];

  constructor(
    readonly client: MqttClient,
    readonly prefix: string,
  ) {
    client.on('message', (topic: string, payload: Buffer) => {
      this.received.push({
        topic,
        body: JSON.parse(payload.toString()) as Record<string, unknown>,
      });
    });
  }

  static async open(
    broker: LocalBroker,
    gw: Awaited<ReturnType<typeof provisionGateway>>,
    shadowName?: string,
  ): Promise<ShadowDevice> {
    const client = await connectOrThrow(broker, gw, { clientId: gw.thingName });
    const prefix =
      shadowName === undefined
        ? `$aws/things/${gw.thingName}/shadow`
        : `$aws/things/${gw.thingName}/shadow/name/${shadowName}`;
    expect(await subscribeGranted(client, { [`${prefix}/+/+`]: { qos: 1 } })).toEqual([1]);
    return new ShadowDevice(client, prefix);
  }

  async request(operation: 'get' | 'update' | 'delete', body?: unknown): Promise<void> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    await this.client.publishAsync(`${this.prefix}/${operation}`, payload, { qos: 1 });
  }

  /** The next message on `prefix/<suffix>` not yet taken. */
  async take(suffix: string): Promise<Record<string, unknown>> {
    const topic = `${this.prefix}/${suffix}`;
    let found: Received | undefined;
    await vi.waitFor(
      () => {
        found = this.received.find((m) => m.topic === topic);
        expect(found, `a message on ${topic}`).toBeDefined();
      },
      { timeout: 3000 },
    );
    this.received.splice(this.received.indexOf(found as Received), 1);
    return (found as Received).body;
  }

  topics(): string[] {
    return this.received.map((m) => m.topic.slice(this.prefix.length + 1));
  }
}

describe('Device Shadow over the local broker', { timeout: 15_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let store: ShadowStore;
  let broker: LocalBroker;
  let shadows: ShadowService;
  let events: BrokerEvent[];

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });

  beforeEach(async () => {
    registry = createMemoryIotRegistry();
    store = createMemoryShadowStore();
    events = [];
    shadows = createShadowService({
      store,
      registry,
      // The service and the broker need each other: the service answers through
      // the broker, which exists by the time the first request arrives.
      publish: (topic, payload) => broker.publish(topic, payload, { qos: 1 }),
    });
    broker = await startLocalBroker({
      registry,
      ca,
      port: 0,
      host: '127.0.0.1',
      onServiceMessage: (message) => shadows.handleMessage(message),
      onEvent: (event) => events.push(event),
    });
  });

  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });

  it('answers get for a missing shadow with 404 and the clientToken', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5000');
    const device = await ShadowDevice.open(broker, gw);
    await device.request('get', { clientToken: 'boot-1' });
    expect(await device.take('get/rejected')).toEqual({
      code: 404,
      message: "No shadow exists with name: 'gw-5000'",
      timestamp: expect.any(Number),
      clientToken: 'boot-1',
    });
    expect(device.topics()).toEqual([]);
  });

  it('reports, receives the desired change as delta and documents, reports back: delta gone', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5001');
    const device = await ShadowDevice.open(broker, gw);

    await device.request('update', {
      state: { reported: { intervalS: 60, fw: '1.0.0' } },
      clientToken: 'r1',
    });
    expect(await device.take('update/accepted')).toMatchObject({
      state: { reported: { intervalS: 60, fw: '1.0.0' } },
      version: 1,
      clientToken: 'r1',
    });
    await device.take('update/documents');

    const accepted = await shadows.updateDesired('gw-5001', { intervalS: 300 });
    expect(accepted).toMatchObject({ state: { desired: { intervalS: 300 } }, version: 2 });
    expect(await device.take('update/delta')).toEqual({
      state: { intervalS: 300 },
      metadata: { intervalS: { timestamp: expect.any(Number) } },
      version: 2,
      timestamp: expect.any(Number),
    });
    expect(await device.take('update/documents')).toMatchObject({
      previous: { state: { reported: { intervalS: 60, fw: '1.0.0' } }, version: 1 },
      current: {
        state: { desired: { intervalS: 300 }, reported: { intervalS: 60, fw: '1.0.0' } },
        version: 2,
      },
    });
    await device.take('update/accepted');
    expect(await shadows.getShadow('gw-5001')).toMatchObject({
      state: { delta: { intervalS: 300 } },
      version: 2,
    });

    // The gateway applies it and reports, with the version it saw (contract C9).
    await device.request('update', {
      state: { reported: { intervalS: 300 } },
      version: 2,
      clientToken: 'r2',
    });
    expect(await device.take('update/accepted')).toMatchObject({ version: 3, clientToken: 'r2' });
    await device.take('update/documents');
    await device.request('get', { clientToken: 'g1' });
    const document = await device.take('get/accepted');
    expect(document).toMatchObject({
      state: { desired: { intervalS: 300 }, reported: { intervalS: 300, fw: '1.0.0' } },
      version: 3,
      clientToken: 'g1',
    });
    expect(document.state).not.toHaveProperty('delta');
    expect(device.topics()).toEqual([]);
  });

  it('rejects an update with a stale version with 409 and stores nothing', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5002');
    const device = await ShadowDevice.open(broker, gw);
    await device.request('update', { state: { reported: { a: 1 } } });
    await device.take('update/accepted');
    await shadows.updateDesired('gw-5002', { a: 2 });
    await device.request('update', {
      state: { reported: { a: 2 } },
      version: 1,
      clientToken: 'v1',
    });
    expect(await device.take('update/rejected')).toEqual({
      code: 409,
      message: 'Version conflict',
      timestamp: expect.any(Number),
      clientToken: 'v1',
    });
    expect((await store.get('gw-5002', null))?.version).toBe(2);
    await expect(
      shadows.updateDesired('gw-5002', { a: 3 }, undefined, { version: 1 }),
    ).rejects.toMatchObject({
      name: 'DomainError',
      code: 'CONFLICT',
      details: { shadowCode: 409 },
    });
  });

  it('serves the named shadow zw-config the same way, apart from the classic one', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5003');
    const device = await ShadowDevice.open(broker, gw, 'zw-config');
    await device.request('get');
    expect(await device.take('get/rejected')).toMatchObject({
      code: 404,
      message: "No shadow exists with name: 'gw-5003~zw-config'",
    });
    await device.request('update', { state: { reported: { batch: 50 } } });
    expect(await device.take('update/accepted')).toMatchObject({ version: 1 });
    await shadows.updateDesired('gw-5003', { batch: 100, logLevel: 'info' }, 'zw-config');
    expect(await device.take('update/delta')).toMatchObject({
      state: { batch: 100, logLevel: 'info' },
      version: 2,
    });
    expect(await device.take('update/accepted')).toMatchObject({ version: 2 });
    await device.request('update', { state: { reported: { batch: 100, logLevel: 'info' } } });
    expect(await device.take('update/accepted')).toMatchObject({ version: 3 });
    expect(await shadows.getShadow('gw-5003', 'zw-config')).not.toHaveProperty('state.delta');
    expect(await shadows.getShadow('gw-5003')).toBeNull();
    expect(await store.listNamedShadows('acme', 'gw-5003')).toEqual(['zw-config']);
  });

  it("keeps another gateway out of this gateway's shadow (policy)", async () => {
    const owner = await provisionGateway(ca, registry, 'gw-5004');
    const intruder = await provisionGateway(ca, registry, 'gw-5005');
    const device = await ShadowDevice.open(broker, owner);
    await device.request('update', { state: { reported: { secret: 1 } } });
    await device.take('update/accepted');
    await device.take('update/documents');

    const other = await connectOrThrow(broker, intruder, { clientId: 'gw-5005' });
    // Cannot subscribe to the responses...
    expect(
      await subscribeGranted(other, { '$aws/things/gw-5004/shadow/get/accepted': { qos: 1 } }),
    ).toEqual([128]);
    // ...and a get or update on its topics closes the connection before the service sees it.
    const closed = closedBy(other);
    other.publish('$aws/things/gw-5004/shadow/update', '{"state":{"desired":{"secret":2}}}', {
      qos: 1,
    });
    await closed;
    expect(events.map((e) => `${e.outcome}:${e.code}`)).toEqual([
      'suback-failure:NOT_AUTHORIZED',
      'disconnected:NOT_AUTHORIZED',
    ]);
    expect(await shadows.getShadow('gw-5004')).toMatchObject({
      state: { reported: { secret: 1 } },
      version: 1,
    });
    expect(device.topics()).toEqual([]);
  });

  it('rejects an update that would make the state larger than 8 KB with 413', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5006');
    const device = await ShadowDevice.open(broker, gw);
    await device.request('update', {
      state: { reported: { blob: 'x'.repeat(8 * 1024) } },
      clientToken: 'big',
    });
    expect(await device.take('update/rejected')).toEqual({
      code: 413,
      message: 'The payload exceeds the maximum size allowed',
      timestamp: expect.any(Number),
      clientToken: 'big',
    });
    expect(await store.get('gw-5006', null)).toBeNull();
    await expect(
      shadows.updateDesired('gw-5006', { blob: 'x'.repeat(8 * 1024) }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('rejects invalid JSON with 400 and keeps the connection', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5007');
    const device = await ShadowDevice.open(broker, gw);
    await device.request('update', undefined);
    expect(await device.take('update/rejected')).toMatchObject({
      code: 400,
      message: 'Invalid JSON',
    });
    expect(device.client.connected).toBe(true);
  });

  it('deletes a shadow; a new one continues its version', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5008');
    const device = await ShadowDevice.open(broker, gw);
    await device.request('update', { state: { reported: { a: 1 } } });
    await device.take('update/accepted');
    await device.request('delete', { clientToken: 'd1' });
    expect(await device.take('delete/accepted')).toEqual({
      version: 1,
      timestamp: expect.any(Number),
      clientToken: 'd1',
    });
    await device.request('get');
    expect(await device.take('get/rejected')).toMatchObject({ code: 404 });
    await device.request('delete');
    expect(await device.take('delete/rejected')).toMatchObject({ code: 404 });
    await device.request('update', { state: { reported: { a: 2 } } });
    expect(await device.take('update/accepted')).toMatchObject({ version: 2 });
  });

  it('loses neither of two concurrent unversioned updates (conditional write, then retry)', async () => {
    await provisionGateway(ca, registry, 'gw-5010');
    let conflicts = 0;
    const put = store.put.bind(store);
    store.put = (record, expected) =>
      put(record, expected).catch((error: unknown) => {
        conflicts += 1;
        throw error;
      });
    await Promise.all([
      shadows.updateDesired('gw-5010', { a: 1 }),
      shadows.updateDesired('gw-5010', { b: 2 }),
      shadows.updateDesired('gw-5010', { c: 3 }),
    ]);
    expect(await shadows.getShadow('gw-5010')).toMatchObject({
      state: { desired: { a: 1, b: 2, c: 3 } },
      version: 3,
    });
    // The writers did collide: the conditional write refused, and they read again.
    expect(conflicts).toBeGreaterThan(0);
  });

  it('answers 500 when the store fails, and the broker keeps the connection', async () => {
    const gw = await provisionGateway(ca, registry, 'gw-5011');
    const device = await ShadowDevice.open(broker, gw);
    store.get = () => Promise.reject(new Error('table unavailable'));
    await device.request('get', { clientToken: 'g5' });
    expect(await device.take('get/rejected')).toMatchObject({
      code: 500,
      message: 'Internal service failure',
      clientToken: 'g5',
    });
    expect(device.client.connected).toBe(true);
  });

  it('sets desired while the gateway is offline; the server API knows owners and names', async () => {
    await provisionGateway(ca, registry, 'gw-5009');
    expect(await shadows.getShadow('gw-5009')).toBeNull();
    await shadows.updateDesired('gw-5009', { intervalS: 120 });
    expect(await shadows.getShadow('gw-5009')).toMatchObject({
      state: { desired: { intervalS: 120 }, delta: { intervalS: 120 } },
      version: 1,
    });
    expect((await store.get('gw-5009', null))?.partnerId).toBe('acme');
    await expect(shadows.updateDesired('gw-none', { a: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(shadows.getShadow('gw-5009', 'bad/name')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await shadows.deleteShadow('gw-5009')).toMatchObject({ version: 1 });
    await expect(shadows.deleteShadow('gw-5009')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('broker hook onServiceMessage', { timeout: 15_000 }, () => {
  it('reports a failing handler, acknowledges the publish and keeps the connection', async () => {
    const ca = await loadOrCreateCertificateAuthority();
    const registry = createMemoryIotRegistry();
    const events: BrokerEvent[] = [];
    const seen: string[] = [];
    const broker = await startLocalBroker({
      registry,
      ca,
      port: 0,
      onServiceMessage: (message) => {
        seen.push(`${message.thingName} ${message.topic} ${message.payload.toString()}`);
        throw new Error('service down');
      },
      onEvent: (event) => events.push(event),
    });
    try {
      const gw = await provisionGateway(ca, registry, 'gw-5100');
      const client = await connectOrThrow(broker, gw, { clientId: 'gw-5100' });
      await client.publishAsync('$aws/things/gw-5100/shadow/get', '{}', { qos: 1 });
      expect(seen).toEqual(['gw-5100 $aws/things/gw-5100/shadow/get {}']);
      expect(events.map((e) => `${e.outcome}:${e.code}`)).toEqual([
        'dropped:SERVICE_HANDLER_FAILED',
      ]);
      expect(client.connected).toBe(true);
    } finally {
      await endAllClients();
      await broker.close();
    }
  });
});
