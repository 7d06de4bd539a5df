/**
 * The rig of the MQTT ingest fault tests: dynalite (the test's table), the
 * demo's meters and keys, the emulator's broker in this process with the
 * ingest rule's republish action, ingest workers as real child processes
 * (`zw-server ingest-worker` through tsx, the same CLI an operator runs: the
 * server is not built before its tests), and the reference gateway simulator
 * publishing over mutual TLS. What the gateway published is compared with
 * what the table holds, by frame digest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, expect } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  SHADOW_NAME,
  type CaptureLine,
  type TelegramBatch,
  type TelegramFrame,
} from '@zaehlwerk/firmware-contract';
import {
  createFleet,
  createSimulator,
  type Simulator,
  type VirtualMeter,
} from '@zaehlwerk/firmware-contract/simulator';
import { peekFrame } from '@zaehlwerk/wmbus';
import { makeGatewayKeyAndCsr } from '../src/demo/gateway-key.js';
import { seedDemo, type DemoCredentials } from '../src/demo/seed.js';
import { frameDigest } from '../src/ingest/frame-identity.js';
import type { IngestStore } from '../src/ingest/ingest-store.js';
import type { IotRegistry } from '../src/iot/iot-registry.js';
import type { LocalBroker } from '../src/iot/local/broker/index.js';
import { registerIngestWorker } from '../src/iot/local/ingest-worker-credentials.js';
import {
  fromShadowService,
  startLocalIotCore,
  type LocalIotCore,
} from '../src/iot/local/local-iot-core.js';
import {
  loadOrCreateCertificateAuthority,
  type CertificateAuthority,
} from '../src/iot/local/pki/index.js';
import { createShadowService } from '../src/iot/local/shadow/index.js';
import { createPlatformServices } from '../src/platform-services.js';
import { createDynamoIngestStore } from '../src/store/dynamodb-ingest-store.js';
import { createDynamoIotRegistry } from '../src/store/dynamodb-iot-registry.js';
import { createDynamoShadowStore } from '../src/store/dynamodb-shadow-store.js';
import { useDynaliteTable } from './ports/dynalite-table.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const WIDE_OPEN = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
export const THING = 'sim-gw-0001';

/** Polls until `check` holds; the deadline only turns a hang into a failure, it times nothing. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** For a describe block: a table of its own, and a rig on it per test, closed after it. */
export function useIngestRig(prefix: string): () => Promise<IngestRig> {
  const table = useDynaliteTable(prefix);
  let rig: IngestRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  return async () => {
    await rig?.close();
    rig = await startIngestRig({ table: table.table() });
    return rig;
  };
}

/**
 * The claim of issue 7: every telegram the gateway published is stored
 * exactly once. The gateway is stopped first and sends what it still holds,
 * so "published" is all it will ever send; then no reading is there twice,
 * none is missing, and none is there that was not published.
 */
export async function expectExactlyOnce(rig: IngestRig): Promise<void> {
  await rig.stopGateway();
  const published = rig.published();
  expect(await rig.heldByGateway()).toEqual([]);
  // Each PUBACK the gateway had followed a stored batch, so this holds at the first look.
  await until('every published telegram stored', async () => {
    const stored = new Set(await rig.stored());
    return [...published].every((digest) => stored.has(digest));
  });
  const stored = await rig.stored();
  expect(published.size).toBeGreaterThan(10);
  expect(new Set(stored).size).toBe(stored.length);
  expect([...published].filter((d) => !stored.includes(d))).toEqual([]);
  expect(stored.filter((d) => !published.has(d))).toEqual([]);
}

/** One `zw-server ingest-worker` child process. */
export interface WorkerProcess {
  readonly clientId: string;
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
}

export interface IngestRig {
  dataDir: string;
  ca: CertificateAuthority;
  registry: IotRegistry;
  store: IngestStore;
  demo: DemoCredentials;
  meters: readonly VirtualMeter[];
  broker(): LocalBroker;
  /** Starts the broker; `port` to come back on the same one. */
  startBroker(port?: number): Promise<LocalBroker>;
  /** Registers a worker certificate once per name, then starts a child with it. */
  startWorker(name: string): Promise<WorkerProcess>;
  /** The gateway, publishing until `stopGateway`. */
  startGateway(): void;
  /** Stops the gateway and resends what it still holds until nothing is left unacknowledged. */
  stopGateway(): Promise<void>;
  /** Digests of every frame the gateway published in a telegram batch (resends included). */
  published(): Set<string>;
  /** Digests of the readings in the table, once per reading item. */
  stored(): Promise<string[]>;
  /** The frames the gateway still holds: unacknowledged batches and unsent frames. */
  heldByGateway(): Promise<string[]>;
  /** Acknowledged batches per worker client id, as the broker counted them. */
  deliveredByWorker(): Map<string, number>;
  close(): Promise<void>;
}

function digestOf(frame: TelegramFrame): string {
  return frameDigest(peekFrame(frame.frame, { crc: frame.crc }).canonical);
}

export async function startIngestRig(options: {
  table: { doc: DynamoDBDocumentClient; tableName: string; endpoint: string };
  meters?: number;
  /** How long the gateway's PUBACK waits for a worker's (the broker's republish timeout). */
  republishTimeoutMs?: number;
}): Promise<IngestRig> {
  const { doc, tableName, endpoint } = options.table;
  const dataDir = await mkdtemp(join(tmpdir(), 'zw-ingest-worker-'));
  const statePath = join(dataDir, 'gateway-state.json');
  // The master key file under dataDir is the one the workers open too.
  const services = await createPlatformServices({
    doc,
    tableName,
    issuer: `urn:zaehlwerk:${tableName}`,
    region: 'eu-central-1',
    dataDir,
  });
  const meters = createFleet({ count: options.meters ?? 8, seed: 11 });
  const demo = await seedDemo({
    stores: services.stores,
    apiKeys: services.apiKeys,
    vault: services.vault,
    meterKeys: services.meterKeys,
    fleet: meters,
  });
  const ca = await loadOrCreateCertificateAuthority({ dir: join(dataDir, 'pki') });
  const registry = createDynamoIotRegistry({ doc, tableName });
  const store = createDynamoIngestStore({ doc, tableName });

  let current: { broker: LocalBroker; iot: LocalIotCore } | null = null;
  async function startBroker(port = 0): Promise<LocalBroker> {
    current = await startLocalIotCore({
      registry,
      ca,
      port,
      host: '127.0.0.1',
      hostnames: ['localhost'],
      ruleAction: 'republish',
      republishTimeoutMs: options.republishTimeoutMs ?? 20_000,
      shadows: (publish) =>
        fromShadowService(
          createShadowService({
            store: createDynamoShadowStore({ doc, tableName }),
            registry,
            publish,
          }),
        ),
    });
    return current.broker;
  }
  const broker = () => {
    if (current === null) throw new Error('the broker is not started');
    return current.broker;
  };
  await startBroker();

  const { csrPem, privateKeyPem } = await makeGatewayKeyAndCsr(THING);
  const thing = await current!.iot.registerGateway({
    thingName: THING,
    partnerId: demo.ids.demoPartnerId,
    organisationId: demo.ids.demoOperatorOrganisationId,
    csrPem,
  });
  // Small batches, about one a second: many PUBACKs for the faults to fall between.
  await current!.iot.updateDesired(THING, { configVersion: 1, maxBatchFrames: 3 }, SHADOW_NAME);

  const captured: CaptureLine[] = [];
  const simulator = (fleet: readonly VirtualMeter[]): Simulator =>
    createSimulator({
      thingName: THING,
      meters: fleet,
      seed: 5,
      framesPerSecond: 3,
      uploadIntervalS: 5,
      statePath,
      onCapture: (line) => captured.push(line),
      transport: {
        kind: 'mqtt',
        url: `mqtts://127.0.0.1:${broker().port}`,
        servername: 'localhost',
        caPem: ca.caCertificatePem,
        certPem: thing.certificates[0]!.certificatePem!,
        keyPem: privateKeyPem,
      },
    });
  let gateway: { simulator: Simulator; running: Promise<unknown> } | null = null;

  const workerIdentities = new Map<
    string,
    { certPath: string; keyPath: string; clientId: string }
  >();
  const caPath = join(dataDir, 'ca.pem');
  await writeFile(caPath, ca.caCertificatePem);
  const workers = new Set<WorkerProcess>();

  async function heldByGateway(): Promise<string[]> {
    let state: { unacked: string[]; frames: { frame: TelegramFrame }[] };
    try {
      state = JSON.parse(await readFile(statePath, 'utf8')) as typeof state;
    } catch {
      return [];
    }
    return [
      ...state.unacked.flatMap((payload) =>
        (JSON.parse(payload) as TelegramBatch).frames.map(digestOf),
      ),
      ...state.frames.map(({ frame }) => digestOf(frame)),
    ];
  }

  return {
    dataDir,
    ca,
    registry,
    store,
    demo,
    meters,
    broker,
    startBroker,

    async startWorker(name) {
      let identity = workerIdentities.get(name);
      if (identity === undefined) {
        const issued = await registerIngestWorker(ca, registry, { name });
        const certPath = join(dataDir, `${issued.clientId}.cert.pem`);
        const keyPath = join(dataDir, `${issued.clientId}.key.pem`);
        await writeFile(certPath, issued.certificatePem);
        await writeFile(keyPath, issued.privateKeyPem, { mode: 0o600 });
        identity = { certPath, keyPath, clientId: issued.clientId };
        workerIdentities.set(name, identity);
      }
      const child = spawn(
        process.execPath,
        [
          ...['--import', 'tsx', CLI, 'ingest-worker'],
          ...['--mqtt-url', `mqtts://127.0.0.1:${broker().port}`, '--servername', 'localhost'],
          ...['--cert', identity.certPath, '--key', identity.keyPath, '--ca', caPath],
          ...['--dynamodb-endpoint', endpoint, '--table', tableName, '--data-dir', dataDir],
          ...['--log-level', 'warn'],
        ],
        {
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal)),
      );
      const worker: WorkerProcess = {
        clientId: identity.clientId,
        child,
        output: () => output,
        exited,
      };
      workers.add(worker);
      void exited.then(() => workers.delete(worker));
      let ended = false;
      void exited.then(() => (ended = true));
      await until(`${identity.clientId} to be ready`, () => {
        if (ended) throw new Error(`${identity.clientId} exited:\n${output}`);
        return output.includes(`ingest worker ${identity.clientId} ready`);
      });
      return worker;
    },

    startGateway() {
      const sim = simulator(meters);
      gateway = { simulator: sim, running: sim.run() };
    },

    async stopGateway() {
      if (gateway !== null) {
        await gateway.simulator.stop();
        await gateway.running;
        gateway = null;
      }
      // A batch without its PUBACK when the gateway stopped is still the gateway's: it comes
      // back from the state file and is sent again, as after a power cycle (clause 7.2).
      await until('the gateway to hold nothing', async () => {
        if ((await heldByGateway()).length === 0) return true;
        const flush = simulator([]);
        await flush.run({ batches: 1, durationMs: 5000 });
        return (await heldByGateway()).length === 0;
      });
    },

    published() {
      const digests = new Set<string>();
      for (const line of captured) {
        if (!line.topic.endsWith('/telegrams')) continue;
        for (const frame of (line.payload as TelegramBatch).frames) digests.add(digestOf(frame));
      }
      return digests;
    },

    async stored() {
      const digests: string[] = [];
      for (const meterId of demo.ids.meterIds) {
        let cursor: string | undefined;
        do {
          const page = await store.listReadings(demo.ids.demoPartnerId, meterId, WIDE_OPEN, {
            limit: 100,
            ...(cursor === undefined ? {} : { cursor }),
          });
          digests.push(...page.items.map((reading) => reading.digest));
          cursor = page.cursor ?? undefined;
        } while (cursor !== undefined);
      }
      return digests;
    },

    heldByGateway,

    deliveredByWorker() {
      const counts = new Map<string, number>();
      for (const group of broker().sharedSubscriptions()) {
        for (const member of group.members) {
          counts.set(member.clientId, (counts.get(member.clientId) ?? 0) + member.delivered);
        }
      }
      return counts;
    },

    async close() {
      await gateway?.simulator.stop().catch(() => undefined);
      for (const worker of workers) worker.child.kill('SIGKILL');
      await Promise.all([...workers].map((w) => w.exited));
      await current?.broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
