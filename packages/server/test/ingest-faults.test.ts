import type { TelegramBatch } from '@zaehlwerk/firmware-contract';
import { createFleet, createSimulator } from '@zaehlwerk/firmware-contract/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo, type DemoCredentials } from '../src/demo/seed.js';
import { createPlatformIngest } from '../src/ingest/platform-ingest.js';
import { createPlatformServices } from '../src/platform-services.js';
import { createBatchWriter } from '../src/store/batch-writer.js';
import { createDynamoClients, type DynamoClients } from '../src/store/dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../src/store/embedded-dynamodb.js';
import { ensureTable } from '../src/store/table.js';
import { startThrottlingProxy, type ThrottlingProxy } from './ports/throttling-proxy.js';
import { seededRandom as seeded } from './seeded-random.js';

const FLEET = { count: 8, seed: 3 };
const TABLE = 'ingest-faults';
const GATEWAY = 'sim-gw-0001';
const WIDE_OPEN = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };

describe('ingest under DynamoDB throttling (a proxy answering ProvisionedThroughputExceeded)', () => {
  let db: EmbeddedDynamo;
  let proxy: ThrottlingProxy;
  let dynamo: DynamoClients;
  let demo: DemoCredentials;
  let services: Awaited<ReturnType<typeof createPlatformServices>>;
  const batches: TelegramBatch[] = [];

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    proxy = await startThrottlingProxy({ upstream: db.endpoint, random: seeded(11) });
    // One attempt per SDK call: every fault reaches our own retries (batch writer) or the
    // gateway's resend (a batch whose handler failed is not acknowledged).
    dynamo = createDynamoClients({
      region: 'eu-central-1',
      endpoint: proxy.endpoint,
      localCredentials: true,
      maxAttempts: 1,
    });
    await ensureTable(dynamo.client, TABLE);
    services = await createPlatformServices({
      doc: dynamo.doc,
      tableName: TABLE,
      issuer: 'urn:zaehlwerk:faults',
      region: 'eu-central-1',
    });
    demo = await seedDemo({
      stores: services.stores,
      apiKeys: services.apiKeys,
      vault: services.vault,
      meterKeys: services.meterKeys,
      fleet: createFleet(FLEET),
    });
    const simulator = createSimulator({
      thingName: GATEWAY,
      fleet: FLEET,
      transport: { kind: 'offline' },
      framesPerSecond: 2,
      uploadIntervalS: 10,
      onCapture: (line) => {
        if (line.topic.endsWith('/telegrams')) batches.push(line.payload as TelegramBatch);
      },
    });
    await simulator.run({ batches: 6 });
  }, 90_000);

  afterAll(async () => {
    dynamo?.client.destroy();
    await proxy?.close();
    await db?.close();
  });

  it('stores every telegram exactly once although writes and reads are refused again and again', async () => {
    const { pipeline, store } = createPlatformIngest({
      doc: dynamo.doc,
      tableName: TABLE,
      stores: services.stores,
      meterKeys: services.meterKeys,
      vault: services.vault,
      gatewayOwner: async () => ({
        partnerId: demo.ids.demoPartnerId,
        organisationId: demo.ids.demoOperatorOrganisationId,
      }),
      log: { warn: () => undefined, debug: () => undefined },
      batchWriter: createBatchWriter({
        doc: dynamo.doc,
        tableName: TABLE,
        baseDelayMs: 1,
        maxDelayMs: 5,
        random: seeded(5),
      }),
    });
    proxy.fail({ operation: 'PutItem', fraction: 0.3 });
    proxy.fail({ operation: 'BatchGetItem', fraction: 0.2 });
    proxy.fail({ operation: 'BatchWriteItem', fraction: 0.3 });
    proxy.fail({ operation: 'GetItem', fraction: 0.1 });
    proxy.partialBatches({ fraction: 0.5 });

    let resends = 0;
    for (const batch of batches) {
      const delivery = {
        thingName: GATEWAY,
        topic: `$aws/rules/zw_ingest/zw/v1/gw/${GATEWAY}/telegrams`,
        payload: new TextEncoder().encode(JSON.stringify(batch)),
        receivedAt: batch.sentAt,
      };
      // The gateway sends a batch again until it is acknowledged (QoS 1, clause 7).
      for (let attempt = 1; ; attempt += 1) {
        try {
          await pipeline.handle(batch, delivery);
          break;
        } catch {
          resends += 1;
          if (attempt > 60) throw new Error('the batch was never stored');
        }
      }
    }
    const faults = proxy.counters();
    proxy.clearRules();
    proxy.partialBatches(null);

    expect(faults.throttled).toBeGreaterThan(10);
    expect(faults.itemsHeldBack).toBeGreaterThan(0);
    expect(resends).toBeGreaterThan(0);

    const frames = batches.flatMap((b) => b.frames);
    const stored: string[] = [];
    for (const meterId of demo.ids.meterIds) {
      const page = await store.listReadings(demo.ids.demoPartnerId, meterId, WIDE_OPEN, {
        limit: 100,
      });
      stored.push(...page.items.map((r) => r.digest));
    }
    expect(stored).toHaveLength(frames.length);
    expect(new Set(stored).size).toBe(frames.length);
    const outcomes = pipeline.stats().outcomes;
    expect(outcomes.undecryptable + outcomes.malformed + outcomes.replay).toBe(0);
  }, 120_000);
});
