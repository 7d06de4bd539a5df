import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseCaptureLine,
  SHADOW_NAME,
  topics,
  validate,
  type CaptureLine,
  type TelegramBatch,
} from '@zaehlwerk/firmware-contract';
import {
  createSimulator,
  parseMetersCsv,
  runSimulateCommand,
  type RunSummary,
  type Simulator,
} from '@zaehlwerk/firmware-contract/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { connectOrThrow, endAllClients } from '../src/iot/local/broker/broker-test-kit.js';
import { monitorDisconnectTopic } from '../src/iot/local/monitor/index.js';
import { certificateIdOf } from '../src/iot/local/pki/index.js';
import { startPlatform, type Platform } from '../src/main.js';

/**
 * The reference gateway simulator (`zw-contract simulate`) live against the
 * platform's IoT Core emulator, in process: mutual TLS with the lab's
 * gateway certificate, the configuration shadow, batches through Basic
 * Ingest to the ingest rule, and a connection cut at the broker, after which
 * it reconnects and replays what it heard meanwhile.
 */

const WAIT_MS = 20_000;

let dataDir: string;
let captureFile: string;
let platform: Platform;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zw-sim-live-'));
  captureFile = join(dataDir, 'mqtt.jsonl');
  platform = await startPlatform(
    parseConfig(
      [
        '--port',
        '0',
        '--mqtt-port',
        '0',
        '--log-level',
        'silent',
        '--data-dir',
        dataDir,
        '--mqtt-capture',
        captureFile,
      ],
      {},
    ),
  );
});

afterAll(async () => {
  await platform?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

afterEach(() => endAllClients());

function lab() {
  if (platform.lab === null || platform.local === null) throw new Error('expected the emulator');
  return { lab: platform.lab, local: platform.local };
}

async function simulator(log: string[], sent: CaptureLine[]): Promise<Simulator> {
  const { lab: credentials, local } = lab();
  return createSimulator({
    thingName: credentials.thingName,
    fleet: { count: 20 },
    seed: 5,
    transport: {
      kind: 'mqtt',
      url: local.mqttUrl,
      // The URL names an address; IoT Core (and so the emulator) requires SNI.
      servername: 'localhost',
      caPem: await readFile(credentials.caPath, 'utf8'),
      certPem: credentials.gateway.certificatePem,
      keyPem: credentials.gateway.privateKeyPem,
    },
    framesPerSecond: 10,
    uploadIntervalS: 5,
    onCapture: (line) => sent.push(line),
    log: (message) => log.push(message),
  });
}

/** The emulator's capture so far (its own lines, as the broker saw the gateway's publishes). */
async function emulatorCapture(): Promise<CaptureLine[]> {
  const text = await readFile(captureFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed = parseCaptureLine(line);
      if (!parsed.ok) throw new Error(`bad capture line: ${parsed.error}`);
      return parsed.value;
    });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function acceptedBatches(thingName: string): Promise<TelegramBatch[]> {
  return (await emulatorCapture())
    .filter(
      (line) =>
        line.topic === topics.telegrams(thingName) &&
        line.clientId === thingName &&
        line.outcome === 'accepted',
    )
    .map((line) => line.payload as TelegramBatch);
}

async function reported(thingName: string) {
  const shadow = (await platform.iot.getShadow(thingName, SHADOW_NAME)) as {
    state?: { reported?: Record<string, unknown> };
  } | null;
  return shadow?.state?.reported;
}

describe('the reference simulator against the IoT Core emulator', () => {
  it('applies its shadow configuration and publishes batches the emulator accepts', async () => {
    const { lab: credentials } = lab();
    const thing = credentials.thingName;
    // Small batches, so that a few arrive within seconds.
    await platform.iot.updateDesired(thing, { configVersion: 1, maxBatchFrames: 10 }, SHADOW_NAME);
    const log: string[] = [];
    const sent: CaptureLine[] = [];
    const sim = await simulator(log, sent);
    const summary: RunSummary = await sim.run({ batches: 4, durationMs: WAIT_MS });

    expect(summary, log.join('\n')).toMatchObject({ stoppedBy: 'batches', batches: 4 });
    expect(summary.errorResponses).toBe(0);
    // Everything it published keeps the contract.
    for (const line of sent.filter((l) => l.topic === topics.telegrams(thing))) {
      expect(validate('telegram-batch', line.payload)).toMatchObject({ ok: true });
      expect((line.payload as TelegramBatch).frames.length).toBeLessThanOrEqual(10);
    }
    // The broker saw the same batches from the lab gateway's connection and let them through.
    const mine = sent
      .filter((l) => l.topic === topics.telegrams(thing))
      .map((l) => (l.payload as TelegramBatch).gatewaySeq);
    const accepted = await until('the batches in the emulator capture', async () => {
      const seen = (await acceptedBatches(thing)).map((b) => b.gatewaySeq);
      return mine.every((seq) => seen.includes(seq)) ? seen : undefined;
    });
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    // It reported the configuration it applied, whole (clause 11.4).
    const state = await until('the reported state', async () => {
      const r = await reported(thing);
      return r?.configVersion === 1 ? r : undefined;
    });
    expect(validate('shadow-reported', state)).toMatchObject({ ok: true });
    expect(state).toMatchObject({ configVersion: 1, maxBatchFrames: 10, uploadIntervalS: 5 });
    // A status and a boot event went out too.
    const topicsSeen = new Set((await emulatorCapture()).map((l) => l.topic));
    expect(topicsSeen).toContain(topics.status(thing));
    expect(topicsSeen).toContain(topics.event(thing, 'boot'));
  });

  it('reconnects after the broker cuts it off and replays what it heard meanwhile', async () => {
    const { lab: credentials, local } = lab();
    const thing = credentials.thingName;
    const log: string[] = [];
    const sent: CaptureLine[] = [];
    const sim = await simulator(log, sent);
    const before = new Set((await acceptedBatches(thing)).map((b) => b.gatewaySeq));
    const running = sim.run({ durationMs: 60_000 });
    try {
      await until('a first batch', async () =>
        (await acceptedBatches(thing)).some((b) => !before.has(b.gatewaySeq)) ? true : undefined,
      );
      // The emulator's DeleteConnection: a monitor asks it to cut the gateway off.
      const monitor = await connectOrThrow(
        {
          port: Number(new URL(local.mqttUrl).port),
          caCertificatePem: local.caCertificatePem,
        },
        {
          certificateId: certificateIdOf(
            new X509Certificate(credentials.monitor.certificatePem).raw,
          ),
          certificatePem: credentials.monitor.certificatePem,
          privateKeyPem: credentials.monitor.privateKeyPem,
        },
        { clientId: 'zw-monitor-lab' },
      );
      await monitor.publishAsync(monitorDisconnectTopic(thing), '', { qos: 1 });

      const replay = await until('a batch with replayed frames', async () =>
        (await acceptedBatches(thing)).find((b) => b.frames.some((f) => f.replayed === true)),
      );
      for (const frame of replay.frames.filter((f) => f.replayed === true)) {
        expect(Date.parse(frame.receivedAt)).toBeLessThanOrEqual(Date.parse(replay.sentAt));
      }
      // Its persistent session kept the subscriptions: a desired change still reaches it.
      await platform.iot.updateDesired(
        thing,
        { configVersion: 2, uploadIntervalS: 7 },
        SHADOW_NAME,
      );
      await until('configVersion 2 reported', async () =>
        (await reported(thing))?.configVersion === 2 ? true : undefined,
      );
    } finally {
      await sim.stop();
    }
    const summary = await running;
    expect(summary.stoppedBy).toBe('stop');
    expect(summary.connects, log.join('\n')).toBeGreaterThanOrEqual(2);
    expect(summary.framesReplayed).toBeGreaterThan(0);
    expect(summary.errorResponses).toBe(0);
    // This run kept no state file: it took its numbers from above what the first run
    // reported in the shadow, so none is used twice (clauses 6.2, 6.3).
    const earlier = Math.max(...before);
    const batches = sent
      .filter((l) => l.topic === topics.telegrams(thing))
      .map((l) => l.payload as TelegramBatch);
    expect(batches.length).toBeGreaterThan(0);
    const bySeq = new Map<number, string>();
    for (const batch of batches) {
      expect(batch.gatewaySeq).toBeGreaterThan(earlier);
      // A batch sent again keeps its number and its frames (clause 7.2).
      const frames = JSON.stringify(batch.frames);
      expect(bySeq.get(batch.gatewaySeq) ?? frames).toBe(frames);
      bySeq.set(batch.gatewaySeq, frames);
    }
  });

  it('runs as zw-contract simulate --url with the lab files', async () => {
    const { lab: credentials, local } = lab();
    let stdout = '';
    let stderr = '';
    const code = await runSimulateCommand(
      [
        '--url',
        local.mqttUrl,
        '--servername',
        'localhost',
        '--cert',
        credentials.gateway.certificatePath,
        '--key',
        credentials.gateway.privateKeyPath,
        '--ca',
        credentials.caPath,
        '--thing',
        credentials.thingName,
        '--meters',
        '20',
        '--frames-per-second',
        '10',
        '--upload-interval',
        '5',
        '--batches',
        '2',
        '--capture',
        'live.jsonl',
        '--keys-out',
        'keys.csv',
      ],
      {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        cwd: dataDir,
        signal: new AbortController().signal,
      },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/2 batches acknowledged/);
    const published = (await readFile(join(dataDir, 'live.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as CaptureLine);
    const batches = published.filter((l) => l.topic === topics.telegrams(credentials.thingName));
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(parseMetersCsv(await readFile(join(dataDir, 'keys.csv'), 'utf8'))).toHaveLength(20);
  });
});
