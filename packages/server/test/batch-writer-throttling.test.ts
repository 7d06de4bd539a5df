import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError, type DomainError } from '../src/domain/errors.js';
import { createBatchWriter, type BatchWriterOptions } from '../src/store/batch-writer.js';
import { createDynamoClients, type DynamoClients } from '../src/store/dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../src/store/embedded-dynamodb.js';
import { ensureTable } from '../src/store/table.js';
import { scanTable } from './ports/dynalite-table.js';
import { startThrottlingProxy, type ThrottlingProxy } from './ports/throttling-proxy.js';
import { seededRandom as seeded } from './seeded-random.js';

type Item = Record<string, unknown>;

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDomainError(err)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err;
}

const byKey = (a: Item, b: Item) =>
  `${String(a['pk'])} ${String(a['sk'])}`.localeCompare(`${String(b['pk'])} ${String(b['sk'])}`);

function readings(count: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    pk: `T#meter-${i % 40}#READINGS`,
    sk: `2025-03-01T00:${String(i).padStart(5, '0')}`,
    energyWh: i * 17,
    frame: `frame-${i}`,
  }));
}

describe('batch writer through a throttling proxy', () => {
  let db: EmbeddedDynamo;
  let proxy: ThrottlingProxy;
  let direct: DynamoClients;
  let proxied: DynamoClients;
  let tables = 0;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    proxy = await startThrottlingProxy({ upstream: db.endpoint, random: seeded(7) });
    direct = createDynamoClients({
      region: 'eu-central-1',
      endpoint: db.endpoint,
      localCredentials: true,
    });
    // As the writer's client should be: the writer does the retrying.
    proxied = createDynamoClients({
      region: 'eu-central-1',
      endpoint: proxy.endpoint,
      localCredentials: true,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    direct.client.destroy();
    proxied.client.destroy();
    await proxy.close();
    await db.close();
  });

  async function setUp(options: Partial<BatchWriterOptions> = {}) {
    proxy.clearRules();
    tables += 1;
    const tableName = `zw-throttled-${tables}`;
    await ensureTable(direct.client, tableName);
    const sleeps: number[] = [];
    const writer = createBatchWriter({
      doc: proxied.doc,
      tableName,
      sleep: async (ms) => void sleeps.push(ms),
      random: seeded(11),
      ...options,
    });
    return { tableName, writer, sleeps, before: proxy.counters() };
  }

  it('writes 2000 items exactly under heavy throttling and partial batches', async () => {
    const { tableName, writer, sleeps, before } = await setUp({ maxAttempts: 60 });
    proxy.fail({ operation: 'BatchWriteItem', fraction: 0.5 });
    proxy.partialBatches({ fraction: 0.8, keep: 0.5 });
    const items = readings(2000);

    const report = await writer.write(items.map((put) => ({ put })));

    expect((await scanTable(direct.doc, tableName)).sort(byKey)).toEqual([...items].sort(byKey));
    expect(report.items).toBe(2000);
    const seen = proxy.counters();
    const throttled = seen.throttled - before.throttled;
    const heldBack = seen.itemsHeldBack - before.itemsHeldBack;
    expect(throttled).toBeGreaterThan(50);
    expect(heldBack).toBeGreaterThan(500);
    // Every refusal was answered by a retry of just what was refused.
    expect(report.throttledRetried).toBe(throttled);
    expect(report.unprocessedRetried).toBe(heldBack);
    expect(writer.stats()).toMatchObject({
      requests: 2000,
      items: 2000,
      throttledRetried: throttled,
      unprocessedRetried: heldBack,
      batches: report.batches,
      sdkRetried: 0,
    });
    expect(report.batches).toBe(80 + throttled + (seen.partialBatches - before.partialBatches));
    expect(sleeps.length).toBe(report.batches - 80);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(2000);
  });

  it('rejects, naming the unwritten count, when throttling never ends', async () => {
    const { tableName, writer, before } = await setUp({ maxAttempts: 5 });
    proxy.fail({ operation: 'BatchWriteItem', fraction: 1 });

    const err = await rejection(writer.write(readings(100).map((put) => ({ put }))));

    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toContain('100 of 100 items not written');
    expect(err.message).toContain('after 5 attempts');
    expect(err.message).toContain('ProvisionedThroughputExceededException');
    expect(err.details).toMatchObject({ total: 100, written: 0, unwritten: 100 });
    expect(await scanTable(direct.doc, tableName)).toEqual([]);
    // One chunk used up its attempts; the others stopped before their next retry.
    const calls = proxy.counters().throttled - before.throttled;
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(calls).toBeLessThanOrEqual(4 * 5);
  });

  it('never drops silently: the error names exactly the items that are missing', async () => {
    const { tableName, writer } = await setUp({ maxAttempts: 3, concurrency: 2 });
    proxy.partialBatches({ keep: 0.5 });
    const items = readings(300);

    const err = await rejection(writer.write(items.map((put) => ({ put }))));

    const stored = await scanTable(direct.doc, tableName);
    const key = (item: { pk?: unknown; sk?: unknown }) => `${String(item.pk)} ${String(item.sk)}`;
    const details = err.details as {
      written: number;
      unwritten: number;
      unwrittenKeys: Array<{ pk: string; sk: string }>;
    };
    expect(stored.length).toBeGreaterThan(0);
    expect(details.written).toBe(stored.length);
    expect(details.unwritten).toBe(300 - stored.length);
    expect(err.message).toContain(`${300 - stored.length} of 300 items not written`);
    const missing = items.map(key).filter((k) => !new Set(stored.map(key)).has(k));
    expect(details.unwrittenKeys.map(key).sort()).toEqual(missing.sort());
  });

  it('retries dropped connections and server errors', async () => {
    const { tableName, writer, before } = await setUp();
    proxy.fail({ operation: 'BatchWriteItem', fault: 'reset', next: 3 });
    proxy.fail({ operation: 'BatchWriteItem', fault: 'internal-error', next: 2 });
    const items = readings(120);

    const report = await writer.write(items.map((put) => ({ put })));

    expect((await scanTable(direct.doc, tableName)).sort(byKey)).toEqual([...items].sort(byKey));
    expect(report.throttledRetried).toBe(5);
    const seen = proxy.counters();
    expect(seen.resets - before.resets).toBe(3);
    expect(seen.internalErrors - before.internalErrors).toBe(2);
  });

  it('backs off exponentially with full jitter, up to the cap', async () => {
    const { writer, sleeps } = await setUp({
      random: () => 0.5,
      baseDelayMs: 10,
      maxDelayMs: 100,
      maxAttempts: 10,
    });
    proxy.fail({ operation: 'BatchWriteItem', next: 6 });

    await writer.write(readings(10).map((put) => ({ put })));

    expect(sleeps).toEqual([5, 10, 20, 40, 50, 50]);
  });

  it('keeps at most `concurrency` calls in flight, across concurrent writes', async () => {
    const { tableName } = await setUp();
    // Two writes at once through one writer, each on a proxy of its own that sees only them.
    async function peak(concurrency: number): Promise<{ peak: number; calls: number }> {
      const probe = await startThrottlingProxy({ upstream: db.endpoint });
      const probed = createDynamoClients({
        region: 'eu-central-1',
        endpoint: probe.endpoint,
        localCredentials: true,
        maxAttempts: 1,
      });
      try {
        const writer = createBatchWriter({ doc: probed.doc, tableName, concurrency });
        const items = readings(250);
        await Promise.all([
          writer.write(items.map((put) => ({ put }))),
          writer.write(items.map((put) => ({ put: { ...put, sk: `b-${String(put['sk'])}` } }))),
        ]);
        const seen = probe.counters();
        return { peak: seen.maxConcurrent, calls: seen.received['BatchWriteItem'] ?? 0 };
      } finally {
        probed.client.destroy();
        await probe.close();
      }
    }

    const two = await peak(2);
    expect(two.calls).toBe(20);
    expect(two.peak).toBeLessThanOrEqual(2);
    // The probe does see overlap when there is some.
    expect((await peak(8)).peak).toBeGreaterThan(2);
  });
});
