import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClients, type DynamoClients } from './dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb.js';
import { dynamoStorageHealth, ensureTable } from './table.js';

describe('table', () => {
  let db: EmbeddedDynamo;
  let dynamo: DynamoClients;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    dynamo = createDynamoClients({
      region: 'eu-central-1',
      endpoint: db.endpoint,
      localCredentials: true,
    });
  });
  afterAll(async () => {
    dynamo.client.destroy();
    await db.close();
  });

  it('creates the table once, with its keys and index', async () => {
    expect(await ensureTable(dynamo.client, 'zw-test')).toBe(true);
    expect(await ensureTable(dynamo.client, 'zw-test')).toBe(false);
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'zw-test' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);
  });

  it('reports the table as reachable, then as missing once it is gone', async () => {
    await ensureTable(dynamo.client, 'zw-health');
    const health = dynamoStorageHealth(dynamo.client, 'zw-health');
    expect(await health.check()).toEqual({
      status: 'ok',
      table: 'zw-health',
      tableStatus: 'ACTIVE',
    });
    await dynamo.client.send(new DeleteTableCommand({ TableName: 'zw-health' }));
    expect(await health.check()).toEqual({
      status: 'unavailable',
      table: 'zw-health',
      reason: 'ResourceNotFoundException',
    });
  });
});
