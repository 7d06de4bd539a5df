import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createContractGate } from './ingest/contract-gate.js';
import { encodeIngestEvents } from './ingest/ingest-events.js';
import {
  createMqttIngestWorker,
  type MqttIngestWorker,
  type MqttIngestWorkerOptions,
} from './ingest/mqtt-worker.js';
import type { IngestPipelineDeps } from './ingest/pipeline.js';
import { createPlatformIngest } from './ingest/platform-ingest.js';
import { INGEST_EVENTS_TOPIC } from './iot/ingest-republish.js';
import type { PlatformServices } from './platform-services.js';
import { createDynamoWebhookStore } from './store/dynamodb-webhook-store.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface IngestWorkerOptions {
  mqtt: Pick<
    MqttIngestWorkerOptions,
    'url' | 'servername' | 'caPem' | 'certPem' | 'keyPem' | 'clientId' | 'sessions'
  >;
  doc: DynamoDBDocumentClient;
  tableName: string;
  services: Pick<PlatformServices, 'stores' | 'meterKeys' | 'vault'>;
  gatewayOwner: IngestPipelineDeps['gatewayOwner'];
  /** Webhooks may go to loopback and private addresses (development, the demo). */
  webhookAllowLocalUrls: boolean;
  log: MqttIngestWorkerOptions['log'] & IngestPipelineDeps['log'];
}

export interface RunningIngestWorker {
  worker: MqttIngestWorker;
  webhooks: WebhookDispatcher;
  /** Finishes the batch in hand, disconnects, and ends the webhook retries. */
  stop(): Promise<void>;
}

/**
 * An ingest worker as `zw-server ingest-worker` runs it, and as the platform
 * runs its own with `--ingest mqtt`: the shared subscription, the contract
 * gate and the pipeline, and what follows a stored batch. That is everything
 * the in-process ingest does after storing, except the live hub, which lives
 * in the API servers: the worker delivers the webhooks itself (each batch is
 * one worker's, so each event is delivered once) and publishes the readings
 * and alarm changes on the ingest events topic, from which every API server
 * feeds its live subscribers.
 */
export async function startIngestWorker(
  options: IngestWorkerOptions,
): Promise<RunningIngestWorker> {
  const { log, services } = options;
  const webhooks = new WebhookDispatcher({
    store: createDynamoWebhookStore({ doc: options.doc, tableName: options.tableName }),
    vault: services.vault,
    allowLocal: options.webhookAllowLocalUrls,
    log,
  });
  // The closures below run for batches, which arrive only once `worker` (below) has started.
  const tell = (messages: string[]) => {
    for (const message of messages) void worker.publish(INGEST_EVENTS_TOPIC, message, 0);
  };
  const { pipeline } = createPlatformIngest({
    doc: options.doc,
    tableName: options.tableName,
    stores: services.stores,
    meterKeys: services.meterKeys,
    vault: services.vault,
    gatewayOwner: options.gatewayOwner,
    log,
    onReadings: (readings) => {
      webhooks.onReadings(readings);
      tell(encodeIngestEvents({ readings }));
    },
    onAlarms: (alarms) => {
      webhooks.onAlarms(alarms);
      tell(encodeIngestEvents({ alarms }));
    },
  });
  // A batch that breaks the contract is answered on the gateway's errors topic, as in-process.
  const gate = createContractGate({
    publish: (topic, payload) => worker.publish(topic, payload),
    onBatch: async (batch, delivery) => {
      await pipeline.handle(batch, delivery);
    },
    log,
  });
  const worker: MqttIngestWorker = createMqttIngestWorker({
    ...options.mqtt,
    handle: (delivery) => gate.handle(delivery),
    log,
  });
  try {
    await worker.start();
  } catch (error) {
    await worker.stop(0).catch(() => undefined);
    await webhooks.close();
    throw error;
  }
  return {
    worker,
    webhooks,
    async stop() {
      await worker.stop();
      await webhooks.close();
    },
  };
}
