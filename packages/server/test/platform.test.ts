import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SHADOW_NAME, topics } from '@zaehlwerk/firmware-contract';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { TelegramBatchDelivery } from '../src/domain/ports.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
  provisionByClaim,
} from '../src/iot/local/broker/broker-test-kit.js';
import { certificateIdOf } from '../src/iot/local/pki/index.js';
import { makeGatewayCsr } from '../src/iot/local/pki/pki-test-kit.js';
import { startPlatform, type Platform } from '../src/main.js';

/** Any free ports, so that tests run side by side and next to a running `npm start`. */
const FREE_PORTS = ['--port', '0', '--mqtt-port', '0', '--log-level', 'silent'];

/** What broker-test-kit needs to reach the platform's broker. */
function brokerOf(platform: Platform) {
  const local = emulator(platform);
  return { port: Number(new URL(local.mqttUrl).port), caCertificatePem: local.caCertificatePem };
}

function emulator(platform: Platform): NonNullable<Platform['local']> {
  if (platform.local === null) throw new Error('expected the local IoT Core');
  return platform.local;
}

/** A lab identity as broker-test-kit takes it. */
function identityOf(files: { certificatePem: string; privateKeyPem: string }) {
  const certificateId = certificateIdOf(new X509Certificate(files.certificatePem).raw);
  return { certificateId, ...files };
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('startPlatform', () => {
  const dirs: string[] = [];
  afterEach(() => endAllClients());
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('serves /health over HTTP with the embedded DynamoDB in memory', async () => {
    const platform = await startPlatform(parseConfig(FREE_PORTS, {}));
    try {
      const res = await fetch(`${platform.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: 'ok',
        checks: { table: { table: 'zaehlwerk' } },
      });
      const docs = await fetch(`${platform.url}/docs/`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');
    } finally {
      await platform.close();
    }
  });

  it('runs the local IoT Core with a CA in memory and serves its certificate', async () => {
    const platform = await startPlatform(parseConfig(FREE_PORTS, {}));
    try {
      expect(emulator(platform).mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator(platform).caCertificatePath).toBeNull();
      const res = await fetch(`${platform.url}/v1/iot/ca.pem`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-pem-file/);
      expect(await res.text()).toBe(emulator(platform).caCertificatePem);
    } finally {
      await platform.close();
    }
  });

  it('prepares a lab whose gateway and monitor can connect, in a temporary folder removed on close', async () => {
    const platform = await startPlatform(parseConfig(FREE_PORTS, {}));
    const lab = platform.lab!;
    try {
      expect(lab.thingName).toBe('sim-gw-0001');
      expect(await readFile(lab.caPath, 'utf8')).toBe(emulator(platform).caCertificatePem);
      const gateway = await connectOrThrow(brokerOf(platform), identityOf(lab.gateway), {
        clientId: lab.thingName,
      });
      expect(gateway.connected).toBe(true);
      const monitor = await connectOrThrow(brokerOf(platform), identityOf(lab.monitor), {
        clientId: 'zw-monitor-lab',
      });
      expect(monitor.connected).toBe(true);
    } finally {
      await platform.close();
    }
    await expect(readFile(lab.caPath, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs the lab gateway simulated with --simulate-meters: it connects and reports its shadow', async () => {
    const platform = await startPlatform(
      parseConfig([...FREE_PORTS, '--simulate-meters', '3'], {}),
    );
    try {
      const simulated = platform.simulatedGateway!;
      expect(simulated).toMatchObject({ thingName: 'sim-gw-0001', meterCount: 3 });
      const csv = await readFile(simulated.metersCsvPath, 'utf8');
      expect(csv.trim().split('\n')).toHaveLength(4);
      expect((await stat(simulated.metersCsvPath)).mode & 0o777).toBe(0o600);

      const deadline = Date.now() + 20_000;
      let shadow: Record<string, unknown> | null = null;
      while (Date.now() < deadline) {
        shadow = await platform.iot.getShadow('sim-gw-0001', SHADOW_NAME);
        if (shadow !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(shadow).toMatchObject({ state: { reported: { contractVersion: '1' } } });
    } finally {
      await platform.close();
    }
  });

  it('seeds the demo with --demo true: its operator signs in and finds the lab gateway', async () => {
    const platform = await startPlatform(
      parseConfig([...FREE_PORTS, '--demo', 'true', '--simulate-meters', '4'], {}),
    );
    try {
      const demo = platform.demo!;
      const operator = demo.partners
        .find((p) => p.partnerId === 'demo')!
        .users.find((u) => u.role === 'operator')!;
      const login = await fetch(`${platform.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: operator.email,
          password: operator.password,
          partner: 'demo',
        }),
      });
      expect(login.status).toBe(200);
      const { accessToken } = (await login.json()) as { accessToken: string };
      const organisationId = demo.ids.demoOperatorOrganisationId;
      const list = await fetch(`${platform.url}/v1/gateways?organisationId=${organisationId}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(list.status).toBe(200);
      expect(await list.json()).toMatchObject({
        items: [{ thingName: 'sim-gw-0001', partnerId: 'demo', organisationId }],
      });
      // The solvimus operator, another partner, does not see it.
      const other = demo.partners
        .find((p) => p.partnerId === 'solvimus')!
        .users.find((u) => u.role === 'operator')!;
      const otherLogin = (await (
        await fetch(`${platform.url}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            email: other.email,
            password: other.password,
            partner: 'solvimus',
          }),
        })
      ).json()) as { accessToken: string };
      const hidden = await fetch(`${platform.url}/v1/gateways/sim-gw-0001`, {
        headers: { authorization: `Bearer ${otherLogin.accessToken}` },
      });
      expect(hidden.status).toBe(404);

      // A device of the demo partner onboards by claim with the lab's claim certificate,
      // and lands in the demo operator's organisation.
      const claim = platform.lab!.claim!;
      const factory = await connectOrThrow(brokerOf(platform), identityOf(claim), {
        clientId: 'factory-1',
      });
      const provisioned = await provisionByClaim(factory, {
        templateName: claim.templateName,
        thingName: 'demo-GW-0100',
      });
      const gateway = await connectOrThrow(brokerOf(platform), provisioned, {
        clientId: 'demo-GW-0100',
      });
      expect(gateway.connected).toBe(true);
      const shown = await fetch(`${platform.url}/v1/gateways/demo-GW-0100`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(await shown.json()).toMatchObject({ partnerId: 'demo', organisationId });
    } finally {
      await platform.close();
    }
  });

  it('turns the simulated gateway’s telegrams into readings the demo operator reads live and stored', async () => {
    const platform = await startPlatform(
      parseConfig([...FREE_PORTS, '--demo', 'true', '--simulate-meters', '3'], {}),
    );
    const controller = new AbortController();
    try {
      const demo = platform.demo!;
      const operator = demo.partners
        .find((p) => p.partnerId === 'demo')!
        .users.find((u) => u.role === 'operator')!;
      const login = await fetch(`${platform.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: operator.email,
          password: operator.password,
          partner: 'demo',
        }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const auth = { authorization: `Bearer ${accessToken}` };
      const propertyId = demo.ids.propertyId;
      // Subscribed before the first batch: the first reading arrives on the stream.
      const live = await fetch(`${platform.url}/v1/live?propertyId=${propertyId}`, {
        headers: auth,
        signal: controller.signal,
      });
      expect(live.status).toBe(200);
      const reader = live.body!.getReader();
      let text = '';
      while (!text.includes('event: reading')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const data = /event: reading\ndata: (.*)\n/.exec(text)?.[1];
      expect(data).toBeDefined();
      const reading = JSON.parse(data!) as { meterId: string; register: { value: number } | null };
      expect(demo.ids.meterIds).toContain(reading.meterId);

      const stored = await fetch(
        `${platform.url}/v1/meters/${reading.meterId}/readings?from=2000-01-01T00:00:00.000Z&to=2100-01-01T00:00:00.000Z`,
        { headers: auth },
      );
      expect(stored.status).toBe(200);
      const page = (await stored.json()) as { items: Array<{ register: unknown }> };
      expect(page.items.length).toBeGreaterThanOrEqual(1);
      expect(platform.ingest.pipeline.stats().outcomes).toMatchObject({
        undecryptable: 0,
        malformed: 0,
        replay: 0,
      });
    } finally {
      controller.abort();
      await platform.close();
    }
  }, 90_000);

  it('keeps data, the CA and registered gateways across restarts with --data-dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zw-data-'));
    dirs.push(dataDir);
    const config = parseConfig([...FREE_PORTS, '--data-dir', dataDir], {});
    const item = { pk: 'TEST#persist', sk: 'A', value: 42 };
    const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', 'CN=gw-restart');

    const first = await startPlatform(config);
    let identity;
    let caPem: string;
    try {
      await first.dynamo.doc.send(new PutCommand({ TableName: config.table, Item: item }));
      const thing = await first.iot.registerGateway({
        thingName: 'gw-restart',
        partnerId: 'acme',
        organisationId: 'org-1',
        csrPem,
      });
      identity = { ...thing.certificates[0]!, privateKeyPem };
      caPem = emulator(first).caCertificatePem;
      expect(emulator(first).caCertificatePath).toBe(join(dataDir, 'pki', 'ca-certificate.pem'));
      expect(await readFile(emulator(first).caCertificatePath!, 'utf8')).toBe(caPem);
      expect(first.lab?.dir).toBe(join(dataDir, 'lab'));

      // close() takes the broker down with the rest: the gateway's connection ends.
      const client = await connectOrThrow(brokerOf(first), identity, { clientId: 'gw-restart' });
      const closed = closedBy(client);
      await first.close();
      await closed;
    } finally {
      await first.close();
    }

    const second = await startPlatform(config);
    try {
      const out = await second.dynamo.doc.send(
        new GetCommand({ TableName: config.table, Key: { pk: item.pk, sk: item.sk } }),
      );
      expect(out.Item).toEqual(item);
      expect(fingerprint(emulator(second).caCertificatePem)).toBe(fingerprint(caPem));
      // The lab's gateway is reused, not registered again under the next name.
      expect(second.lab?.thingName).toBe('sim-gw-0001');

      // The registry lives in the table and the CA on disk, so the gateway is still known.
      const batches: TelegramBatchDelivery[] = [];
      second.iot.onTelegramBatch(async (batch) => {
        batches.push(batch);
      });
      const client = await connectOrThrow(brokerOf(second), identity, { clientId: 'gw-restart' });
      await client.publishAsync(topics.telegrams('gw-restart'), '{"frames":[]}', { qos: 1 });
      expect(batches).toEqual([expect.objectContaining({ thingName: 'gw-restart' })]);

      // Shadows are wired too, in the same table.
      await second.iot.updateDesired('gw-restart', { intervalSeconds: 900 });
      expect(await second.iot.getShadow('gw-restart')).toMatchObject({
        state: { desired: { intervalSeconds: 900 } },
      });
    } finally {
      await second.close();
    }
  });

  it('answers a batch that breaks the contract on the errors topic, and captures every publish', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zw-capture-'));
    dirs.push(dir);
    const captureFile = join(dir, 'broker.jsonl');
    const platform = await startPlatform(
      parseConfig([...FREE_PORTS, '--mqtt-capture', captureFile], {}),
    );
    try {
      const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', 'CN=gw-bad');
      const thing = await platform.iot.registerGateway({
        thingName: 'gw-bad',
        partnerId: 'acme',
        organisationId: 'org-1',
        csrPem,
      });
      const identity = { ...thing.certificates[0]!, privateKeyPem };
      const client = await connectOrThrow(brokerOf(platform), identity, { clientId: 'gw-bad' });
      await client.subscribeAsync(topics.errors('gw-bad'), { qos: 1 });
      const answer = new Promise<Record<string, unknown>>((resolve) =>
        client.once('message', (_topic, payload) =>
          resolve(JSON.parse(payload.toString()) as Record<string, unknown>),
        ),
      );
      // Acknowledged (resending cannot help), then answered.
      await client.publishAsync(topics.telegrams('gw-bad'), '{"gatewaySeq":7', { qos: 1 });
      expect(await answer).toMatchObject({
        contractVersion: '1',
        code: 'INVALID_JSON',
        topic: topics.telegrams('gw-bad'),
        retry: false,
      });
    } finally {
      await platform.close();
    }
    const lines = (await readFile(captureFile, 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        topic: topics.telegrams('gw-bad'),
        payload: { base64: Buffer.from('{"gatewaySeq":7').toString('base64') },
        qos: 1,
        clientId: 'gw-bad',
        outcome: 'accepted',
      }),
    ]);
  });

  it('loses the data and the CA without --data-dir', async () => {
    const config = parseConfig(FREE_PORTS, {});
    const first = await startPlatform(config);
    await first.dynamo.doc.send(
      new PutCommand({ TableName: config.table, Item: { pk: 'X', sk: 'Y' } }),
    );
    const firstCa = emulator(first).caCertificatePem;
    await first.close();
    const second = await startPlatform(config);
    try {
      const out = await second.dynamo.doc.send(
        new GetCommand({ TableName: config.table, Key: { pk: 'X', sk: 'Y' } }),
      );
      expect(out.Item).toBeUndefined();
      expect(fingerprint(emulator(second).caCertificatePem)).not.toBe(fingerprint(firstCa));
    } finally {
      await second.close();
    }
  });
});
