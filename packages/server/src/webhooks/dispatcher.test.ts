import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../../test/ports/dynalite-table.js';
import type { Webhook, WebhookEvent, WebhookEventType } from '../domain/webhooks/webhook.js';
import type { AlarmEvent, Reading } from '../ingest/ingest-store.js';
import { createKeyVault, openLocalMasterKey, type KeyVault } from '../keys/index.js';
import { createDynamoWebhookStore } from '../store/dynamodb-webhook-store.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.js';
import { verifyWebhook } from './signature.js';
import { newWebhookSecret, sealWebhookSecret, webhookSecretText } from './webhook-secret.js';

/** A real receiver on loopback: it verifies each delivery and answers what the test says. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  event: WebhookEvent<Record<string, unknown>>;
  verified: boolean;
}

function startReceiver() {
  const received: Received[] = [];
  let secret = '';
  let answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['zaehlwerk-signature'];
      const verified = verifyWebhook({
        body,
        header: typeof header === 'string' ? header : undefined,
        secret,
      }).ok;
      received.push({ headers: req.headers, body, event: JSON.parse(body), verified });
      res.statusCode = answers.shift() ?? 204;
      res.end();
    });
  });
  return {
    received,
    setSecret: (s: string) => void (secret = s),
    answer: (statuses: number[]) => void (answers = [...statuses]),
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const PARTNER = 'p-wh';
const ORG = 'org-wh';

function reading(meterId: string, n: number, organisationId = ORG): Reading {
  return {
    partnerId: PARTNER,
    organisationId,
    propertyId: 'prop-1',
    unitId: 'unit-1',
    meterId,
    kind: 'water-meter',
    at: `2025-03-01T08:00:0${n}.000Z`,
    digest: `digest-${meterId}-${n}`,
    register: { value: 12.5 + n, unit: 'm3' },
    values: { volume: { value: 12.5 + n, unit: 'm3' } },
    status: null,
    accessNumber: n,
    securityMode: 5,
    driver: 'zwm-water',
  };
}

function alarm(type: 'raised' | 'cleared', organisationId = ORG): AlarmEvent {
  return {
    type,
    code: 'leak',
    severity: 'critical',
    source: 'meter',
    since: '2025-03-01T08:00:00.000Z',
    at: type === 'raised' ? '2025-03-01T08:00:00.000Z' : '2025-03-01T09:00:00.000Z',
    partnerId: PARTNER,
    organisationId,
    propertyId: 'prop-1',
    unitId: 'unit-1',
    meterId: 'mtr-1',
    kind: 'water-meter',
    digest: 'digest-alarm',
  };
}

describe('WebhookDispatcher against a real receiver', () => {
  const db = useDynaliteTable('webhook-dispatch');
  const receiver = startReceiver();
  let url = '';
  let vault: KeyVault;
  let dispatcher: WebhookDispatcher | undefined;
  let n = 0;

  beforeAll(async () => {
    url = await receiver.listen();
    vault = createKeyVault({ masterKey: await openLocalMasterKey({}) });
  });
  afterAll(() => receiver.close());
  afterEach(async () => {
    await dispatcher?.close();
    dispatcher = undefined;
    receiver.received.length = 0;
    receiver.answer([]);
  });

  const store = () => createDynamoWebhookStore(db.table());

  /** A webhook stored as the API stores it, with a fresh secret the receiver knows. */
  async function register(
    events: WebhookEventType[],
    options: { organisationId?: string; enabled?: boolean; url?: string } = {},
  ): Promise<Webhook> {
    n += 1;
    const id = `wh_${String(n).padStart(16, '0')}`;
    const bytes = newWebhookSecret();
    receiver.setSecret(webhookSecretText(bytes));
    const webhook: Webhook = {
      id,
      partnerId: PARTNER,
      organisationId: options.organisationId ?? `${ORG}-${n}`,
      url: options.url ?? url,
      events,
      description: `test ${n}`,
      enabled: options.enabled ?? true,
      sealedSecret: await sealWebhookSecret(vault, PARTNER, id, bytes),
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      version: 1,
    };
    await store().create(webhook);
    return webhook;
  }

  function start(overrides: Partial<WebhookDispatcherOptions> = {}) {
    const sleeps: number[] = [];
    const warnings: string[] = [];
    dispatcher = new WebhookDispatcher({
      store: store(),
      vault,
      allowLocal: true,
      log: { warn: (_fields, message) => void warnings.push(message) },
      // Retries without waiting an hour: the waits asked for are recorded instead.
      sleep: async (ms) => void sleeps.push(ms),
      batchWindowMs: 60_000,
      ...overrides,
    });
    return { dispatcher, sleeps, warnings };
  }

  it('delivers a raised alarm, signed, in the envelope, with the alarm as the API shows it', async () => {
    const webhook = await register(['alarm.raised']);
    const { dispatcher } = start();
    dispatcher.onAlarms([
      alarm('raised', webhook.organisationId),
      alarm('cleared', webhook.organisationId),
    ]);
    await dispatcher.drain();

    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.verified).toBe(true);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['zaehlwerk-event-type']).toBe('alarm.raised');
    expect(got!.headers['zaehlwerk-delivery-attempt']).toBe('1');
    expect(got!.event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'alarm.raised',
      organisationId: webhook.organisationId,
      data: {
        alarm: {
          id: 'leak.2025-03-01T08:00:00.000Z',
          meterId: 'mtr-1',
          code: 'leak',
          severity: 'critical',
          clearedAt: null,
          at: '2025-03-01T08:00:00.000Z',
        },
      },
    });
    expect(got!.headers['zaehlwerk-event-id']).toBe(got!.event.id);
    expect(Date.parse(got!.event.createdAt)).not.toBeNaN();
    // Nothing of the partner in what leaves the platform.
    expect(got!.body).not.toContain(PARTNER);

    const deliveries = await store().listDeliveries(
      PARTNER,
      webhook.organisationId,
      webhook.id,
      10,
    );
    expect(deliveries).toEqual([
      expect.objectContaining({ ok: true, statusCode: 204, attempt: 1, nextRetryAt: null }),
    ]);
  });

  it('gathers readings per subscription: one POST per batch, not one per reading', async () => {
    const webhook = await register(['reading.stored']);
    const org = webhook.organisationId;
    const { dispatcher } = start({ maxBatchReadings: 3 });
    dispatcher.onReadings([reading('m1', 1, org), reading('m2', 2, org)]);
    dispatcher.onReadings([reading('m1', 3, org), reading('m3', 4, org)]);
    dispatcher.onReadings([reading('m9', 5, 'another-org')]);
    await dispatcher.drain();

    expect(receiver.received.map((r) => r.verified)).toEqual([true, true]);
    const batches = receiver.received.map(
      (r) => (r.event.data as { readings: Array<Record<string, unknown>> }).readings,
    );
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
    expect(batches.flat().map((r) => r.digest)).toEqual([
      'digest-m1-1',
      'digest-m2-2',
      'digest-m1-3',
      'digest-m3-4',
    ]);
    // The fields of the readings API: where it sits, not whose partner or operator it is.
    expect(batches[0]![0]).toEqual({
      meterId: 'm1',
      propertyId: 'prop-1',
      unitId: 'unit-1',
      kind: 'water-meter',
      at: '2025-03-01T08:00:01.000Z',
      digest: 'digest-m1-1',
      register: { value: 13.5, unit: 'm3' },
      values: { volume: { value: 13.5, unit: 'm3' } },
      status: null,
      accessNumber: 1,
      securityMode: 5,
      driver: 'zwm-water',
    });
    expect(receiver.received.every((r) => r.event.type === 'reading.stored')).toBe(true);
  });

  it('sends the batch when the window ends', async () => {
    const webhook = await register(['reading.stored']);
    const { dispatcher } = start({ batchWindowMs: 50 });
    dispatcher.onReadings([reading('m1', 1, webhook.organisationId)]);
    dispatcher.onReadings([reading('m2', 2, webhook.organisationId)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await dispatcher.drain();
    expect(receiver.received).toHaveLength(1);
    expect((receiver.received[0]!.event.data as { readings: unknown[] }).readings).toHaveLength(2);
  });

  it('retries a 500 with growing waits, the same event each time, until a 2xx', async () => {
    const webhook = await register(['alarm.cleared']);
    receiver.answer([500, 500, 200]);
    const { dispatcher, sleeps } = start();
    dispatcher.onAlarms([alarm('cleared', webhook.organisationId)]);
    await dispatcher.drain();

    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.event.id)).size).toBe(1);
    expect(receiver.received.map((r) => r.headers['zaehlwerk-delivery-attempt'])).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(sleeps).toEqual([10_000, 60_000]);
    const deliveries = await store().listDeliveries(
      PARTNER,
      webhook.organisationId,
      webhook.id,
      10,
    );
    const byAttempt = [...deliveries].sort((a, b) => a.attempt - b.attempt);
    expect(byAttempt.map((d) => [d.attempt, d.statusCode, d.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(byAttempt[0]!.error).toBe('answered 500');
    expect(byAttempt[0]!.nextRetryAt).not.toBeNull();
    expect(byAttempt[2]!.nextRetryAt).toBeNull();
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, failedAttempts: 2, pending: 0 });
  });

  it('gives up after the last attempt', async () => {
    const webhook = await register(['alarm.raised']);
    receiver.answer([503, 503, 503]);
    const { dispatcher, sleeps } = start({ retryDelaysMs: [5, 7] });
    dispatcher.onAlarms([alarm('raised', webhook.organisationId)]);
    await dispatcher.drain();
    expect(receiver.received).toHaveLength(3);
    expect(sleeps).toEqual([5, 7]);
    expect(dispatcher.stats()).toMatchObject({ delivered: 0, exhausted: 1 });
  });

  it('sends nothing to a disabled, deleted or unsubscribed webhook, nor across organisations', async () => {
    const disabled = await register(['alarm.raised', 'reading.stored'], { enabled: false });
    const deleted = await register(['alarm.raised', 'reading.stored']);
    const other = await register(['alarm.cleared']);
    await store().delete(PARTNER, deleted.organisationId, deleted.id, 1);
    const { dispatcher } = start();
    for (const org of [disabled.organisationId, deleted.organisationId, other.organisationId]) {
      dispatcher.onAlarms([alarm('raised', org)]);
      dispatcher.onReadings([reading('m1', 1, org)]);
    }
    await dispatcher.drain();
    expect(receiver.received).toEqual([]);
  });

  it('stops retrying once the webhook is disabled', async () => {
    const webhook = await register(['alarm.raised']);
    receiver.answer([500, 500, 500]);
    const s = store();
    const { dispatcher, sleeps } = start({
      // Disabled by its operator while the first retry waits.
      sleep: async (ms) => {
        sleeps.push(ms);
        const current = (await s.get(PARTNER, webhook.organisationId, webhook.id))!;
        if (current.enabled)
          await s.update({ ...current, enabled: false, version: current.version + 1 });
      },
    });
    dispatcher.onAlarms([alarm('raised', webhook.organisationId)]);
    await dispatcher.drain();
    expect(receiver.received).toHaveLength(1);
  });

  it('refuses loopback and private destinations unless local development is on', async () => {
    const webhook = await register(['alarm.raised']);
    const { dispatcher } = start({ allowLocal: false });
    dispatcher.onAlarms([alarm('raised', webhook.organisationId)]);
    await dispatcher.drain();
    expect(receiver.received).toEqual([]);
    const [first] = await store().listDeliveries(PARTNER, webhook.organisationId, webhook.id, 1);
    expect(first).toMatchObject({ ok: false, statusCode: null, attempt: 6 });
    expect(first!.error).toMatch(/must be https/);
    const literal = await register(['alarm.raised'], { url: 'https://127.0.0.1:9/hook' });
    const result = await dispatcher.sendTest(literal);
    expect(result.error).toMatch(/private network|this machine/);
    expect(receiver.received).toEqual([]);
  });

  it('refuses a public name that resolves to a private address', async () => {
    const webhook = await register(['alarm.raised'], { url: 'https://hooks.example.com/zw' });
    const fetched: string[] = [];
    const { dispatcher } = start({
      allowLocal: false,
      retryDelaysMs: [],
      resolve: async () => ['93.184.215.14', '10.0.0.7'],
      fetch: async (input) => {
        fetched.push(String(input));
        return new Response(null, { status: 204 });
      },
    });
    const result = await dispatcher.sendTest(webhook);
    expect(fetched).toEqual([]);
    expect(result).toMatchObject({ ok: false, statusCode: null, eventType: 'ping' });
    expect(result.error).toContain('10.0.0.7');
  });

  it('times out a receiver that does not answer', async () => {
    const webhook = await register(['alarm.raised']);
    const { dispatcher } = start({
      timeoutMs: 50,
      fetch: (_input, init) =>
        new Promise((_resolve, reject) =>
          init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)),
        ),
    });
    const result = await dispatcher.sendTest(webhook);
    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'timed out' });
  });

  it('drops events beyond its bound instead of growing without limit', async () => {
    const webhook = await register(['alarm.raised', 'alarm.cleared']);
    receiver.answer([]);
    const { dispatcher, warnings } = start({ maxPending: 1 });
    dispatcher.onAlarms([alarm('raised', webhook.organisationId)]);
    dispatcher.onAlarms([alarm('cleared', webhook.organisationId)]);
    await dispatcher.drain();
    expect(receiver.received).toHaveLength(1);
    expect(dispatcher.stats().dropped).toBe(1);
    expect(warnings).toContain('webhook queue full: event dropped');
  });

  it('never throws into the ingest, even when the store fails', async () => {
    const { dispatcher, warnings } = start({
      store: {
        ...store(),
        listByOrganisation: async () => {
          throw new Error('storage down');
        },
      },
    });
    expect(() => dispatcher.onAlarms([alarm('raised')])).not.toThrow();
    expect(() => dispatcher.onReadings([reading('m1', 1)])).not.toThrow();
    await dispatcher.drain();
    expect(warnings).toContain('webhook dispatch failed');
  });
});
