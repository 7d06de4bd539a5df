import { crc32 } from 'node:zlib';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients, type DynamoClients } from '../../src/store/dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/store/embedded-dynamodb.js';
import { ensureTable } from '../../src/store/table.js';
import { startThrottlingProxy, type ThrottlingProxy } from './throttling-proxy.js';

describe('throttling proxy in front of dynalite', () => {
  let db: EmbeddedDynamo;
  let proxy: ThrottlingProxy;
  let direct: DynamoClients;
  let proxied: DynamoClients;
  let table = '';
  let tables = 0;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    proxy = await startThrottlingProxy({ upstream: db.endpoint });
    const clients = (endpoint: string) =>
      createDynamoClients({
        region: 'eu-central-1',
        endpoint,
        localCredentials: true,
        maxAttempts: 1,
      });
    direct = clients(db.endpoint);
    proxied = clients(proxy.endpoint);
  });
  afterAll(async () => {
    direct.client.destroy();
    proxied.client.destroy();
    await proxy.close();
    await db.close();
  });

  async function freshTable(): Promise<string> {
    proxy.clearRules();
    tables += 1;
    table = `zw-proxy-${tables}`;
    await ensureTable(direct.client, table);
    return table;
  }

  it('forwards requests unchanged when no rule fires', async () => {
    const tableName = await freshTable();
    const before = proxy.counters();
    const item = { pk: 'P#a', sk: '1', n: 42, tags: new Set(['x', 'y']), nested: { ok: true } };
    await proxied.doc.send(new PutCommand({ TableName: tableName, Item: item }));
    const viaProxy = await proxied.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'P#a', sk: '1' }, ConsistentRead: true }),
    );
    const viaTable = await direct.doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'P#a' },
      }),
    );
    expect(viaProxy.Item).toEqual(item);
    expect(viaTable.Items).toEqual([item]);
    const after = proxy.counters();
    expect(after.forwarded - before.forwarded).toBe(2);
    expect(after.received['PutItem']).toBeGreaterThanOrEqual(1);
    expect(after.throttled).toBe(before.throttled);
  });

  it('throttles the next N requests of one operation only', async () => {
    const tableName = await freshTable();
    const before = proxy.counters();
    proxy.fail({ operation: 'GetItem', next: 2 });
    const get = () =>
      proxied.doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'P#b', sk: '1' } }));

    await proxied.doc.send(new PutCommand({ TableName: tableName, Item: { pk: 'P#b', sk: '1' } }));
    await expect(get()).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(get()).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect((await get()).Item).toEqual({ pk: 'P#b', sk: '1' });
    expect(proxy.counters().throttled - before.throttled).toBe(2);
  });

  it('answers server errors and drops connections when told to', async () => {
    const tableName = await freshTable();
    proxy.fail({ operation: 'DynamoDB_20120810.PutItem', fault: 'internal-error', next: 1 });
    proxy.fail({ operation: 'PutItem', fault: 'reset', next: 1 });
    const put = () =>
      proxied.doc.send(new PutCommand({ TableName: tableName, Item: { pk: 'P#c', sk: '1' } }));
    await expect(put()).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(put()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await put();
    const c = proxy.counters();
    expect(c.internalErrors).toBe(1);
    expect(c.resets).toBe(1);
  });

  it('passes on part of a BatchWriteItem and reports the rest as unprocessed', async () => {
    const tableName = await freshTable();
    proxy.partialBatches({ keep: 0.4 });
    const items = Array.from({ length: 20 }, (_, i) => ({
      pk: 'P#d',
      sk: String(i).padStart(2, '0'),
      i,
    }));
    const out = await proxied.doc.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: items.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
    const unprocessed = (out.UnprocessedItems?.[tableName] ?? []).map((r) => r.PutRequest?.Item);
    const stored = (
      await direct.doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))
    ).Items;
    expect(unprocessed).toHaveLength(12);
    expect(stored).toHaveLength(8);
    const bySk = (a: { sk?: unknown }, b: { sk?: unknown }) =>
      String(a.sk).localeCompare(String(b.sk));
    expect([...(stored ?? []), ...unprocessed.map((u) => u!)].sort(bySk)).toEqual(items);
    expect(proxy.counters()).toMatchObject({ partialBatches: 1, itemsHeldBack: 12 });
  });

  it('sends a body whose length and CRC32 match what it rewrote', async () => {
    const tableName = await freshTable();
    proxy.partialBatches({ keep: 0.5 });
    const body = JSON.stringify({
      RequestItems: {
        [tableName]: [1, 2, 3, 4].map((n) => ({
          PutRequest: { Item: { pk: { S: 'P#e' }, sk: { S: String(n) } } },
        })),
      },
    });
    // dynalite wants a SigV4-shaped header but does not check the signature.
    const res = await fetch(`${proxy.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.BatchWriteItem',
        'x-amz-date': '20250101T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20250101/eu-central-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
      },
      body,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(res.headers.get('x-amz-crc32')).toBe(String(crc32(bytes)));
    const reply = JSON.parse(bytes.toString('utf8')) as {
      UnprocessedItems: Record<string, unknown[]>;
    };
    expect(reply.UnprocessedItems[tableName]).toHaveLength(2);
  });

  it('throttles a batch of which it would pass on nothing, as DynamoDB does', async () => {
    const tableName = await freshTable();
    proxy.partialBatches({ keep: 0.4 });
    const before = proxy.counters();
    await expect(
      proxied.doc.send(
        new BatchWriteCommand({
          RequestItems: { [tableName]: [{ PutRequest: { Item: { pk: 'P#f', sk: '1' } } }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(proxy.counters().throttled - before.throttled).toBe(1);
    expect(proxy.counters().forwarded).toBe(before.forwarded);
  });
});
