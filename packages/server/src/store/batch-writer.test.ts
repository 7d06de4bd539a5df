import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../../test/ports/dynalite-table.js';
import { isDomainError, type DomainError } from '../domain/errors.js';
import {
  createBatchWriter,
  isRetryableWriteError,
  type BatchWriteRequest,
} from './batch-writer.js';

type Item = Record<string, unknown>;

async function partition(doc: DynamoDBDocumentClient, tableName: string, pk: string) {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': pk },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDomainError(err)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err;
}

const noSleep = () => Promise.resolve();

describe('batch writer on dynalite', () => {
  const { table } = useDynaliteTable('zw-batch-writer');

  it('writes 1000 items in chunks of 25 and every one reads back', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName, sleep: noSleep });
    const items = Array.from({ length: 1000 }, (_, i) => ({
      pk: `T#many#${i % 7}`,
      sk: String(i).padStart(4, '0'),
      value: i * 3,
      label: `item ${i}`,
    }));

    const report = await writer.write(items.map((put) => ({ put })));

    expect(report).toEqual({
      requests: 1000,
      items: 1000,
      superseded: 0,
      batches: 40,
      unprocessedRetried: 0,
      throttledRetried: 0,
    });
    const stored: Item[] = [];
    for (let p = 0; p < 7; p += 1) stored.push(...(await partition(doc, tableName, `T#many#${p}`)));
    const order = (a: Item, b: Item) => Number(a['value']) - Number(b['value']);
    expect(stored.sort(order)).toEqual(items);
    expect(writer.stats()).toEqual({
      requests: 1000,
      items: 1000,
      unprocessedRetried: 0,
      throttledRetried: 0,
      batches: 40,
      sdkRetried: 0,
    });
  });

  it('keeps the last request per key within one call, puts and deletes alike', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName, sleep: noSleep });
    const pk = 'T#dupes';
    await writer.write([{ put: { pk, sk: 'gone', v: 0 } }]);

    const report = await writer.write([
      { put: { pk, sk: 'a', v: 1 } },
      { put: { pk, sk: 'b', v: 1 } },
      { put: { pk, sk: 'a', v: 2 } },
      { delete: { pk, sk: 'b' } },
      { put: { pk, sk: 'gone', v: 1 } },
      { delete: { pk, sk: 'gone' } },
      { delete: { pk, sk: 'c' } },
      { put: { pk, sk: 'c', v: 3 } },
    ]);

    expect(report).toMatchObject({ requests: 8, items: 4, superseded: 4, batches: 1 });
    expect(await partition(doc, tableName, pk)).toEqual([
      { pk, sk: 'a', v: 2 },
      { pk, sk: 'c', v: 3 },
    ]);
  });

  it('keeps the last request when the repeats fall into different chunks', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName, sleep: noSleep });
    const pk = 'T#dupes-across';
    const pass = (v: number): BatchWriteRequest[] =>
      Array.from({ length: 30 }, (_, i) => ({ put: { pk, sk: String(i).padStart(2, '0'), v } }));

    const report = await writer.write([...pass(1), ...pass(2)]);

    expect(report).toMatchObject({ requests: 60, items: 30, superseded: 30, batches: 2 });
    const stored = await partition(doc, tableName, pk);
    expect(stored).toHaveLength(30);
    expect(stored.every((item) => item['v'] === 2)).toBe(true);
  });

  it('deletes what it is told to', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName, sleep: noSleep });
    const pk = 'T#deletes';
    const keys = Array.from({ length: 60 }, (_, i) => ({ pk, sk: String(i).padStart(2, '0') }));
    await writer.write(keys.map((key) => ({ put: { ...key, v: 1 } })));

    await writer.write(keys.filter((_, i) => i % 3 !== 0).map((key) => ({ delete: key })));

    expect((await partition(doc, tableName, pk)).map((item) => item['sk'])).toEqual(
      keys.filter((_, i) => i % 3 === 0).map((key) => key.sk),
    );
  });

  it('fails at once on an item that is too large, naming its chunk and the unwritten count', async () => {
    const { doc, tableName } = table();
    const sleeps: number[] = [];
    const writer = createBatchWriter({
      doc,
      tableName,
      sleep: async (ms) => void sleeps.push(ms),
    });
    const pk = 'T#too-large';
    const items: Item[] = Array.from({ length: 30 }, (_, i) => ({
      pk,
      sk: String(i).padStart(2, '0'),
    }));
    items[27] = { ...items[27], blob: 'x'.repeat(410 * 1024) };

    const err = await rejection(writer.write(items.map((put) => ({ put }))));

    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toContain('chunk 2 of 2 (items 26–30, first key T#too-large / 25)');
    expect(err.message).toContain('ValidationException');
    expect(err.message).toContain('5 of 30 items not written');
    expect(err.details).toMatchObject({ unwritten: 5, written: 25, attempts: 1 });
    expect(sleeps).toEqual([]);
    expect(writer.stats().batches).toBe(2);
    // The first chunk went on its own call, so it is stored; none of the second is.
    expect(await partition(doc, tableName, pk)).toHaveLength(25);
  });

  it('starts no further chunk after a non-retryable failure and counts them as unwritten', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName, sleep: noSleep, concurrency: 1 });
    const pk = 'T#stop';
    const items: Item[] = Array.from({ length: 55 }, (_, i) => ({
      pk,
      sk: String(i).padStart(2, '0'),
    }));
    items[3] = { ...items[3], blob: 'x'.repeat(410 * 1024) };

    const err = await rejection(writer.write(items.map((put) => ({ put }))));

    expect(err.message).toContain('chunk 1 of 3');
    expect(err.message).toContain('55 of 55 items not written');
    const details = err.details as { unwrittenKeys: Array<{ pk: string; sk: string }> };
    expect(details.unwrittenKeys).toHaveLength(55);
    expect(writer.stats().batches).toBe(1);
    expect(await partition(doc, tableName, pk)).toEqual([]);
  });

  it('fails at once when the table does not exist', async () => {
    const { doc } = table();
    const writer = createBatchWriter({ doc, tableName: 'zw-no-such-table', sleep: noSleep });

    const err = await rejection(writer.write([{ put: { pk: 'T#x', sk: '1' } }]));

    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toMatch(
      /chunk 1 of 1 .*ResourceNotFoundException.*1 of 1 items not written/,
    );
    expect(writer.stats().batches).toBe(1);
  });

  it('refuses a request without a string key before it sends anything', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName, sleep: noSleep });

    const err = await rejection(
      writer.write([{ put: { pk: 'T#ok', sk: '1' } }, { put: { pk: 'T#bad', sk: 7 } }]),
    );

    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toContain('request 1');
    expect(writer.stats().batches).toBe(0);
    expect(await partition(doc, tableName, 'T#ok')).toEqual([]);
  });

  it('makes no call for an empty write', async () => {
    const { doc, tableName } = table();
    const writer = createBatchWriter({ doc, tableName });
    expect(await writer.write([])).toMatchObject({ requests: 0, items: 0, batches: 0 });
    expect(writer.stats().batches).toBe(0);
  });
});

describe('isRetryableWriteError', () => {
  const named = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error('x'), { name, ...extra });

  it('retries throttling, server errors and dropped connections', () => {
    for (const name of [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
      'InternalServerError',
      'ServiceUnavailable',
      'TimeoutError',
    ]) {
      expect(isRetryableWriteError(named(name)), name).toBe(true);
    }
    expect(isRetryableWriteError(named('Error', { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableWriteError(named('Whatever', { $metadata: { httpStatusCode: 502 } }))).toBe(
      true,
    );
  });

  it('does not retry what would fail again', () => {
    for (const name of [
      'ValidationException',
      'ResourceNotFoundException',
      'ItemCollectionSizeLimitExceededException',
      'AccessDeniedException',
      'TypeError',
    ]) {
      expect(isRetryableWriteError(named(name, { $metadata: { httpStatusCode: 400 } })), name).toBe(
        false,
      );
    }
    expect(isRetryableWriteError(undefined)).toBe(false);
    expect(isRetryableWriteError('ECONNRESET')).toBe(false);
  });
});
