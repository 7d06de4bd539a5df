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
  return queryAllOfPartition(doc, { ...options, index: true });
}

/**
 * Every item of one partition, of the table (strongly consistent) or of the
 * index gsi1, optionally only the sort keys in an inclusive range, following
 * LastEvaluatedKey. For reads that are bounded by their range (a property's
 * days of a month), not for lists that grow without end.
 */
export async function queryAllOfPartition(
  doc: DynamoDBDocumentClient,
  options: {
    tableName: string;
    partition: string;
    index: boolean;
    between?: readonly [string, string];
    newestFirst?: boolean;
  },
): Promise<Item[]> {
  const [pk, sk] = options.index ? ['gsi1pk', 'gsi1sk'] : ['pk', 'sk'];
  const range = options.between;
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: options.tableName,
        ...(options.index ? { IndexName: GSI1 } : { ConsistentRead: true }),
        KeyConditionExpression:
          range === undefined ? `${pk} = :p` : `${pk} = :p AND ${sk} BETWEEN :low AND :high`,
        ExpressionAttributeValues: {
          ':p': options.partition,
          ...(range === undefined ? {} : { ':low': range[0], ':high': range[1] }),
        },
        ScanIndexForward: !options.newestFirst,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
