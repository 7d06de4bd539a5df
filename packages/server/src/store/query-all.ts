import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GSI1 } from './keys.js';

type Item = Record<string, unknown>;

/**
 * Every item of one partition of the overloaded index gsi1, following
 * LastEvaluatedKey. Only for partitions that stay small (a thing's
 * certificates, its named shadows); lists that grow are paginated instead.
 */
export async function queryAllOfIndexPartition(
  doc: DynamoDBDocumentClient,
  options: { tableName: string; partition: string; newestFirst?: boolean },
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: options.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': options.partition },
        ScanIndexForward: !options.newestFirst,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
