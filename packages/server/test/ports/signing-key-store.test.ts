import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyStoreContract } from '../../src/auth/signing-key-store.contract.js';
import { openKeyRing } from '../../src/auth/signing-keys.js';
import { createDynamoClients, type DynamoClients } from '../../src/store/dynamodb-client.js';
import {
  createDynamoSigningKeyStore,
  RETIRED_SIGNING_KEY_TTL_SECONDS,
} from '../../src/store/dynamodb-signing-key-store.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/store/embedded-dynamodb.js';
import { signingKeyKey } from '../../src/store/keys.js';
import { ensureTable } from '../../src/store/table.js';

/**
 * The ring is one partition per table, so each test gets a table of its own
 * (dynalite makes one in milliseconds) rather than sharing one as the other
 * stores' tests do.
 */
describe('on dynalite', () => {
  let db: EmbeddedDynamo | undefined;
  let dynamo: DynamoClients | undefined;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({});
    dynamo = createDynamoClients({
      region: 'eu-central-1',
      endpoint: db.endpoint,
      localCredentials: true,
    });
  });
  afterAll(async () => {
    dynamo?.client.destroy();
    await db?.close();
  });

  async function freshTable() {
    if (!dynamo) throw new Error('dynalite did not start');
    const tableName = `zw-signing-keys-${randomUUID().slice(0, 8)}`;
    await ensureTable(dynamo.client, tableName);
    return { doc: dynamo.doc, tableName };
  }

  signingKeyStoreContract('DynamoDB', async () => createDynamoSigningKeyStore(await freshTable()), {
    mergesConcurrentSaves: true,
  });

  describe('DynamoDB signing key layout', () => {
    const T0 = new Date('2025-03-01T00:00:00.000Z');

    it('keeps one item per key; a retired key gets a TTL, the current one none', async () => {
      const table = await freshTable();
      const store = createDynamoSigningKeyStore(table);
      const ring = await openKeyRing(store, { now: () => T0 });
      const oldKid = ring.signingKey().kid;
      const retiredAt = new Date(T0.getTime() + 60_000);
      await ring.rotate(retiredAt);
      const raw = async (kid: string) =>
        (
          await table.doc.send(
            new GetCommand({ TableName: table.tableName, Key: signingKeyKey(kid) }),
          )
        ).Item;
      expect(await raw(oldKid)).toMatchObject({
        entity: 'SIGNING_KEY',
        retiredAt: retiredAt.toISOString(),
        expiresAt: retiredAt.getTime() / 1000 + RETIRED_SIGNING_KEY_TTL_SECONDS,
      });
      expect(await raw(ring.signingKey().kid)).not.toHaveProperty('expiresAt');
    });

    it('never drops a current key a save does not name: another process made it', async () => {
      const store = createDynamoSigningKeyStore(await freshTable());
      const ring = await openKeyRing(store, { now: () => T0 });
      const [theirs] = await store.load();
      // A ring saved by a process that loaded before the other's first save,
      // made here in a table of its own.
      const elsewhere = createDynamoSigningKeyStore(await freshTable());
      await openKeyRing(elsewhere, { now: () => T0 });
      const [mine] = await elsewhere.load();
      await store.save([mine!]);
      expect((await store.load()).map((k) => k.kid).sort()).toEqual(
        [theirs!.kid, mine!.kid].sort(),
      );
      expect(ring.signingKey().kid).toBe(theirs!.kid);
    });

    it('refuses a TTL that is not positive whole seconds', () => {
      expect(() =>
        createDynamoSigningKeyStore({ doc: dynamo!.doc, tableName: 'x', retiredKeyTtlSeconds: 0 }),
      ).toThrow(/TTL/);
    });
  });
});
