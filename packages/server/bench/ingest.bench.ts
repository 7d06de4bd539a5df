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
// BENCH_CONCURRENCY (default 8).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelegramBatch } from '@zaehlwerk/firmware-contract';
import { createFleet } from '@zaehlwerk/firmware-contract/simulator';
import { makeGatewayKeyAndCsr } from '../src/demo/gateway-key.js';
import { seedDemo } from '../src/demo/seed.js';
import { createContractGate } from '../src/ingest/contract-gate.js';
import { createPlatformIngest, registryGatewayOwner } from '../src/ingest/platform-ingest.js';
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

const TELEGRAMS = Number(process.env.BENCH_TELEGRAMS ?? 3000);
const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 8);
const METERS = Number(process.env.BENCH_METERS ?? 1600);
/** Meters of one batch the pipeline works on at once. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
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
      `dynalite in processes of their own)`,
  );
  const loaded = await runGateways(gateways);
  await finished;
  loaded.send({ stop: true });
  await loaded.next();
  // Batches the broker had already handed over are still being stored: let them finish, so that
  // neither the latency phase nor the storage measurement shares dynalite with them.
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 100));

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
