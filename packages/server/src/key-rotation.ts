import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { ConfigError, parseConfig } from './config.js';
import { everyItem } from './domain/tenancy/every-item.js';
import type { PartnerStore } from './domain/tenancy/ports.js';
import {
  createKeyVault,
  createKmsMasterKey,
  decodeSealedKey,
  encodeSealedKey,
  LocalMasterKey,
  MASTER_KEY_FILE,
  rotateAll,
  type KeyVault,
  type MasterKey,
  type RotationFailure,
  type SealedKey,
} from './keys/index.js';
import { createDynamoClients, type DynamoClients } from './store/dynamodb-client.js';
import {
  createDynamoMeterKeyStore,
  type MeterKeyStore,
  type StoredMeterKey,
} from './store/dynamodb-meter-key-store.js';
import { createDynamoTenancyStores } from './store/dynamodb-tenancy-stores.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './store/embedded-dynamodb.js';

/** What the rewrap reads and writes: the partners, their stored meter keys, the vault. */
export interface MeterKeyRewrapDeps {
  vault: KeyVault;
  partners: Pick<PartnerStore, 'list'>;
  meterKeys: Pick<MeterKeyStore, 'list' | 'rewrap'>;
}

export interface RewrapCounts {
  scanned: number;
  rewrapped: number;
  /** Already under the current master key. */
  current: number;
  failed: number;
  /** Of `failed`: changed by another writer between read and write (that write won). */
  superseded: number;
}

export interface PartnerRewrapReport extends RewrapCounts {
  partnerId: string;
  /** Stored keys found under each master key id, the current one included. */
  byMasterKey: Record<string, number>;
  failures: RotationFailure[];
}

export interface MeterKeyRewrapReport {
  /** The master key everything was rewrapped to. */
  masterKeyId: string;
  partners: PartnerRewrapReport[];
  total: RewrapCounts;
}

function countLine(c: RewrapCounts): string {
  const superseded = c.superseded > 0 ? ` (${c.superseded} changed meanwhile)` : '';
  return (
    `scanned ${c.scanned}, rewrapped ${c.rewrapped}, already current ${c.current}, ` +
    `failed ${c.failed}${superseded}`
  );
}

/**
 * Rewraps every stored meter key of every partner to the vault's current
 * master key (rotateAll per partner). Each write is conditional on the
 * envelope read: a key imported or rewrapped meanwhile wins, and is counted
 * as failed and `superseded` (running again finds it current). Idempotent:
 * keys already under the current master key are neither rewrapped nor written.
 */
export async function rewrapMeterKeys(
  deps: MeterKeyRewrapDeps,
  write: (text: string) => void = () => undefined,
): Promise<MeterKeyRewrapReport> {
  const masterKeyId = deps.vault.masterKey.keyId();
  const total: RewrapCounts = { scanned: 0, rewrapped: 0, current: 0, failed: 0, superseded: 0 };
  const partners: PartnerRewrapReport[] = [];
  for await (const partner of everyItem((o) => deps.partners.list(o))) {
    const partnerId = partner.id;
    let superseded = 0;
    const sealedOf = (item: StoredMeterKey): SealedKey => {
      const sealed = decodeSealedKey(item.sealedKey);
      if (sealed.partnerId !== partnerId) {
        throw new Error(`meter ${item.meterId}: the envelope names another partner`);
      }
      return sealed;
    };
    const report = await rotateAll(
      deps.vault,
      everyItem((o) => deps.meterKeys.list(partnerId, o)),
      async (item, rewrapped) => {
        const written = await deps.meterKeys.rewrap(
          partnerId,
          item.meterId,
          item.keyRef,
          item.sealedKey,
          { sealedKey: encodeSealedKey(rewrapped), masterKeyId: rewrapped.masterKeyId },
        );
        if (!written) {
          superseded++;
          throw new Error(`meter ${item.meterId} (${item.keyRef}): its key changed meanwhile`);
        }
      },
      { sealedOf },
    );
    const counts: PartnerRewrapReport = {
      partnerId,
      scanned: report.scanned,
      rewrapped: report.rewrapped,
      current: report.current,
      failed: report.failed,
      superseded,
      byMasterKey: report.byMasterKey,
      failures: report.failures,
    };
    partners.push(counts);
    for (const key of ['scanned', 'rewrapped', 'current', 'failed', 'superseded'] as const) {
      total[key] += counts[key];
    }
    write(`partner ${partnerId}: ${countLine(counts)}\n`);
    for (const f of counts.failures) {
      write(`  failed: ${f.reason} under ${f.masterKeyId || '?'}: ${f.message}\n`);
    }
  }
  write(`total (${partners.length} partners, master key ${masterKeyId}): ${countLine(total)}\n`);
  return { masterKeyId, partners, total };
}

export interface KeysCommandResult {
  subcommand: 'rotate' | 'rewrap';
  /** The local master key made current by `rotate`, and the one it replaced. */
  rotated?: { from: string; to: string };
  report: MeterKeyRewrapReport;
}

interface KeyServices {
  masterKey: MasterKey;
  deps: MeterKeyRewrapDeps;
  close(): Promise<void>;
}

async function openKeyServices(config: Config, previousKmsKeyIds: string[]): Promise<KeyServices> {
  let masterKey: MasterKey;
  if (config.kmsKeyId !== undefined) {
    masterKey = createKmsMasterKey({
      keyId: config.kmsKeyId,
      previousKeyIds: previousKmsKeyIds,
      clientConfig: { region: config.region },
    });
  } else {
    if (previousKmsKeyIds.length > 0) {
      throw new ConfigError(['--kms-previous-key-ids needs --kms-key-id']);
    }
    if (config.dataDir === undefined) {
      throw new ConfigError([
        `ZW_DATA_DIR (--data-dir) is required by keys: the local master key file is ` +
          `<data dir>/keys/${MASTER_KEY_FILE} (or give --kms-key-id)`,
      ]);
    }
    const file = join(config.dataDir, 'keys', MASTER_KEY_FILE);
    // Opening would create a fresh key file, whose keys open nothing stored.
    const found = await stat(file).then(
      () => true,
      () => false,
    );
    if (!found) throw new ConfigError([`no master key file at ${file}: check --data-dir`]);
    masterKey = await LocalMasterKey.open({ dataDir: config.dataDir });
  }

  let embedded: EmbeddedDynamo | undefined;
  if (config.dynamodbEndpoint === undefined) {
    // A running server holds its embedded DynamoDB's files: point at its
    // endpoint (--dynamodb-endpoint) instead.
    embedded = await startEmbeddedDynamo({ dataDir: config.dataDir });
  }
  const endpoint = config.dynamodbEndpoint ?? embedded!.endpoint;
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(endpoint);
  const dynamo: DynamoClients = createDynamoClients({
    region: config.region,
    endpoint,
    // dynalite (ours or a running server's) takes any credentials.
    localCredentials: embedded !== undefined || loopback,
  });
  const tableName = config.table;
  const { partners } = createDynamoTenancyStores({ doc: dynamo.doc, tableName });
  return {
    masterKey,
    deps: {
      vault: createKeyVault({ masterKey }),
      partners,
      meterKeys: createDynamoMeterKeyStore({ doc: dynamo.doc, tableName }),
    },
    async close() {
      dynamo.client.destroy();
      await embedded?.close();
    },
  };
}

/**
 * `zw-server keys rotate|rewrap [options]`.
 *
 * - `rotate` (local key file only): a new master key becomes current in
 *   `<dataDir>/keys/master-keys.json` (old keys stay usable), then every
 *   stored meter key is rewrapped to it.
 * - `rewrap`: only the second step, to the configured current master key
 *   (the local file's current key, or `--kms-key-id` with the keys it
 *   replaces in `--kms-previous-key-ids`). Idempotent.
 *
 * Prints one line per partner and a total; the caller exits non-zero when
 * `report.total.failed > 0`.
 */
export async function runKeysCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  write: (text: string) => void,
): Promise<KeysCommandResult> {
  const [subcommand, ...flags] = argv;
  if (subcommand !== 'rotate' && subcommand !== 'rewrap') {
    throw new ConfigError([
      subcommand === undefined
        ? 'keys needs a subcommand: rotate or rewrap'
        : `keys: unknown subcommand '${subcommand}' (rotate or rewrap)`,
    ]);
  }
  const config = parseConfig(flags, env);
  const previous = config.kmsPreviousKeyIds?.split(',') ?? [];
  if (subcommand === 'rotate' && config.kmsKeyId !== undefined) {
    throw new ConfigError([
      'keys rotate works on the local key file; with KMS, create a new KMS key, configure it as ' +
        '--kms-key-id (the old one in --kms-previous-key-ids) and run keys rewrap',
    ]);
  }
  const services = await openKeyServices(config, previous);
  try {
    let rotated: KeysCommandResult['rotated'];
    if (subcommand === 'rotate') {
      const local = services.masterKey as LocalMasterKey;
      const from = local.keyId();
      const to = await local.rotate();
      rotated = { from, to };
      write(`master key ${to} is current (was ${from}; it still opens its keys)\n`);
    }
    const report = await rewrapMeterKeys(services.deps, write);
    if (report.total.failed > 0) {
      write(`keys ${subcommand}: ${report.total.failed} not rewrapped; run keys rewrap again\n`);
    }
    return { subcommand, ...(rotated === undefined ? {} : { rotated }), report };
  } finally {
    await services.close();
  }
}
