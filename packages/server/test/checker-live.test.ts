import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  topics,
  type ShadowReported,
  type TelegramFrame,
  type TelegramBatch,
} from '@zaehlwerk/firmware-contract';
import {
  checkLive,
  formatReport,
  runCheckCommand,
  type CheckReport,
} from '@zaehlwerk/firmware-contract/checker';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startPlatform, type Platform } from '../src/main.js';

/*
 * The live conformance checker against the platform's IoT Core emulator: a
 * small hand-written gateway that keeps the contract passes, one that breaks
 * it fails at the clauses it breaks. Both are driven with mqtt.js, as a
 * vendor's firmware would talk to IoT Core.
 */

const require = createRequire(import.meta.url);

interface Vector {
  frame: string;
  radioMode: TelegramFrame['mode'];
}

const VECTORS = ['hca-sontex-mode5', 'heat-engelmann-mode7', 'water-sensus-mode0'].map(
  (name) =>
    JSON.parse(
      readFileSync(require.resolve(`@zaehlwerk/firmware-contract/vectors/v1/${name}.json`), 'utf8'),
    ) as Vector,
);

interface GatewayBehaviour {
  /** ms before mqtt.js reconnects: the contract wants the first retry after 1–5 s. */
  reconnectMs: number;
  /** A gateway that keeps its counter only in memory starts again at 0 on every connect. */
  resetSeqOnConnect: boolean;
  /** Whether it applies desired configuration and reports it back. */
  answersConfig: boolean;
}

const firmware = { vendor: 'Zählwerk', model: 'live-test', version: '1.0.0' };

/** A radio that hears a frame every 300 ms, a store-and-forward buffer and a 1 s upload. */
class TestGateway {
  private client!: MqttClient;
  private seq: number;
  private readonly buffer: TelegramFrame[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private heard = 0;
  private readonly startedAt = Date.now();
  private config = {
    configVersion: 0,
    uploadIntervalS: 60,
    maxBatchFrames: 100,
    statusIntervalS: 3600,
    radioModes: ['T1', 'C1'] as ShadowReported['radioModes'],
    forwardAllMeters: true,
  };

  constructor(
    private readonly thing: string,
    private readonly behaviour: GatewayBehaviour,
  ) {
    this.seq = behaviour.resetSeqOnConnect ? 0 : Date.now();
  }

  start(url: string, tls: { ca: string; cert: string; key: string }): Promise<void> {
    this.client = connect(url, {
      ...tls,
      clientId: this.thing,
      servername: 'localhost',
      protocolVersion: 4,
      clean: false,
      keepalive: 60,
      reconnectPeriod: this.behaviour.reconnectMs,
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client.on('error', () => undefined);
    this.timers.push(setInterval(() => this.hear(), 300));
    this.timers.push(setInterval(() => this.upload(), 1000));
    return new Promise((resolve) => this.client.once('connect', () => resolve()));
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.client.endAsync(true);
  }

  private onConnect(): void {
    if (this.behaviour.resetSeqOnConnect) this.seq = 0;
    const shadow = (op: Parameters<typeof topics.shadow>[1]) => topics.shadow(this.thing, op);
    void this.client
      .subscribeAsync(
        [
          topics.errors(this.thing),
          shadow('get/accepted'),
          shadow('get/rejected'),
          shadow('update/delta'),
        ],
        { qos: 1 },
      )
      .then(() => this.publish(shadow('get'), { clientToken: 'gw-get' }))
      .then(() => this.status())
      .catch(() => undefined);
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!this.behaviour.answersConfig) return;
    const body = JSON.parse(payload.toString()) as { state?: Record<string, unknown> };
    let desired: Record<string, unknown> | undefined;
    if (topic.endsWith('/get/accepted')) desired = body.state?.desired as Record<string, unknown>;
    else if (topic.endsWith('/update/delta')) desired = body.state;
    else if (topic.endsWith('/get/rejected')) desired = {};
    if (desired === undefined) return;
    this.config = { ...this.config, ...desired };
    void this.report();
  }

  private hear(): void {
    const v = VECTORS[this.heard++ % VECTORS.length]!;
    this.buffer.push({
      frame: v.frame,
      crc: 'stripped',
      receivedAt: new Date().toISOString(),
      rssi: -70,
      mode: v.radioMode,
      // Heard while the broker could not be reached: sent later from the buffer.
      ...(this.client.connected ? {} : { replayed: true }),
    });
  }

  private upload(): void {
    if (!this.client.connected || this.buffer.length === 0) return;
    const frames = this.buffer.splice(0, this.config.maxBatchFrames);
    this.seq += 1;
    const batch: TelegramBatch = {
      contractVersion: '1',
      gatewaySeq: this.seq,
      sentAt: new Date().toISOString(),
      frames,
    };
    void this.publish(topics.telegrams(this.thing), batch);
  }

  private stats() {
    return {
      uptimeS: Math.floor((Date.now() - this.startedAt) / 1000),
      radio: {
        modes: this.config.radioModes,
        framesReceived: this.heard,
        framesForwarded: this.heard - this.buffer.length,
        framesFiltered: 0,
        framesInvalid: 0,
      },
      buffer: {
        framesQueued: this.buffer.length,
        bytesQueued: this.buffer.length * 120,
        capacityBytes: 1_048_576,
        framesDropped: 0,
      },
      lastGatewaySeq: this.seq,
    };
  }

  private status(): Promise<void> {
    return this.publish(topics.status(this.thing), {
      contractVersion: '1',
      sentAt: new Date().toISOString(),
      firmware,
      clockSynchronised: true,
      ...this.stats(),
    });
  }

  private report(): Promise<void> {
    const reported: ShadowReported = {
      contractVersion: '1',
      ...this.config,
      firmware,
      ...this.stats(),
    };
    return this.publish(topics.shadow(this.thing, 'update'), {
      state: { reported },
      clientToken: `gw-report-${this.config.configVersion}`,
    });
  }

  private async publish(topic: string, payload: unknown): Promise<void> {
    await this.client
      .publishAsync(topic, JSON.stringify(payload), { qos: 1 })
      .catch(() => undefined);
  }
}

const failed = (report: CheckReport) =>
  report.clauses.filter((c) => c.status === 'fail').map((c) => c.clause);
const status = (report: CheckReport, id: string) =>
  report.clauses.find((c) => c.clause === id)?.status;

describe('checkLive against the IoT Core emulator', { timeout: 60_000 }, () => {
  let dataDir: string;
  let platform: Platform;
  let lab: NonNullable<Platform['lab']>;
  let mqttUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'zw-checker-live-'));
    platform = await startPlatform(
      parseConfig(
        ['--port', '0', '--mqtt-port', '0', '--log-level', 'silent', '--data-dir', dataDir],
        {},
      ),
    );
    if (platform.lab === null || platform.local === null) throw new Error('expected the emulator');
    lab = platform.lab;
    mqttUrl = platform.local.mqttUrl;
  });

  afterAll(async () => {
    await platform?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function withGateway<T>(behaviour: GatewayBehaviour, run: () => Promise<T>): Promise<T> {
    const gateway = new TestGateway(lab.thingName, behaviour);
    await gateway.start(mqttUrl, {
      ca: readFileSync(lab.caPath, 'utf8'),
      cert: lab.gateway.certificatePem,
      key: lab.gateway.privateKeyPem,
    });
    try {
      return await run();
    } finally {
      await gateway.stop();
    }
  }

  function check(behaviour: GatewayBehaviour): Promise<CheckReport> {
    return withGateway(behaviour, () =>
      checkLive({
        url: mqttUrl,
        caPem: readFileSync(lab.caPath, 'utf8'),
        certPem: lab.monitor.certificatePem,
        keyPem: lab.monitor.privateKeyPem,
        thingName: lab.thingName,
        observeSeconds: 3,
        timeoutSeconds: 8,
      }),
    );
  }

  it('passes a gateway that keeps the contract', async () => {
    const report = await check({
      reconnectMs: 3500,
      resetSeqOnConnect: false,
      answersConfig: true,
    });
    expect(failed(report), formatReport(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, source: 'live', thingName: lab.thingName });
    for (const clause of ['2.2', '2.5', '3.1', '6.2', '7.3', '10.1', '11.3', '11.4', '12.1']) {
      expect(status(report, clause), `${clause}\n${formatReport(report)}`).toBe('pass');
    }
  });

  it('fails a gateway that reconnects at once, reuses gatewaySeq and ignores its configuration', async () => {
    const report = await check({ reconnectMs: 200, resetSeqOnConnect: true, answersConfig: false });
    expect(failed(report), formatReport(report)).toEqual(['2.5', '6.2', '11.4']);
    expect(report.ok).toBe(false);
    const reuse = report.clauses.find((c) => c.clause === '6.2')!.findings[0]!;
    expect(reuse).toMatchObject({ topic: topics.telegrams(lab.thingName) });
    expect(reuse.line).toBeGreaterThan(0);
    expect(reuse.message).toMatch(/gatewaySeq \d+ (reused|is smaller)/);
  });

  it('runs as zw-contract check --url with the lab files, paths relative to cwd', async () => {
    const out = { stdout: '', stderr: '' };
    const code = await withGateway(
      { reconnectMs: 3500, resetSeqOnConnect: false, answersConfig: true },
      () =>
        runCheckCommand(
          [
            ...['--url', mqttUrl, '--thing', lab.thingName, '--ca', 'ca.pem'],
            ...['--cert', 'monitor.cert.pem', '--key', 'monitor.key.pem'],
            ...['--observe', '2', '--timeout', '5', '--no-disconnect', '--no-config-change'],
          ],
          {
            stdout: (text) => (out.stdout += text),
            stderr: (text) => (out.stderr += text),
            cwd: lab.dir,
            signal: new AbortController().signal,
          },
        ),
    );
    expect(code, out.stdout).toBe(0);
    expect(out.stdout).toContain(`Conformance of ${lab.thingName}`);
    expect(out.stdout).toMatch(
      /^2\.5 {3}NOT OBSERVED {2}Reconnect backoff — not run \(--no-disconnect\)$/m,
    );
    expect(out.stderr).toContain(`zw-contract check: watching ${lab.thingName} for 2 s`);
  });
});
