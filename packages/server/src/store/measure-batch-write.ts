import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createBatchWriter } from './batch-writer.js';
import { benchItemKey } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

export interface BatchWriteThroughput {
  items: number;
  seconds: number;
  itemsPerSecond: number;
}

/** A run dies between its write and its clean-up at worst; TTL then takes the items. */
const BENCH_TTL_SECONDS = 3600;

/**
 * A benchmark item of about `itemBytes` as DynamoDB counts an item's size
 * (attribute names plus values), so runs with different sizes compare.
 */
export function benchItem(
  runId: string,
  index: number,
  itemBytes: number,
  expiresAt: number,
): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...benchItemKey(runId, index),
    entity: 'BENCH',
    [TTL_ATTRIBUTE]: expiresAt,
  };
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    // DynamoDB stores a number in about one byte per two digits, plus one.
    size +=
      typeof value === 'number'
        ? Math.ceil(String(value).length / 2) + 1
        : Buffer.byteLength(String(value));
  }
  item['data'] = 'x'.repeat(Math.max(0, itemBytes - size - 'data'.length));
  return item;
}

/**
 * How many items per second BatchWriteItem takes on this endpoint and table,
 * through the same batch writer ingest uses: the ceiling ingest's end-to-end
 * rate is compared with. Writes throwaway items under `BENCH#<run>#…`, times
 * the write alone, then deletes them (their TTL is the fallback). Give it a
 * client with `maxAttempts: 1`, like every batch writer's.
 */
export async function measureBatchWriteThroughput(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  items: number;
  /** Approximate size of each item; default 256 bytes, about a reading's. */
  itemBytes?: number;
  /** Chunks in flight at once; default 4, the batch writer's. */
  concurrency?: number;
}): Promise<BatchWriteThroughput> {
  if (!Number.isInteger(options.items) || options.items < 1) {
    throw new RangeError('items must be a positive integer');
  }
  const runId = randomUUID();
  const expiresAt = Math.ceil(Date.now() / 1000) + BENCH_TTL_SECONDS;
  const items = Array.from({ length: options.items }, (_, i) =>
    benchItem(runId, i, options.itemBytes ?? 256, expiresAt),
  );
  const writer = createBatchWriter({
    doc: options.doc,
    tableName: options.tableName,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  const cleanUp = () => writer.write(items.map((_, i) => ({ delete: benchItemKey(runId, i) })));

  let report;
  const started = performance.now();
  try {
    report = await writer.write(items.map((put) => ({ put })));
  } catch (err) {
    await cleanUp().catch(() => {
      // The write's error matters more; the TTL takes what is left.
    });
    throw err;
  }
  const seconds = (performance.now() - started) / 1000;
  await cleanUp();
  return { items: report.items, seconds, itemsPerSecond: report.items / seconds };
}
