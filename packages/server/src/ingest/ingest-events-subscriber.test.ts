import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IotRegistry } from '../iot/iot-registry.js';
import { INGEST_EVENTS_TOPIC } from '../iot/ingest-republish.js';
import { createMemoryIotRegistry } from '../iot/memory-iot-registry.js';
import {
  connectOrThrow,
  endAllClients,
  provisionGateway,
} from '../iot/local/broker/broker-test-kit.js';
import type { LocalBroker } from '../iot/local/broker/index.js';
import { registerIngestWorker } from '../iot/local/ingest-worker-credentials.js';
import { startLocalIotCore } from '../iot/local/local-iot-core.js';
import {
  loadOrCreateCertificateAuthority,
  type CertificateAuthority,
} from '../iot/local/pki/index.js';
import { encodeIngestEvents, type IngestEvents } from './ingest-events.js';
import {
  startIngestEventsSubscriber,
  type IngestEventsSubscriber,
} from './ingest-events-subscriber.js';
import type { Reading } from './ingest-store.js';

const quiet = { info: () => undefined, warn: () => undefined };

const reading = (digest: string): Reading => ({
  partnerId: 'p1',
  meterId: 'met_1',
  organisationId: 'org_1',
  propertyId: 'prop_1',
  kind: 'water-meter',
  at: '2026-11-25T01:00:00.000Z',
  digest,
  register: { value: 12.5, unit: 'm3' },
  values: {},
  status: null,
  accessNumber: 1,
  securityMode: 5,
  driver: null,
});

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the ingest events subscription over the emulator', { timeout: 30_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let broker: LocalBroker;
  let subscriber: IngestEventsSubscriber | undefined;

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });
  beforeEach(async () => {
    registry = createMemoryIotRegistry();
    ({ broker } = await startLocalIotCore({ registry, ca, port: 0, host: '127.0.0.1' }));
  });
  afterEach(async () => {
    await subscriber?.close();
    subscriber = undefined;
    await endAllClients();
    await broker.close();
  });

  async function worker(name: string) {
    const issued = await registerIngestWorker(ca, registry, { name });
    return {
      clientId: issued.clientId,
      identity: {
        certificatePem: issued.certificatePem,
        privateKeyPem: issued.privateKeyPem,
        certificateId: issued.certificateId,
      },
      connection: {
        url: `mqtts://127.0.0.1:${broker.port}`,
        servername: 'localhost',
        caPem: ca.caCertificatePem,
        certPem: issued.certificatePem,
        keyPem: issued.privateKeyPem,
      },
    };
  }

  it('hears what a worker publishes, and says when it is back after a break', async () => {
    const api = await worker('api');
    const heard: IngestEvents[] = [];
    let interruptions = 0;
    subscriber = await startIngestEventsSubscriber({
      ...api.connection,
      clientId: `${api.clientId}-events-1`,
      onEvents: (events) => heard.push(events),
      onInterrupted: () => (interruptions += 1),
      log: quiet,
      reconnectPeriodMs: 100,
    });

    const publisher = await worker('w1');
    let publishVia = await connectOrThrow(broker, publisher.identity, {
      clientId: publisher.clientId,
      reconnectPeriod: 0,
    });
    const publish = async (digest: string) => {
      for (const message of encodeIngestEvents({ readings: [reading(digest)] })) {
        await publishVia.publishAsync(INGEST_EVENTS_TOPIC, message, { qos: 1 });
      }
    };
    await publish('first');
    await until('the first event', () => heard.length === 1);
    expect(heard[0]!.readings.map((r) => r.digest)).toEqual(['first']);
    expect(interruptions).toBe(0);

    // The broker goes away and comes back on its port: the subscription returns, and says so.
    const port = broker.port;
    await broker.close();
    ({ broker } = await startLocalIotCore({ registry, ca, port, host: '127.0.0.1' }));
    await until('the subscription to be back', () => interruptions === 1);
    const again = await connectOrThrow(broker, publisher.identity, {
      clientId: publisher.clientId,
    });
    publishVia = again;
    await publish('second');
    await until('the second event', () => heard.length === 2);
    expect(heard[1]!.readings.map((r) => r.digest)).toEqual(['second']);
    expect(subscriber.stats()).toMatchObject({ messages: 2, interruptions: 1, connected: true });
  });

  it('drops what is not an events message, and keeps listening', async () => {
    const api = await worker('api2');
    const heard: IngestEvents[] = [];
    subscriber = await startIngestEventsSubscriber({
      ...api.connection,
      clientId: `${api.clientId}-events-1`,
      onEvents: (events) => heard.push(events),
      log: quiet,
    });
    const publisher = await worker('w2');
    const client = await connectOrThrow(broker, publisher.identity, {
      clientId: publisher.clientId,
    });
    await client.publishAsync(INGEST_EVENTS_TOPIC, 'not json', { qos: 1 });
    await client.publishAsync(
      INGEST_EVENTS_TOPIC,
      encodeIngestEvents({ readings: [reading('ok')] })[0]!,
      {
        qos: 1,
      },
    );
    await until('the good event', () => heard.length === 1);
    expect(subscriber.stats()).toMatchObject({ messages: 1, dropped: 1 });
  });

  it('is refused by the broker without a worker certificate', async () => {
    const gateway = await provisionGateway(ca, registry, 'gw-0001');
    await expect(
      startIngestEventsSubscriber({
        url: `mqtts://127.0.0.1:${broker.port}`,
        servername: 'localhost',
        caPem: ca.caCertificatePem,
        certPem: gateway.certificatePem,
        keyPem: gateway.privateKeyPem,
        clientId: 'gw-0001',
        onEvents: () => undefined,
        log: quiet,
        reconnectPeriodMs: 0,
      }),
    ).rejects.toThrow();
  });
});
