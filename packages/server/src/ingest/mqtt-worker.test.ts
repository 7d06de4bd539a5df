import { topics } from '@zaehlwerk/firmware-contract';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TelegramBatchDelivery } from '../domain/ports.js';
import type { IotRegistry } from '../iot/iot-registry.js';
import { createMemoryIotRegistry } from '../iot/memory-iot-registry.js';
import {
  connectOrThrow,
  endAllClients,
  provisionGateway,
  closedBy,
} from '../iot/local/broker/broker-test-kit.js';
import type { BrokerEvent, LocalBroker } from '../iot/local/broker/index.js';
import { registerIngestWorker } from '../iot/local/ingest-worker-credentials.js';
import { startLocalIotCore } from '../iot/local/local-iot-core.js';
import {
  loadOrCreateCertificateAuthority,
  type CertificateAuthority,
} from '../iot/local/pki/index.js';
import { createContractGate } from './contract-gate.js';
import { createMqttIngestWorker, type MqttIngestWorker } from './mqtt-worker.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A promise settled from outside. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe(
  'the MQTT ingest worker over the emulator with the republish action',
  { timeout: 30_000 },
  () => {
    let ca: CertificateAuthority;
    let registry: IotRegistry;
    let broker: LocalBroker;
    let events: BrokerEvent[];
    let gateway: MqttClient;
    const workers: MqttIngestWorker[] = [];

    beforeAll(async () => {
      ca = await loadOrCreateCertificateAuthority();
    });

    beforeEach(async () => {
      registry = createMemoryIotRegistry();
      events = [];
      ({ broker } = await startLocalIotCore({
        registry,
        ca,
        port: 0,
        host: '127.0.0.1',
        ruleAction: 'republish',
        republishTimeoutMs: 2000,
        onEvent: (event) => events.push(event),
      }));
      const identity = await provisionGateway(ca, registry, 'gw-0001');
      gateway = await connectOrThrow(broker, identity, { clientId: 'gw-0001' });
    });

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop(1000)));
      await endAllClients();
      await broker.close();
    });

    async function startWorker(
      handle: (delivery: TelegramBatchDelivery) => Promise<void>,
      options: { name?: string; sessions?: number } = {},
    ): Promise<MqttIngestWorker> {
      const identity = await registerIngestWorker(ca, registry, { name: options.name ?? 'test' });
      const worker = createMqttIngestWorker({
        url: `mqtts://127.0.0.1:${broker.port}`,
        servername: 'localhost',
        caPem: broker.caCertificatePem,
        certPem: identity.certificatePem,
        keyPem: identity.privateKeyPem,
        clientId: identity.clientId,
        reconnectPeriodMs: 100,
        handle,
        log: quiet,
        ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
      });
      workers.push(worker);
      await worker.start();
      return worker;
    }

    const publishBatch = (payload: string) =>
      gateway.publishAsync(topics.telegrams('gw-0001'), payload, { qos: 1 });

    it("hands the batch over unchanged and lets the gateway's PUBACK wait for the stored batch", async () => {
      const deliveries: TelegramBatchDelivery[] = [];
      const stored = deferred();
      const worker = await startWorker(async (delivery) => {
        deliveries.push(delivery);
        await stored.promise;
      });
      let acknowledged = false;
      const publishing = publishBatch('{"the":"batch"}').then(() => (acknowledged = true));
      await until('the delivery', () => deliveries.length === 1);
      expect(deliveries[0]).toMatchObject({
        thingName: 'gw-0001',
        topic: 'zw/v1/gw/gw-0001/telegrams',
      });
      expect(Buffer.from(deliveries[0]!.payload).toString()).toBe('{"the":"batch"}');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(acknowledged).toBe(false);
      stored.resolve();
      await publishing;
      expect(worker.stats()).toMatchObject({ acknowledged: 1, failed: 0, inFlight: 0 });
    });

    it('never acknowledges a batch whose storing failed: it comes again', async () => {
      let calls = 0;
      const worker = await startWorker(async () => {
        calls += 1;
        if (calls === 1) throw new Error('table throttled');
      });
      await publishBatch('{"n":1}');
      expect(calls).toBe(2);
      expect(worker.stats()).toMatchObject({ acknowledged: 1, failed: 1 });
    });

    it('works on as many batches at once as it has sessions', async () => {
      const release = deferred();
      let inHand = 0;
      const worker = await startWorker(
        async () => {
          inHand += 1;
          await release.promise;
        },
        { sessions: 2 },
      );
      expect(broker.connectedClientIds()).toEqual(
        expect.arrayContaining(['zw-ingest-test-1', 'zw-ingest-test-2']),
      );
      const publishing = [publishBatch('{"n":1}'), publishBatch('{"n":2}')];
      await until('both batches in hand', () => inHand === 2);
      expect(worker.stats().inFlight).toBe(2);
      release.resolve();
      await Promise.all(publishing);
    });

    it("answers a batch that breaks the contract on the gateway's errors topic", async () => {
      const errors: unknown[] = [];
      gateway.on('message', (topic, payload) => {
        if (topic === topics.errors('gw-0001')) errors.push(JSON.parse(payload.toString()));
      });
      await gateway.subscribeAsync(topics.errors('gw-0001'), { qos: 1 });
      let onBatch = 0;
      // The gate answers through the worker it is handed batches by.
      const started: { worker?: MqttIngestWorker } = {};
      const gate = createContractGate({
        publish: (topic, payload) => started.worker!.publish(topic, payload),
        onBatch: async () => {
          onBatch += 1;
        },
        log: { warn: () => undefined, debug: () => undefined },
      });
      started.worker = await startWorker((delivery) => gate.handle(delivery));
      await publishBatch('not json');
      await until('the error response', () => errors.length === 1);
      expect(errors[0]).toMatchObject({ code: 'INVALID_JSON', retry: false });
      expect(onBatch).toBe(0);
    });

    it('finishes the batch in hand when stopped, and leaves the rest with the broker', async () => {
      const release = deferred();
      const handled: string[] = [];
      const worker = await startWorker(async (delivery) => {
        handled.push(Buffer.from(delivery.payload).toString());
        await release.promise;
      });
      const first = publishBatch('{"n":1}');
      await until('the first batch in hand', () => handled.length === 1);
      const stopping = worker.stop();
      release.resolve();
      await stopping;
      await first;
      expect(handled).toEqual(['{"n":1}']);
      // The next batch waits in the worker's persistent session, for the next start.
      const second = publishBatch('{"n":2}');
      await until('the second batch queued', () => broker.sharedSubscriptions()[0]?.queued === 1);
      const next: string[] = [];
      await startWorker(async (delivery) => {
        next.push(Buffer.from(delivery.payload).toString());
      });
      await second;
      expect(next).toEqual(['{"n":2}']);
    });

    it("closes the gateway's connection without PUBACK when no worker takes the batch", async () => {
      let acknowledged = false;
      void publishBatch('{"n":1}').then(
        () => (acknowledged = true),
        () => undefined,
      );
      await closedBy(gateway, 5000);
      expect(acknowledged).toBe(false);
      expect(events.map((e) => `${e.outcome}:${e.code}`)).toContain(
        'disconnected:RULE_HANDLER_FAILED',
      );
    });
  },
);
