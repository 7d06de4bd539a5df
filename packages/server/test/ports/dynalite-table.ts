import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDynamoClients, type DynamoClients } from '../../src/store/dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/store/embedded-dynamodb.js';
import { ensureTable } from '../../src/store/table.js';

/**
 * Starts dynalite with a fresh table for the enclosing describe block (nothing
 * left from another run can satisfy a test) and stops it afterwards. Call
 * `table()` inside tests or factories, once the hooks have run.
 */
export function useDynaliteTable(prefix: string): {
  table(): { doc: DynamoDBDocumentClient; tableName: string };
} {
  let db: EmbeddedDynamo | undefined;
  let dynamo: DynamoClients | undefined;
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;

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

  return {
    table() {
      if (!dynamo) throw new Error('dynalite did not start');
      return { doc: dynamo.doc, tableName };
    },
  };
}
