import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDynamoClients, type DynamoClients } from '../src/store/dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../src/store/embedded-dynamodb.js';
import { dynamoStorageHealth, ensureTable } from '../src/store/table.js';

describe('GET /health', () => {
  let db: EmbeddedDynamo;
  let dynamo: DynamoClients;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    dynamo = createDynamoClients({
      region: 'eu-central-1',
      endpoint: db.endpoint,
      localCredentials: true,
    });
    await ensureTable(dynamo.client, 'zw-health');
  });
  afterAll(async () => {
    dynamo.client.destroy();
    await db.close();
  });

  async function appFor(table: string, clients = dynamo): Promise<FastifyInstance> {
    return buildApp({ storage: dynamoStorageHealth(clients.client, table) });
  }

  it('is ok when the table is reachable', async () => {
    const app = await appFor('zw-health');
    const res = await app.inject({ url: '/health' });
    await app.close();
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toMatchObject({
      status: 'ok',
      checks: { table: { status: 'ok', table: 'zw-health', tableStatus: 'ACTIVE' } },
    });
  });

  it('is unavailable, with the reason, when the table does not exist', async () => {
    const app = await appFor('missing');
    const res = await app.inject({ url: '/health' });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'unavailable',
      checks: { table: { status: 'unavailable', reason: 'ResourceNotFoundException' } },
    });
  });

  it('is unavailable when DynamoDB cannot be reached at all', async () => {
    const closed = await startEmbeddedDynamo({});
    await closed.close();
    const gone = createDynamoClients({
      region: 'eu-central-1',
      endpoint: closed.endpoint,
      localCredentials: true,
    });
    const app = await appFor('zw-health', gone);
    const res = await app.inject({ url: '/health' });
    await app.close();
    gone.client.destroy();
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.table.status).toBe('unavailable');
  });
});
