import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoClients {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

/**
 * One DynamoDB client for any endpoint. The same code path serves dynalite and
 * Amazon DynamoDB: only the endpoint and the credentials' source differ.
 */
export function createDynamoClients(options: {
  region: string;
  /** Omit for Amazon DynamoDB's regional endpoint. */
  endpoint?: string | undefined;
  /** Static credentials for a local DynamoDB; omit to use the AWS default chain. */
  localCredentials?: boolean;
  /**
   * The SDK's attempts per call (default 5). The batch writer's client takes 1:
   * it retries with its own backoff, and nested retries would multiply.
   */
  maxAttempts?: number;
}): DynamoClients {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.localCredentials
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: options.maxAttempts ?? 5,
  });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return { client, doc };
}
