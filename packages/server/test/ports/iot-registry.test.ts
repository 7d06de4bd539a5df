import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { createMemoryIotRegistry } from '../../src/iot/memory-iot-registry.js';
import { createDynamoClients, type DynamoClients } from '../../src/store/dynamodb-client.js';
import { createDynamoIotRegistry } from '../../src/store/dynamodb-iot-registry.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/store/embedded-dynamodb.js';
import { ensureTable } from '../../src/store/table.js';
import { describeIotRegistry } from './iot-registry.contract.js';

describeIotRegistry('memory', () => createMemoryIotRegistry());

describe('on dynalite', () => {
  let db: EmbeddedDynamo | undefined;
  let dynamo: DynamoClients | undefined;
  // A fresh table per suite: nothing left from another run can satisfy a test.
  const tableName = `zw-iot-registry-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    dynamo = createDynamoClients({
      region: 'eu-central-1',
      endpoint: db.endpoint,
      localCredentials: true,
    });
    await ensureTable(dynamo.client, tableName);
  });
  afterAll(async () => {
    dynamo?.client.destroy();
    await db?.close();
  });

  describeIotRegistry('DynamoDB', () => {
    if (!dynamo) throw new Error('dynalite did not start');
    return createDynamoIotRegistry({ doc: dynamo.doc, tableName });
  });
});
