import { randomUUID } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
  /** `endpoint` is for another process on this machine (a worker the test spawns). */
  table(): { doc: DynamoDBDocumentClient; tableName: string; endpoint: string };
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
      if (!dynamo || !db) throw new Error('dynalite did not start');
      return { doc: dynamo.doc, tableName, endpoint: db.endpoint };
    },
  };
}

/** Every item of the table (strongly consistent), following LastEvaluatedKey. For tests only. */
export async function scanTable(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
