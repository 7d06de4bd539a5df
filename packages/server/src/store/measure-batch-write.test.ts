import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../../test/ports/dynalite-table.js';
import { BENCH_PARTITIONS } from './keys.js';
import { benchItem, measureBatchWriteThroughput } from './measure-batch-write.js';
import { TTL_ATTRIBUTE } from './table.js';

describe('measureBatchWriteThroughput on dynalite', () => {
  const { table } = useDynaliteTable('zw-bench');

  it('reports a positive rate and leaves no item of its own behind', async () => {
    const { doc, tableName } = table();
    const other = { pk: 'P#p1#METER#m1', sk: 'METER', entity: 'METER' };
    await doc.send(new PutCommand({ TableName: tableName, Item: other }));

    const result = await measureBatchWriteThroughput({
      doc,
      tableName,
      items: 400,
      itemBytes: 300,
    });

    expect(result.items).toBe(400);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.itemsPerSecond).toBeGreaterThan(0);
    expect(result.itemsPerSecond).toBeCloseTo(400 / result.seconds, 6);
    const left = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    expect(left.Items).toEqual([other]);
  });

  it('refuses a run without items', async () => {
    const { doc, tableName } = table();
    await expect(measureBatchWriteThroughput({ doc, tableName, items: 0 })).rejects.toThrow(
      RangeError,
    );
  });

  it('builds items of about the asked size, spread over the bench partitions, with a TTL', () => {
    const sizes = [128, 256, 1024].map((bytes) => {
      const item = benchItem('run-1', 17, bytes, 1_900_000_000);
      expect(item).toMatchObject({
        pk: `BENCH#run-1#${17 % BENCH_PARTITIONS}`,
        sk: '0000000017',
        [TTL_ATTRIBUTE]: 1_900_000_000,
      });
      return Object.entries(item).reduce(
        (sum, [name, value]) => sum + name.length + String(value).length,
        0,
      );
    });
    // Names plus values as text; the number counts a few bytes more that way.
    expect(sizes[0]).toBeGreaterThanOrEqual(128);
    expect(sizes[0]).toBeLessThanOrEqual(134);
    expect(sizes[2]! - sizes[1]!).toBe(768);
    const partitions = new Set(
      Array.from({ length: 64 }, (_, i) => benchItem('run-1', i, 64, 1)['pk']),
    );
    expect(partitions.size).toBe(BENCH_PARTITIONS);
  });
});
