import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { createMemoryShadowStore } from '../../src/iot/local/shadow/memory-shadow-store.js';
import { createDynamoClients, type DynamoClients } from '../../src/store/dynamodb-client.js';
import { createDynamoShadowStore } from '../../src/store/dynamodb-shadow-store.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/store/embedded-dynamodb.js';
import { ensureTable } from '../../src/store/table.js';
import { describeShadowStore } from './shadow-store.contract.js';

describeShadowStore('memory', (now) => createMemoryShadowStore({ now }));

describe('on dynalite', () => {
  let db: EmbeddedDynamo | undefined;
  let dynamo: DynamoClients | undefined;
  // A fresh table per suite: nothing left from another run can satisfy a test.
  const tableName = `zw-shadows-${randomUUID().slice(0, 8)}`;

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

  describeShadowStore('DynamoDB', (now) => {
    if (!dynamo) throw new Error('dynalite did not start');
    return createDynamoShadowStore({ doc: dynamo.doc, tableName, now });
  });
});
