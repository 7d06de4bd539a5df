// `npm run bench:ingest`: simulated gateways publish telegrams over mutual TLS through the local
// IoT Core emulator into the ingest pipeline and dynalite; then, on the same endpoint, the raw
// BatchWriteItem rate. Prints telegrams/s end to end, latency publish → stored, and the ratio.
//
// The gateways and dynalite run in child processes of their own: in production they are devices
// and a managed service, not the platform's CPU. This process holds what the platform runs: the
// emulator's broker (IoT Core's part, which its rule delivers from in-process), the contract gate
// and the pipeline.
//
// Environment: BENCH_TELEGRAMS (default 3000), BENCH_GATEWAYS (default 8), BENCH_METERS (default 1600),
// BENCH_CONCURRENCY (default 8), BENCH_HISTORY (default 64: frames each meter's replay guard
// remembers at the start; a meter that has run for a few hours remembers its bound, and a bench
// that starts from empty streams would write smaller items than a running platform does).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelegramBatch } from '@zaehlwerk/firmware-contract';
import { createFleet } from '@zaehlwerk/firmware-contract/simulator';
import { makeGatewayKeyAndCsr } from '../src/demo/gateway-key.js';
import { seedDemo } from '../src/demo/seed.js';
import { createContractGate } from '../src/ingest/contract-gate.js';
import { createPlatformIngest, registryGatewayOwner } from '../src/ingest/platform-ingest.js';
import { MAX_RECENT } from '../src/ingest/replay-guard.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { meterStreamKey } from '../src/store/keys.js';
import { fromShadowService, startLocalIotCore } from '../src/iot/local/local-iot-core.js';
import { loadOrCreateCertificateAuthority } from '../src/iot/local/pki/certificate-authority.js';
import { createShadowService } from '../src/iot/local/shadow/index.js';
import { createPlatformServices } from '../src/platform-services.js';
import { createDynamoClients } from '../src/store/dynamodb-client.js';
import { createDynamoIotRegistry } from '../src/store/dynamodb-iot-registry.js';
import { createDynamoShadowStore } from '../src/store/dynamodb-shadow-store.js';
import { measureBatchWriteThroughput } from '../src/store/measure-batch-write.js';
import { ensureTable } from '../src/store/table.js';
import { startBenchChild } from './bench-child.js';
import type { GatewaysInput } from './gateways-child.js';
import { countCalls, measureWritePattern } from './write-pattern.js';

const TELEGRAMS = Number(process.env.BENCH_TELEGRAMS ?? 3000);
const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 8);
const METERS = Number(process.env.BENCH_METERS ?? 1600);
/** Meters of one batch the pipeline works on at once. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const HISTORY = Number(process.env.BENCH_HISTORY ?? MAX_RECENT);
const TABLE = 'bench-ingest';
/** Phase 2: one gateway at a rate the pipeline keeps up with, for latency without a backlog. */
const LATENCY_METERS = 20;
const LATENCY_RUN_MS = 30_000;
const LATENCY_GATEWAY = 'bench-gw-latency';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const dir = await mkdtemp(join(tmpdir(), 'zw-bench-'));
const dynalite = startBenchChild<{ endpoint: string }>(
  new URL('./dynalite-child.ts', import.meta.url),
  {},
);
const embedded = await dynalite.next();
const dynamo = createDynamoClients({
  region: 'eu-central-1',
  endpoint: embedded.endpoint,
  localCredentials: true,
});
const gatewayRuns: Array<ReturnType<typeof startBenchChild>> = [];
let closeBroker: (() => Promise<void>) | undefined;
try {
  await ensureTable(dynamo.client, TABLE);
  const services = await createPlatformServices({
    doc: dynamo.doc,
    tableName: TABLE,
    issuer: 'urn:zaehlwerk:bench',
    region: 'eu-central-1',
  });
  // The last meters are the latency gateway's own: fresh meters, so none of its frames is a copy.
  const FLEET = { count: METERS + LATENCY_METERS, seed: 7 };
  const fleet = createFleet(FLEET);
  const demo = await seedDemo({
    stores: services.stores,
    apiKeys: services.apiKeys,
    vault: services.vault,
    meterKeys: services.meterKeys,
    fleet,
  });

  // Steady state: every meter's guard already remembers HISTORY frames of the hours before.
  const seeding = createDynamoIngestStore({ doc: dynamo.doc, tableName: TABLE });
  const historyStart = Date.now() - 24 * 3600 * 1000;
  for (const [m, meterId] of demo.ids.meterIds.entries()) {
    await seeding.saveStream({
      partnerId: demo.ids.demoPartnerId,
      meterId,
      version: 0,
      guard: {
        recent: Array.from({ length: HISTORY }, (_, i) => ({
          digest: Buffer.from(`bench history ${m} ${i}`).toString('base64url').slice(-22),
          at: new Date(historyStart + i * 180_000).toISOString(),
        })),
      },
      decoder: { formats: {} },
      radio: {},
    });
  }

  const ca = await loadOrCreateCertificateAuthority({ dir: join(dir, 'pki') });
  const registry = createDynamoIotRegistry({ doc: dynamo.doc, tableName: TABLE });
  const { broker, iot } = await startLocalIotCore({
    registry,
    ca,
    shadows: (publish) =>
      fromShadowService(
        createShadowService({
          store: createDynamoShadowStore({ doc: dynamo.doc, tableName: TABLE }),
          registry,
          publish,
        }),
      ),
    port: 0,
    host: '127.0.0.1',
    hostnames: ['localhost'],
  });
  closeBroker = () => broker.close();

  // Per batch, when it was stored: the latency of each frame is from the batch's sentAt.
  const saturated: number[] = [];
  const latencies: number[] = [];
  let stored = 0;
  let inFlight = 0;
  const counter = countCalls(dynamo.client);
  let firstSentAt = Number.POSITIVE_INFINITY;
  let lastStoredAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const { pipeline } = createPlatformIngest({
    doc: dynamo.doc,
    tableName: TABLE,
    stores: services.stores,
    meterKeys: services.meterKeys,
    vault: services.vault,
    concurrency: CONCURRENCY,
    gatewayOwner: registryGatewayOwner(registry),
    log: { warn: (fields, message) => console.warn(message, fields), debug: () => undefined },
  });
  const gate = createContractGate({
    publish: (topic, payload) => iot.publish(topic, payload),
    onBatch: async (batch: TelegramBatch, delivery) => {
      inFlight += 1;
      let result;
      try {
        result = await pipeline.handle(batch, delivery);
      } finally {
        inFlight -= 1;
      }
      const now = Date.now();
      const sentAt = Date.parse(batch.sentAt);
      const sample = delivery.thingName === LATENCY_GATEWAY ? latencies : saturated;
      for (let i = 0; i < batch.frames.length; i++) sample.push(now - sentAt);
      if (delivery.thingName === LATENCY_GATEWAY) return;
      firstSentAt = Math.min(firstSentAt, sentAt);
      lastStoredAt = Math.max(lastStoredAt, now);
      stored += result.outcomes.stored + result.outcomes.duplicate;
      if (stored >= TELEGRAMS) done();
    },
    log: { warn: (fields, message) => console.warn(message, fields), debug: () => undefined },
  });
  iot.onTelegramBatch(gate.handle);

  async function gatewayOf(
    thingName: string,
    meters: [number, number],
    framesPerSecond: number,
    seed: number,
  ): Promise<GatewaysInput['gateways'][number]> {
    const { csrPem, privateKeyPem } = await makeGatewayKeyAndCsr(thingName);
    const thing = await iot.registerGateway({
      thingName,
      partnerId: demo.ids.demoPartnerId,
      organisationId: demo.ids.demoOperatorOrganisationId,
      csrPem,
    });
    return {
      thingName,
      certPem: thing.certificates[0]!.certificatePem!,
      keyPem: privateKeyPem,
      meters,
      framesPerSecond,
      seed,
    };
  }
  /** The gateways, in a child process of their own; resolves once they run. */
  async function runGateways(
    gateways: GatewaysInput['gateways'],
    durationMs?: number,
  ): Promise<ReturnType<typeof startBenchChild>> {
    const input: GatewaysInput = {
      brokerUrl: `mqtts://127.0.0.1:${broker.port}`,
      caPem: ca.caCertificatePem,
      fleet: FLEET,
      uploadIntervalS: 5,
      gateways,
      ...(durationMs === undefined ? {} : { durationMs }),
    };
    const child = startBenchChild(new URL('./gateways-child.ts', import.meta.url), input);
    gatewayRuns.push(child);
    await child.next();
    return child;
  }

  const perGateway = Math.ceil(METERS / GATEWAYS);
  const gateways: GatewaysInput['gateways'] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    gateways.push(
      await gatewayOf(
        `bench-gw-${String(g + 1).padStart(3, '0')}`,
        [g * perGateway, Math.min(METERS, (g + 1) * perGateway)],
        // Batches go out at most once a second with at most 100 frames (contract 5.3, 4.4), and
        // a meter sends at most every 2 s: 200 meters keep a gateway at its limit.
        Math.min(100, perGateway / 2),
        g + 1,
      ),
    );
  }
  const light = await gatewayOf(
    LATENCY_GATEWAY,
    [METERS, METERS + LATENCY_METERS],
    LATENCY_METERS / 2,
    99,
  );

  console.log(
    `ingest bench: ${TELEGRAMS} telegrams from ${GATEWAYS} gateways and ${METERS} meters ` +
      `through the emulator into dynalite (${process.version}, ${process.platform}; gateways and ` +
      `dynalite in processes of their own; ${HISTORY} remembered frames per meter at the start)`,
  );
  // Calls of the set-up (seeding, registration) are not the ingest's.
  counter.reset();
  const loaded = await runGateways(gateways);
  await finished;
  loaded.send({ stop: true });
  await loaded.next();
  // Batches the broker had already handed over are still being stored: let them finish, so that
  // neither the latency phase nor the storage measurement shares dynalite with them.
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  // The saturated phase's calls over every frame it handled (the gateways overshoot TELEGRAMS).
  const calls = counter.calls();
  const callItems = counter.batchedItems();
  const { frames: callFrames, batches: callBatches } = pipeline.stats();

  // Phase 2: a light load (10 telegrams/s) on the now idle pipeline.
  const lightRun = await runGateways([light], LATENCY_RUN_MS);
  await lightRun.next();

  const seconds = (lastStoredAt - firstSentAt) / 1000;
  const rate = stored / seconds;
  latencies.sort((a, b) => a - b);
  saturated.sort((a, b) => a - b);
  const stats = pipeline.stats();
  console.log(
    `  stored ${stats.outcomes.stored}, duplicates ${stats.outcomes.duplicate}, ` +
      `rejected ${stats.outcomes.undecryptable + stats.outcomes.malformed + stats.outcomes.replay}, ` +
      `unregistered ${stats.outcomes.unregistered}, stream conflicts ${stats.streamConflicts}`,
  );
  console.log(
    `  latency publish → stored at ${LATENCY_METERS / 2} telegrams/s (${latencies.length} ` +
      `telegrams): median ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
  );
  console.log(
    `  latency while saturated (queueing included): median ${percentile(saturated, 50)} ms, ` +
      `p99 ${percentile(saturated, 99)} ms`,
  );
  const storage = await measureBatchWriteThroughput({
    doc: dynamo.doc,
    tableName: TABLE,
    items: Math.max(20_000, TELEGRAMS),
  });
  const per = (name: string) => (calls[name] ?? 0) / callFrames;
  const puts = per('PutItemCommand') + per('UpdateItemCommand');
  const batchedItems = callItems / callFrames;
  console.log(
    `  DynamoDB calls per telegram while saturated: PutItem ${per('PutItemCommand').toFixed(2)}, ` +
      `UpdateItem ${per('UpdateItemCommand').toFixed(2)}, GetItem ${per('GetItemCommand').toFixed(2)}, ` +
      `BatchGetItem ${per('BatchGetItemCommand').toFixed(2)}, BatchWriteItem ` +
      `${per('BatchWriteItemCommand').toFixed(2)} (${batchedItems.toFixed(1)} items)`,
  );
  // The streams as the saturated phase left them, by DynamoDB's count of names and values.
  let streamBytes = 0;
  const sampled = demo.ids.meterIds.slice(0, 50);
  for (const meterId of sampled) {
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: TABLE, Key: meterStreamKey(demo.ids.demoPartnerId, meterId) }),
    );
    streamBytes += Buffer.byteLength(JSON.stringify(Item ?? {}));
  }
  const streamItemBytes = Math.round(streamBytes / sampled.length);
  console.log(`  a meter's stream item: about ${streamItemBytes} bytes`);
  // The same calls without the pipeline: what this data model allows on this endpoint.
  const writesAlone = await measureWritePattern({
    doc: dynamo.doc,
    tableName: TABLE,
    telegrams: TELEGRAMS,
    conditionalPutsPerTelegram: puts,
    batchedItemsPerTelegram: batchedItems,
    batchSize: Math.max(1, Math.round(callFrames / Math.max(1, callBatches))),
    batches: GATEWAYS,
    concurrency: CONCURRENCY,
    putItemBytes: streamItemBytes,
  });
  console.log(
    `  the same writes without the pipeline: ${writesAlone.toFixed(0)} telegrams/s ` +
      `(the pipeline reaches ${((rate / writesAlone) * 100).toFixed(0)}% of it)`,
  );
  console.log(`  raw BatchWriteItem: ${storage.items} items in ${storage.seconds.toFixed(2)} s`);
  console.log(
    `ingest: ${rate.toFixed(0)} telegrams/s end to end, storage ${storage.itemsPerSecond.toFixed(0)} ` +
      `items/s, ratio ${(rate / storage.itemsPerSecond).toFixed(2)}`,
  );
} finally {
  for (const run of gatewayRuns) run.kill();
  await closeBroker?.();
  dynamo.client.destroy();
  dynalite.send({ stop: true });
  await dynalite.exited;
  await rm(dir, { recursive: true, force: true });
}
