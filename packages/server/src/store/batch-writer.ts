import { setTimeout as delay } from 'node:timers/promises';
import {
  BatchWriteCommand,
  type BatchWriteWriteRequest,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';

/** BatchWriteItem takes at most 25 requests per call. */
export const BATCH_WRITE_LIMIT = 25;

export type BatchWriteRequest =
  { put: Record<string, unknown> } | { delete: { pk: string; sk: string } };

/** What one `write()` did. */
export interface BatchWriteReport {
  /** Requests handed in. */
  requests: number;
  /** Items written (put or deleted): one per distinct key. */
  items: number;
  /** Requests dropped because a later request in the same call had the same key. */
  superseded: number;
  /** BatchWriteItem calls made, retries included. */
  batches: number;
  /** Items sent again because DynamoDB returned them as UnprocessedItems. */
  unprocessedRetried: number;
  /** Calls sent again after a retryable error (throttling, 5xx, network). */
  throttledRetried: number;
}

/** Totals over the writer's life, for benchmarks and fault tests. */
export interface BatchWriterStats {
  requests: number;
  items: number;
  unprocessedRetried: number;
  throttledRetried: number;
  batches: number;
  /**
   * Retries the AWS SDK made inside our calls (from `$metadata.attempts`).
   * Zero when the client has `maxAttempts: 1`, as it should (see createBatchWriter).
   */
  sdkRetried: number;
}

export interface BatchWriter {
  /**
   * Writes every request, or rejects with a DomainError that says how many
   * items were not written. Within one call the last request per (pk, sk)
   * wins, since DynamoDB refuses a batch that names a key twice; so callers
   * that may repeat a key must put the item they want to end up with last.
   * Items are written in no particular order, and a retried call writes an
   * item again: callers write deterministic items, so that is harmless.
   */
  write(requests: readonly BatchWriteRequest[]): Promise<BatchWriteReport>;
  stats(): BatchWriterStats;
}

export interface BatchWriterOptions {
  /**
   * Its client should have `maxAttempts: 1` (createDynamoClients' option):
   * the writer retries throttling, 5xx and network errors itself. With the
   * SDK's retries left on it still works, but each of our attempts may hide up
   * to the SDK's own (5 by default, with backoff we cannot shorten), so a
   * throttled table sees up to 40 calls per chunk and a test cannot run fast.
   */
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** BatchWriteItem calls per chunk, the first included, before giving up. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Chunks in flight at once, across all concurrent `write()` calls. */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter's source. */
  random?: () => number;
}

type Key = { pk: string; sk: string };
type Chunk = { index: number; first: number; requests: BatchWriteWriteRequest[] };
type ChunkOutcome =
  | { ok: true }
  | {
      ok: false;
      unwritten: BatchWriteWriteRequest[];
      /** Undefined when another chunk's failure stopped this one (before or between its calls). */
      cause?: { error: unknown; retryable: boolean; attempts: number };
    };

// DynamoDB's throttling and server-side names, and the SDK's timeouts.
const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

// A connection that failed or dropped; a write it carried may or may not have
// landed, which is harmless because the items are written again unchanged.
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Whether a failed BatchWriteItem call may succeed when sent again unchanged. */
export function isRetryableWriteError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e.name === 'string' && RETRYABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRYABLE_NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/**
 * Writes many items with BatchWriteItem: in chunks of 25, a few chunks at a
 * time, retrying UnprocessedItems and retryable errors with exponential
 * backoff and full jitter (delay = random · min(maxDelay, base · 2^(attempt−1))).
 * A non-retryable error (validation, item too large, missing table) fails the
 * write at once; running out of attempts fails it too. Either way no further
 * chunk is started, chunks in flight stop before their next retry, and the
 * error counts every item that was not written.
 */
export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const { doc, tableName } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 25;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const concurrency = options.concurrency ?? 4;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError('maxAttempts must be a positive integer');
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError('concurrency must be a positive integer');
  }

  const totals: BatchWriterStats = {
    requests: 0,
    items: 0,
    unprocessedRetried: 0,
    throttledRetried: 0,
    batches: 0,
    sdkRetried: 0,
  };

  // One limit for the whole writer, so that concurrent writes (ingest workers)
  // together stay within it.
  let active = 0;
  const waiting: Array<() => void> = [];
  async function acquire(): Promise<void> {
    if (active < concurrency) {
      active += 1;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  }

  function countSdkRetries(meta: { attempts?: number } | undefined): void {
    if (meta?.attempts && meta.attempts > 1) totals.sdkRetried += meta.attempts - 1;
  }

  async function sendChunk(
    chunk: Chunk,
    report: BatchWriteReport,
    stopped: () => boolean,
  ): Promise<ChunkOutcome> {
    let pending = chunk.requests;
    let lastError: unknown;
    for (let attempt = 1; ; attempt += 1) {
      report.batches += 1;
      totals.batches += 1;
      let left: BatchWriteWriteRequest[];
      try {
        const out = await doc.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
        );
        countSdkRetries(out.$metadata);
        left = out.UnprocessedItems?.[tableName] ?? [];
        lastError = undefined;
      } catch (err) {
        countSdkRetries((err as { $metadata?: { attempts?: number } }).$metadata);
        if (!isRetryableWriteError(err)) {
          return {
            ok: false,
            unwritten: pending,
            cause: { error: err, retryable: false, attempts: attempt },
          };
        }
        left = pending;
        lastError = err;
      }
      const written = pending.length - left.length;
      report.items += written;
      totals.items += written;
      if (left.length === 0) return { ok: true };
      if (attempt >= maxAttempts) {
        return {
          ok: false,
          unwritten: left,
          cause: { error: lastError, retryable: true, attempts: attempt },
        };
      }
      if (stopped()) return { ok: false, unwritten: left };
      await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      if (stopped()) return { ok: false, unwritten: left };
      if (lastError === undefined) {
        report.unprocessedRetried += left.length;
        totals.unprocessedRetried += left.length;
      } else {
        report.throttledRetried += 1;
        totals.throttledRetried += 1;
      }
      pending = left;
    }
  }

  return {
    async write(requests) {
      const unique = lastPerKey(requests);
      const report: BatchWriteReport = {
        requests: requests.length,
        items: 0,
        superseded: requests.length - unique.length,
        batches: 0,
        unprocessedRetried: 0,
        throttledRetried: 0,
      };
      totals.requests += requests.length;
      const chunks: Chunk[] = [];
      for (let first = 0; first < unique.length; first += BATCH_WRITE_LIMIT) {
        chunks.push({
          index: chunks.length,
          first,
          requests: unique.slice(first, first + BATCH_WRITE_LIMIT),
        });
      }

      let failed = false;
      const stopped = () => failed;
      const outcomes = await Promise.all(
        chunks.map(async (chunk): Promise<ChunkOutcome> => {
          await acquire();
          try {
            if (failed) return { ok: false, unwritten: chunk.requests };
            const outcome = await sendChunk(chunk, report, stopped);
            if (!outcome.ok) failed = true;
            return outcome;
          } finally {
            release();
          }
        }),
      );

      if (!failed) return report;
      throw writeFailure(tableName, chunks, outcomes, unique.length, report);
    },
    stats() {
      return { ...totals };
    },
  };
}

/** The requests in first-seen key order, each key holding its last request. */
function lastPerKey(requests: readonly BatchWriteRequest[]): BatchWriteWriteRequest[] {
  const byKey = new Map<string, BatchWriteWriteRequest>();
  requests.forEach((request, i) => {
    const key = 'put' in request ? request.put : request.delete;
    const { pk, sk } = key as Partial<Record<'pk' | 'sk', unknown>>;
    if (typeof pk !== 'string' || typeof sk !== 'string' || pk === '' || sk === '') {
      throw new DomainError('INTERNAL_ERROR', `batch write request ${i} has no string pk and sk`);
    }
    byKey.set(
      JSON.stringify([pk, sk]),
      'put' in request
        ? { PutRequest: { Item: request.put } }
        : { DeleteRequest: { Key: { pk, sk } } },
    );
  });
  return [...byKey.values()];
}

function keyOf(request: BatchWriteWriteRequest): Key {
  const source = request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {};
  return { pk: String(source['pk']), sk: String(source['sk']) };
}

function errorText(err: unknown): string {
  if (err === undefined) return 'items returned as UnprocessedItems';
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const name = typeof code === 'string' && err.name === 'Error' ? code : err.name;
    return err.message ? `${name}: ${err.message}` : name;
  }
  return String(err);
}

function writeFailure(
  tableName: string,
  chunks: readonly Chunk[],
  outcomes: readonly ChunkOutcome[],
  total: number,
  report: BatchWriteReport,
): DomainError {
  const unwrittenKeys = outcomes.flatMap((o) => (o.ok ? [] : o.unwritten.map(keyOf)));
  const unwritten = unwrittenKeys.length;
  // Name the first chunk that failed by itself; the ones merely not sent follow from it.
  const at = outcomes.findIndex((o) => !o.ok && o.cause !== undefined);
  const chunk = chunks[at]!;
  const outcome = outcomes[at] as Extract<ChunkOutcome, { ok: false }>;
  const cause = outcome.cause!;
  const first = keyOf(chunk.requests[0]!);
  const where =
    `chunk ${chunk.index + 1} of ${chunks.length} (items ${chunk.first + 1}–` +
    `${chunk.first + chunk.requests.length}, first key ${first.pk} / ${first.sk})`;
  const lost = `${unwritten} of ${total} items not written`;
  const message = cause.retryable
    ? `BatchWriteItem to ${tableName}: ${lost}; ${where} gave up after ${cause.attempts} attempts (last: ${errorText(cause.error)})`
    : `BatchWriteItem to ${tableName} failed for ${where}: ${errorText(cause.error)}; ${lost}`;
  return new DomainError(cause.retryable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR', message, {
    cause: cause.error,
    details: {
      tableName,
      total,
      written: report.items,
      unwritten,
      chunk: chunk.index + 1,
      chunks: chunks.length,
      attempts: cause.attempts,
      unwrittenKeys,
    },
  });
}
