import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/** What a fault rule answers instead of forwarding. */
export type ProxyFault = 'throttle' | 'internal-error' | 'reset';

export interface FaultRule {
  /** An operation (`BatchWriteItem`) or a whole X-Amz-Target (`DynamoDB_20120810.BatchWriteItem`). */
  operation: string;
  /** Default `throttle`: 400 ProvisionedThroughputExceededException. */
  fault?: ProxyFault;
  /** Fail the next `next` requests of the operation; the rule is spent after that. */
  next?: number;
  /** Otherwise fail this share (0–1) of them for as long as the rule stays. */
  fraction?: number;
}

export interface PartialBatchRule {
  /** Share (0–1) of BatchWriteItem calls that are cut; default 1. */
  fraction?: number;
  /**
   * Share (0–1) of a cut call's items that reach the table; default 0.5. When
   * that rounds down to none, the call is answered as DynamoDB does when it can
   * process none: ProvisionedThroughputExceededException.
   */
  keep?: number;
}

export interface ProxyCounters {
  /** Requests received, by operation. */
  received: Record<string, number>;
  /** Requests passed on to the table (cut or whole). */
  forwarded: number;
  throttled: number;
  internalErrors: number;
  resets: number;
  /** BatchWriteItem calls of which only some items were passed on. */
  partialBatches: number;
  /** Items those calls returned as UnprocessedItems. */
  itemsHeldBack: number;
  /** The most requests the proxy was answering at one time. */
  maxConcurrent: number;
}

export interface ThrottlingProxy {
  /** http://127.0.0.1:PORT, for a DynamoDB client's `endpoint`. */
  endpoint: string;
  /** Adds a rule; the first rule that fires for a request decides. */
  fail(rule: FaultRule): void;
  partialBatches(rule: PartialBatchRule | null): void;
  /** Removes every rule: the proxy forwards everything again. Counters stay. */
  clearRules(): void;
  counters(): ProxyCounters;
  close(): Promise<void>;
}

type WireRequest = Record<string, unknown>;

const THROTTLE_BODY = {
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
};
const INTERNAL_ERROR_BODY = {
  __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
  message: 'Internal server error',
};
// Connection-scoped headers are the proxy's own on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

/**
 * An HTTP proxy in front of a DynamoDB endpoint (dynalite) for fault tests: it
 * forwards requests unchanged until a rule says otherwise, then answers with
 * throttling, a server error or a dropped connection, or passes on only part of
 * a BatchWriteItem and reports the rest as UnprocessedItems, as DynamoDB does
 * under load. dynalite does not check signatures, so a cut body still passes.
 */
export async function startThrottlingProxy(options: {
  /** The table's endpoint, http://host:port. */
  upstream: string;
  random?: () => number;
}): Promise<ThrottlingProxy> {
  const upstream = new URL(options.upstream);
  const random = options.random ?? Math.random;
  const agent = new Agent({ keepAlive: true });
  let faults: Array<FaultRule & { left?: number }> = [];
  let partial: PartialBatchRule | null = null;
  const counters: ProxyCounters = {
    received: {},
    forwarded: 0,
    throttled: 0,
    internalErrors: 0,
    resets: 0,
    partialBatches: 0,
    itemsHeldBack: 0,
    maxConcurrent: 0,
  };
  let inFlight = 0;

  function firingFault(target: string, operation: string): ProxyFault | undefined {
    for (const rule of faults) {
      if (rule.operation !== operation && rule.operation !== target) continue;
      if (rule.left !== undefined) {
        if (rule.left <= 0) continue;
        rule.left -= 1;
        return rule.fault ?? 'throttle';
      }
      if (random() < (rule.fraction ?? 0)) return rule.fault ?? 'throttle';
    }
    return undefined;
  }

  function answer(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer) {
    res.writeHead(status, {
      ...headers,
      'content-length': body.length,
      // The checksum DynamoDB sends over the body; clients that check it must see a right one.
      'x-amz-crc32': String(crc32(body)),
    });
    res.end(body);
  }

  function answerJson(res: ServerResponse, status: number, body: unknown) {
    answer(
      res,
      status,
      {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `proxy-${Date.now().toString(36)}`,
      },
      Buffer.from(JSON.stringify(body)),
    );
  }

  function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    counters.forwarded += 1;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && name !== 'accept-encoding') headers[name] = value;
    }
    headers['content-length'] = body.length;
    headers['host'] = upstream.host;
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          agent,
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  function relay(
    res: ServerResponse,
    reply: { status: number; headers: IncomingHttpHeaders; body: Buffer },
  ) {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.headers)) {
      if (!HOP_BY_HOP.has(name) && name !== 'content-length' && name !== 'x-amz-crc32') {
        headers[name] = value;
      }
    }
    answer(res, reply.status, headers, reply.body);
  }

  async function cutBatch(req: IncomingMessage, res: ServerResponse, body: Buffer, keep: number) {
    const input = JSON.parse(body.toString('utf8')) as {
      RequestItems: Record<string, WireRequest[]>;
    };
    const entries = Object.entries(input.RequestItems).flatMap(([table, list]) =>
      list.map((request) => ({ table, request })),
    );
    const kept = Math.floor(entries.length * keep);
    if (kept === 0) {
      counters.throttled += 1;
      answerJson(res, 400, THROTTLE_BODY);
      return;
    }
    // A random subset, so that a client that re-sends "the tail" instead of what
    // it was told is caught.
    const order = entries.map((entry) => ({ entry, r: random() })).sort((a, b) => a.r - b.r);
    const pass = order.slice(0, kept).map((o) => o.entry);
    const held = order.slice(kept).map((o) => o.entry);
    const group = (list: typeof entries) => {
      const byTable: Record<string, WireRequest[]> = {};
      for (const { table, request } of list) (byTable[table] ??= []).push(request);
      return byTable;
    };
    const reply = await forward(
      req,
      Buffer.from(JSON.stringify({ ...input, RequestItems: group(pass) })),
    );
    if (reply.status !== 200) {
      relay(res, reply);
      return;
    }
    const output = JSON.parse(reply.body.toString('utf8')) as {
      UnprocessedItems?: Record<string, WireRequest[]>;
    };
    const unprocessed = output.UnprocessedItems ?? {};
    for (const [table, list] of Object.entries(group(held))) {
      unprocessed[table] = [...(unprocessed[table] ?? []), ...list];
    }
    counters.partialBatches += 1;
    counters.itemsHeldBack += held.length;
    relay(res, {
      ...reply,
      body: Buffer.from(JSON.stringify({ ...output, UnprocessedItems: unprocessed })),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.lastIndexOf('.') + 1);
    counters.received[operation] = (counters.received[operation] ?? 0) + 1;

    const fault = firingFault(target, operation);
    if (fault === 'reset') {
      counters.resets += 1;
      req.socket.destroy();
      return;
    }
    if (fault === 'throttle') {
      counters.throttled += 1;
      answerJson(res, 400, THROTTLE_BODY);
      return;
    }
    if (fault === 'internal-error') {
      counters.internalErrors += 1;
      answerJson(res, 500, INTERNAL_ERROR_BODY);
      return;
    }
    if (operation === 'BatchWriteItem' && partial && random() < (partial.fraction ?? 1)) {
      await cutBatch(req, res, body, partial.keep ?? 0.5);
      return;
    }
    relay(res, await forward(req, body));
  }

  const server = createServer((req, res) => {
    inFlight += 1;
    counters.maxConcurrent = Math.max(counters.maxConcurrent, inFlight);
    res.on('close', () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        // The table went away or answered garbage: the client sees a dropped connection.
        req.socket.destroy();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    fail(rule) {
      faults.push({ ...rule, ...(rule.next !== undefined ? { left: rule.next } : {}) });
    },
    partialBatches(rule) {
      partial = rule;
    },
    clearRules() {
      faults = [];
      partial = null;
    },
    counters() {
      return { ...counters, received: { ...counters.received } };
    },
    close() {
      agent.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}
