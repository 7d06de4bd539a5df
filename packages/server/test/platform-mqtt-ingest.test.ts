import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { SIGNATURE_HEADER } from '../src/domain/webhooks/webhook.js';
import { runIngestWorkerCommand } from '../src/ingest-worker-cli.js';
import { startPlatform, type Platform } from '../src/main.js';
import { verifyWebhook } from '../src/webhooks/signature.js';

/**
 * `zw-server start --ingest mqtt`: the emulator's ingest rule republishes
 * each batch, ingest workers on the shared subscription store it, and the
 * API server's live subscribers hear of the readings through the workers'
 * ingest events; the workers deliver the webhooks. Once with the platform's
 * own worker, once with a separate `zw-server ingest-worker` process.
 */

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const BASE = ['--port', '0', '--mqtt-port', '0', '--log-level', 'silent', '--demo', 'true'];

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function operatorKey(platform: Platform): string {
  const demo = platform.demo!.partners.find((p) => p.partnerId === 'demo')!;
  return demo.apiKey!;
}

interface LiveReading {
  meterId: string;
  digest: string;
  at: string;
}

/** Reads `event: reading` items off the live stream until `count` have come. */
async function liveReadings(platform: Platform, count: number): Promise<LiveReading[]> {
  const controller = new AbortController();
  cleanups.push(async () => controller.abort());
  const res = await fetch(`${platform.url}/v1/live?propertyId=${platform.demo!.ids.propertyId}`, {
    headers: { 'x-api-key': operatorKey(platform) },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const readings: LiveReading[] = [];
  while (readings.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the live stream ended');
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const event = text.slice(0, end);
      text = text.slice(end + 2);
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (/^event: reading$/m.test(event) && data !== undefined) {
        readings.push(JSON.parse(data) as LiveReading);
      }
    }
  }
  controller.abort();
  return readings;
}

async function storedDigests(platform: Platform, meterId: string): Promise<string[]> {
  const res = await fetch(
    `${platform.url}/v1/meters/${meterId}/readings?from=2000-01-01T00:00:00.000Z&to=2100-01-01T00:00:00.000Z`,
    { headers: { 'x-api-key': operatorKey(platform) } },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Array<{ digest: string }> }).items.map((r) => r.digest);
}

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

async function webhookReceiver(): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('start --ingest mqtt', { timeout: 120_000 }, () => {
  it('stores through its own worker, feeds the live stream from the events and delivers webhooks', async () => {
    const platform = await startPlatform(
      parseConfig([...BASE, '--simulate-meters', '4', '--ingest', 'mqtt'], {}),
    );
    cleanups.push(() => platform.close());
    expect(platform.ingestWorker).not.toBeNull();
    expect(platform.ingestEvents).not.toBeNull();

    const receiver = await webhookReceiver();
    const organisationId = platform.demo!.ids.demoOperatorOrganisationId;
    const created = await fetch(`${platform.url}/v1/organisations/${organisationId}/webhooks`, {
      method: 'POST',
      headers: { 'x-api-key': operatorKey(platform), 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['reading.stored'] }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };

    const live = await liveReadings(platform, 3);
    for (const reading of live) {
      expect(platform.demo!.ids.meterIds).toContain(reading.meterId);
      expect(await storedDigests(platform, reading.meterId)).toContain(reading.digest);
    }
    // The worker stored them; the rule's in-process handler had nothing to do.
    expect(platform.ingestWorker!.worker.stats().acknowledged).toBeGreaterThan(0);
    expect(platform.ingest.pipeline.stats().batches).toBe(0);
    expect(platform.ingestEvents!.stats()).toMatchObject({ dropped: 0, connected: true });

    // The worker, not the API server, delivered the signed webhook.
    const delivery = await until('a webhook delivery', () =>
      receiver.deliveries.find((d) => d.headers['zaehlwerk-event-type'] === 'reading.stored'),
    );
    const header = delivery.headers[SIGNATURE_HEADER];
    expect(verifyWebhook({ secret, body: delivery.body, header: String(header) })).toMatchObject({
      ok: true,
    });
    const body = JSON.parse(delivery.body) as { data: { readings: Array<{ meterId: string }> } };
    expect(body.data.readings.length).toBeGreaterThan(0);
    expect(platform.demo!.ids.meterIds).toContain(body.data.readings[0]!.meterId);
    expect(platform.webhooks.stats().delivered).toBe(0);
    expect(platform.ingestWorker!.webhooks.stats().delivered).toBeGreaterThan(0);
  });

  it('feeds the live stream from a separate zw-server ingest-worker process', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zw-mqtt-ingest-'));
    dirs.push(dataDir);
    const platform = await startPlatform(
      parseConfig(
        [
          ...BASE,
          ...['--simulate-meters', '4', '--ingest', 'mqtt', '--ingest-workers', '0'],
          ...['--data-dir', dataDir],
        ],
        {},
      ),
    );
    cleanups.push(() => platform.close());
    expect(platform.ingestWorker).toBeNull();

    const table = ['--dynamodb-endpoint', platform.dynamodbEndpoint, '--data-dir', dataDir];
    let out = '';
    const io = {
      stdout: (text: string) => (out += text),
      stderr: (text: string) => (out += text),
      env: {},
      cwd: dataDir,
      untilStopped: () => Promise.resolve(),
    };
    const credentialsDir = join(dataDir, 'worker');
    expect(
      await runIngestWorkerCommand(
        ['credentials', '--name', 'ext', '--out', credentialsDir, ...table],
        io,
      ),
      out,
    ).toBe(0);
    const mqttPort = new URL(platform.local!.mqttUrl).port;
    const child: ChildProcess = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', CLI, 'ingest-worker'],
        ...['--mqtt-url', `mqtts://127.0.0.1:${mqttPort}`, '--servername', 'localhost'],
        ...['--cert', join(credentialsDir, 'zw-ingest-ext.cert.pem')],
        ...['--key', join(credentialsDir, 'zw-ingest-ext.key.pem')],
        ...['--ca', join(credentialsDir, 'ca.pem'), ...table, '--log-level', 'warn'],
      ],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });

    const live = await liveReadings(platform, 2);
    for (const reading of live) {
      expect(await storedDigests(platform, reading.meterId)).toContain(reading.digest);
    }
    expect(output).toContain('ingest worker zw-ingest-ext ready');
    expect(platform.ingest.pipeline.stats().batches).toBe(0);
  });
});
