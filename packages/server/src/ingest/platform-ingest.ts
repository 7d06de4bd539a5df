import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IotRegistry } from '../iot/iot-registry.js';
import { DEFAULT_TIME_ZONE } from '../domain/tenancy/property.js';
import { meterKeyIdentity, type Meter } from '../domain/tenancy/meter.js';
import type { KeyVault } from '../keys/key-vault.js';
import { decodeSealedKey } from '../keys/sealed-key.js';
import type { BatchWriter } from '../store/batch-writer.js';
import { createDynamoIngestStore } from '../store/dynamodb-ingest-store.js';
import type { MeterKeyStore } from '../store/dynamodb-meter-key-store.js';
import type { DynamoTenancyStores } from '../store/dynamodb-tenancy-stores.js';
import type { IngestStore, Reading } from './ingest-store.js';
import { createIngestPipeline, type IngestPipeline, type IngestPipelineDeps } from './pipeline.js';

export interface PlatformIngestOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  stores: Pick<DynamoTenancyStores, 'meters' | 'properties'>;
  meterKeys: Pick<MeterKeyStore, 'getMany'>;
  vault: Pick<KeyVault, 'open'>;
  /** The owner of a thing by name: the registry's item locally, DescribeThing on AWS. */
  gatewayOwner: IngestPipelineDeps['gatewayOwner'];
  log: IngestPipelineDeps['log'];
  onReadings?: (readings: readonly Reading[]) => void;
  onAlarms?: IngestPipelineDeps['onAlarms'];
  batchWriter?: BatchWriter;
  lookupTtlMs?: number;
  /** The clock of the caches (tests). */
  now?: () => number;
  /** Meters of one batch worked on at once (the pipeline's default when absent). */
  concurrency?: number;
  /** The store the read routes use too; a new one on the table when absent. */
  store?: IngestStore;
}

/** A gateway's owner from the emulator's registry: one consistent read of the thing item. */
export function registryGatewayOwner(
  registry: Pick<IotRegistry, 'getThing'>,
): IngestPipelineDeps['gatewayOwner'] {
  return async (thingName) => {
    const thing = await registry.getThing(thingName);
    return thing === null
      ? null
      : { partnerId: thing.partnerId, organisationId: thing.organisationId };
  };
}

/** The ingest as the platform runs it: the pipeline over the single table's stores. */
export function createPlatformIngest(options: PlatformIngestOptions): {
  pipeline: IngestPipeline;
  store: IngestStore;
} {
  const store =
    options.store ??
    createDynamoIngestStore({
      doc: options.doc,
      tableName: options.tableName,
      ...(options.batchWriter === undefined ? {} : { batchWriter: options.batchWriter }),
    });
  const { meters, properties } = options.stores;
  const pipeline = createIngestPipeline({
    store,
    log: options.log,
    ...(options.onReadings === undefined ? {} : { onReadings: options.onReadings }),
    ...(options.onAlarms === undefined ? {} : { onAlarms: options.onAlarms }),
    ...(options.lookupTtlMs === undefined ? {} : { lookupTtlMs: options.lookupTtlMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    gatewayOwner: options.gatewayOwner,
    findMeters: (partnerId, identities) => meters.findManyByIdentity(partnerId, identities),
    async propertyTimeZone(partnerId, propertyId) {
      return (await properties.get(partnerId, propertyId))?.timeZone ?? DEFAULT_TIME_ZONE;
    },
    async meterKeys(wanted) {
      const opened = new Map<string, Uint8Array | null>();
      const byPartner = new Map<string, Meter[]>();
      for (const meter of wanted) {
        if (meter.keyRef === undefined) opened.set(meter.id, null);
        else byPartner.set(meter.partnerId, [...(byPartner.get(meter.partnerId) ?? []), meter]);
      }
      for (const [partnerId, group] of byPartner) {
        const stored = await options.meterKeys.getMany(
          partnerId,
          group.map((meter) => ({ meterId: meter.id, keyRef: meter.keyRef! })),
        );
        for (const meter of group) {
          const key = stored.get(meter.id);
          // The identity is rebuilt from the meter, never taken from the stored item: an
          // envelope moved onto another meter does not open.
          opened.set(
            meter.id,
            key === undefined
              ? null
              : await options.vault.open(decodeSealedKey(key.sealedKey), {
                  partnerId,
                  meterIdentity: meterKeyIdentity(meter),
                }),
          );
        }
      }
      return opened;
    },
  });
  return { pipeline, store };
}
