// The ingest's DynamoDB calls, counted while it runs, and the same calls replayed without the
// pipeline: what the storage allows for this data model, as against the raw BatchWriteItem rate.
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createBatchWriter } from '../src/store/batch-writer.js';
import { benchItem } from '../src/store/measure-batch-write.js';

export interface CallCounter {
  /** Calls per operation since the last reset. */
  calls(): Record<string, number>;
  /** Items carried by BatchWriteItem calls since the last reset. */
  batchedItems(): number;
  reset(): void;
}

/** Counts the client's calls by operation (a middleware; retries are one call each). */
export function countCalls(client: DynamoDBClient): CallCounter {
  let calls: Record<string, number> = {};
  let batched = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls[name] = (calls[name] ?? 0) + 1;
      if (name === 'BatchWriteItemCommand') {
        const input = args.input as { RequestItems?: Record<string, unknown[]> };
        for (const requests of Object.values(input.RequestItems ?? {})) batched += requests.length;
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return {
    calls: () => ({ ...calls }),
    batchedItems: () => batched,
    reset() {
      calls = {};
      batched = 0;
    },
  };
}

/**
 * The ingest's writes for `telegrams` telegrams without decoding anything:
 * per batch of `batchSize`, a conditional PutItem per telegram (the meter's
 * stream, `concurrency` at once as the pipeline works on a batch's meters),
 * then the batch's other items through the batch writer; `batches` batches at
 * once, as gateways deliver them. Returns telegrams per second.
 */
export async function measureWritePattern(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  telegrams: number;
  conditionalPutsPerTelegram: number;
  batchedItemsPerTelegram: number;
  batchSize: number;
  batches: number;
  concurrency: number;
  /** Size of each conditionally put item: the streams' as the run left them. */
  putItemBytes: number;
}): Promise<number> {
  const runId = randomUUID();
  const expiresAt = Math.ceil(Date.now() / 1000) + 3600;
  const writer = createBatchWriter({ doc: options.doc, tableName: options.tableName });
  let nextTelegram = 0;
  let nextItem = 0;
  const item = (bytes = 256) => benchItem(runId, nextItem++, bytes, expiresAt);
  async function batch(): Promise<boolean> {
    const first = nextTelegram;
    const count = Math.min(options.batchSize, options.telegrams - first);
    if (count <= 0) return false;
    nextTelegram += count;
    const puts = Math.round(count * options.conditionalPutsPerTelegram);
    let nextPut = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (nextPut < puts) {
          nextPut += 1;
          await options.doc.send(
            new PutCommand({
              TableName: options.tableName,
              Item: item(options.putItemBytes),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        }
      }),
    );
    const items = Array.from(
      { length: Math.round(count * options.batchedItemsPerTelegram) },
      () => ({ put: item() }),
    );
    await writer.write(items);
    return true;
  }
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.batches }, async () => {
      while (await batch());
    }),
  );
  return options.telegrams / ((performance.now() - started) / 1000);
}
