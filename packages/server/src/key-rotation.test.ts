import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPartner, partnerId as freshPartnerId } from '../test/ports/tenancy-fixtures.js';
import { ConfigError } from './config.js';
import type { Actor } from './domain/audit.js';
import {
  createKeyVault,
  decodeSealedKey,
  encodeSealedKey,
  LocalMasterKey,
  type KeyVault,
} from './keys/index.js';
import { rewrapMeterKeys, runKeysCommand } from './key-rotation.js';
import { createDynamoClients, type DynamoClients } from './store/dynamodb-client.js';
import { createDynamoMeterKeyStore, type MeterKeyStore } from './store/dynamodb-meter-key-store.js';
import {
  createDynamoTenancyStores,
  type DynamoTenancyStores,
} from './store/dynamodb-tenancy-stores.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './store/embedded-dynamodb.js';
import { ensureTable } from './store/table.js';

const seeder: Actor = { kind: 'system', id: 'test-seed' };

describe('zw-server keys rotate / rewrap', () => {
  let db: EmbeddedDynamo;
  let dynamo: DynamoClients;
  let dataDir: string;
  let stores: DynamoTenancyStores;
  let meterKeys: MeterKeyStore;
  const tableName = `keys-${randomBytes(4).toString('hex')}`;
  /** meter id -> [partner, identity, plain key] */
  const seeded = new Map<string, { partnerId: string; meterIdentity: string; key: Buffer }>();

  /** The command's flags: the test's dynalite and table, the temp data dir. */
  const flags = () => [
    '--data-dir',
    dataDir,
    '--dynamodb-endpoint',
    db.endpoint,
    '--table',
    tableName,
  ];

  async function seed(vault: KeyVault, partnerId: string, meters: number): Promise<void> {
    const items = Array.from({ length: meters }, (_, i) => ({
      meterId: `${partnerId}-m${i}`,
      meterIdentity: `KAM-${partnerId}-${i}-1-4`,
      key: randomBytes(16),
    }));
    // Half share one data key (sealMany), the others have one each (seal).
    const shared = await vault.sealMany(
      partnerId,
      items
        .slice(0, 2)
        .map(({ key, meterIdentity }) => ({ meterKey: new Uint8Array(key), meterIdentity })),
    );
    const single = await Promise.all(
      items
        .slice(2)
        .map(({ key, meterIdentity }) =>
          vault.seal(new Uint8Array(key), { partnerId, meterIdentity }),
        ),
    );
    for (const [i, sealed] of [...shared, ...single].entries()) {
      const { meterId, meterIdentity, key } = items[i]!;
      await meterKeys.put(partnerId, meterId, {
        sealedKey: encodeSealedKey(sealed),
        masterKeyId: sealed.masterKeyId,
        meterIdentity,
      });
      seeded.set(meterId, { partnerId, meterIdentity, key });
    }
  }

  async function stored() {
    const all = [];
    for (const partnerId of new Set([...seeded.values()].map((s) => s.partnerId))) {
      all.push(...(await meterKeys.list(partnerId, { limit: 100 })).items);
    }
    return all;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'zw-keys-'));
    db = await startEmbeddedDynamo({});
    dynamo = createDynamoClients({
      region: 'eu-central-1',
      endpoint: db.endpoint,
      localCredentials: true,
    });
    await ensureTable(dynamo.client, tableName);
    stores = createDynamoTenancyStores({ doc: dynamo.doc, tableName });
    meterKeys = createDynamoMeterKeyStore({ doc: dynamo.doc, tableName });
  });
  afterAll(async () => {
    dynamo?.client.destroy();
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('rotates the local master key and rewraps every stored key; old and new blobs keep opening', async () => {
    // A "running server": its vault over the key file, as platform-services makes it.
    const server = createKeyVault({ masterKey: await LocalMasterKey.open({ dataDir }) });
    const oldId = server.masterKey.keyId();
    const a = freshPartnerId('acme');
    const b = freshPartnerId('solvimus');
    for (const p of [a, b]) await stores.partners.create(newPartner(p), seeder);
    await seed(server, a, 4);
    await seed(server, b, 3);
    const before = await stored();
    expect(before.map((k) => k.masterKeyId)).toEqual(before.map(() => oldId));

    const lines: string[] = [];
    const result = await runKeysCommand(['rotate', ...flags()], {}, (t) => lines.push(t));
    const newId = result.rotated!.to;
    expect(result.rotated!.from).toBe(oldId);
    expect(newId).not.toBe(oldId);
    expect(result.report.masterKeyId).toBe(newId);
    expect(result.report.total).toEqual({
      scanned: 7,
      rewrapped: 7,
      current: 0,
      failed: 0,
      superseded: 0,
    });
    const byPartner = Object.fromEntries(result.report.partners.map((p) => [p.partnerId, p]));
    expect(byPartner[a]).toMatchObject({ scanned: 4, rewrapped: 4, failed: 0 });
    expect(byPartner[b]).toMatchObject({ scanned: 3, rewrapped: 3, failed: 0 });
    expect(lines).toContain(`partner ${a}: scanned 4, rewrapped 4, already current 0, failed 0\n`);
    expect(lines.at(-1)).toBe(
      `total (2 partners, master key ${newId}): scanned 7, rewrapped 7, already current 0, failed 0\n`,
    );

    // Every stored key is under the new master key and opens to the same bytes,
    // in the running server (its key ring reloads the file on an unknown id) and
    // in a vault opened afresh on the data dir.
    const after = await stored();
    expect(after).toHaveLength(7);
    const fresh = createKeyVault({ masterKey: await LocalMasterKey.open({ dataDir }) });
    expect(fresh.masterKey.keyId()).toBe(newId);
    for (const k of after) {
      expect(k.masterKeyId).toBe(newId);
      const sealed = decodeSealedKey(k.sealedKey);
      expect(sealed.masterKeyId).toBe(newId);
      const { partnerId, meterIdentity, key } = seeded.get(k.meterId)!;
      for (const vault of [server, fresh]) {
        expect(Buffer.from(await vault.open(sealed, { partnerId, meterIdentity }))).toEqual(key);
      }
    }
    // Blobs under the old key (a copy read before the rotation) still open too.
    for (const k of before) {
      const { partnerId, meterIdentity, key } = seeded.get(k.meterId)!;
      const old = decodeSealedKey(k.sealedKey);
      fresh.clearCache();
      expect(Buffer.from(await fresh.open(old, { partnerId, meterIdentity }))).toEqual(key);
    }
    // The running server seals under the new key without a restart.
    const sealedNow = await server.seal(new Uint8Array(randomBytes(16)), {
      partnerId: a,
      meterIdentity: 'KAM-new-1-4',
    });
    expect(sealedNow.masterKeyId).toBe(newId);

    // rewrap again: nothing left to do.
    const again = await runKeysCommand(['rewrap', ...flags()], {}, () => undefined);
    expect(again.rotated).toBeUndefined();
    expect(again.report.total).toEqual({
      scanned: 7,
      rewrapped: 0,
      current: 7,
      failed: 0,
      superseded: 0,
    });
  });

  it('lets a concurrent write win and reports it', async () => {
    const masterKey = await LocalMasterKey.open({ dataDir });
    const vault = createKeyVault({ masterKey });
    await masterKey.rotate();
    const target = [...seeded.entries()][0]!;
    const [meterId, { partnerId, meterIdentity }] = target;
    const replacement = randomBytes(16);
    let raced = false;
    const report = await rewrapMeterKeys({
      vault,
      partners: stores.partners,
      meterKeys: {
        list: (p, o) => meterKeys.list(p, o),
        async rewrap(p, m, keyRef, expected, next) {
          if (m === meterId && !raced) {
            // An import replaces this meter's key between our read and our write.
            raced = true;
            const sealed = await vault.seal(new Uint8Array(replacement), {
              partnerId,
              meterIdentity,
            });
            await meterKeys.put(p, m, {
              sealedKey: encodeSealedKey(sealed),
              masterKeyId: sealed.masterKeyId,
              meterIdentity,
            });
          }
          return meterKeys.rewrap(p, m, keyRef, expected, next);
        },
      },
    });
    expect(raced).toBe(true);
    expect(report.total).toMatchObject({ scanned: 7, rewrapped: 6, failed: 1, superseded: 1 });
    const own = report.partners.find((p) => p.partnerId === partnerId)!;
    expect(own.failures).toEqual([
      expect.objectContaining({ reason: 'save-failed', message: expect.stringContaining(meterId) }),
    ]);
    const [current] = (await meterKeys.list(partnerId, { limit: 100 })).items.filter(
      (k) => k.meterId === meterId && k.masterKeyId === masterKey.keyId(),
    );
    const opened = await vault.open(decodeSealedKey(current!.sealedKey), {
      partnerId,
      meterIdentity,
    });
    expect(Buffer.from(opened)).toEqual(replacement);

    // A second run finds everything current.
    const again = await rewrapMeterKeys({ vault, partners: stores.partners, meterKeys });
    expect(again.total).toMatchObject({ rewrapped: 0, failed: 0 });
  });

  it('refuses what it cannot do, before touching anything', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'zw-keys-empty-'));
    try {
      const noFile = await runKeysCommand(
        ['rotate', '--data-dir', empty, '--dynamodb-endpoint', db.endpoint],
        {},
        () => undefined,
      ).catch((e: unknown) => e);
      expect(noFile).toBeInstanceOf(ConfigError);
      expect(String(noFile)).toMatch(/no master key file/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
    const kms = await runKeysCommand(
      ['rotate', '--kms-key-id', 'arn:aws:kms:eu-central-1:111122223333:key/abc'],
      {},
      () => undefined,
    ).catch((e: unknown) => e);
    expect(kms).toBeInstanceOf(ConfigError);
    expect(String(kms)).toMatch(/keys rewrap/);
    const unknown = await runKeysCommand(['retire'], {}, () => undefined).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ConfigError);
  });
});
