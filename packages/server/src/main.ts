import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createDynamoClients, type DynamoClients } from './store/dynamodb-client.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './store/embedded-dynamodb.js';
import { dynamoStorageHealth, ensureTable } from './store/table.js';

export interface Platform {
  app: FastifyInstance;
  /** Where the API listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /** The DynamoDB endpoint in use (the embedded one, or the configured one). */
  dynamodbEndpoint: string;
  dynamo: DynamoClients;
  /** Stops serving, then the DynamoDB client, then the embedded DynamoDB. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs the platform for a configuration: the embedded DynamoDB unless an
 * endpoint is configured, the table, the API. Used by `zw-server start` and by tests.
 */
export async function startPlatform(config: Config): Promise<Platform> {
  let embedded: EmbeddedDynamo | undefined;
  if (!config.dynamodbEndpoint) {
    embedded = await startEmbeddedDynamo({ dataDir: config.dataDir, port: config.dynamodbPort });
  }
  const endpoint = config.dynamodbEndpoint ?? embedded?.endpoint;
  const dynamo = createDynamoClients({
    region: config.region,
    endpoint,
    localCredentials: embedded !== undefined,
  });

  let app: FastifyInstance | undefined;
  const stop = async () => {
    await app?.close();
    dynamo.client.destroy();
    await embedded?.close();
  };
  try {
    await ensureTable(dynamo.client, config.table);
    app = await buildApp({
      storage: dynamoStorageHealth(dynamo.client, config.table),
      logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    });
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${host}:${port}`,
    dynamodbEndpoint: endpoint ?? `dynamodb.${config.region}.amazonaws.com`,
    dynamo,
    close: () => (closing ??= stop()),
  };
}
