import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { StorageCheck, StorageHealth } from '../domain/ports.js';

/** Attribute that DynamoDB's TTL reads: seconds since the epoch. */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * The platform's single table: generic `pk`/`sk` keys and one overloaded
 * index; the key design itself is described in ./README.md.
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Creates the table when it does not exist yet; returns whether it did. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (err) {
    // Another process created it between our describe and create.
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite does not implement TTL; Amazon DynamoDB does. Expiry is a cost
    // saving, not a correctness property: readers also filter on expiresAt.
    if ((err as Error).name !== 'UnknownOperationException') throw err;
  }
  return true;
}

/** The StorageHealth port over DescribeTable. */
export function dynamoStorageHealth(client: DynamoDBClient, tableName: string): StorageHealth {
  return {
    async check(signal?: AbortSignal): Promise<StorageCheck> {
      try {
        const out = await client.send(
          new DescribeTableCommand({ TableName: tableName }),
          signal ? { abortSignal: signal } : {},
        );
        const tableStatus = out.Table?.TableStatus ?? 'UNKNOWN';
        return tableStatus === 'ACTIVE' || tableStatus === 'UPDATING'
          ? { status: 'ok', table: tableName, tableStatus }
          : { status: 'unavailable', table: tableName, reason: `table is ${tableStatus}` };
      } catch (err) {
        const e = err as Error;
        return { status: 'unavailable', table: tableName, reason: e.name || 'Error' };
      }
    },
  };
}
