import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKeyVault, type KeyVault } from '../../src/keys/key-vault.js';
import { leakedKeys } from '../../src/keys/key-test-kit.js';
import { openLocalMasterKey } from '../../src/keys/local-master-key.js';
import { decodeSealedKey, encodeSealedKey } from '../../src/keys/sealed-key.js';
import {
  createDynamoMeterKeyStore,
  meterKeyIdentity,
  type MeterKeyStore,
} from '../../src/store/dynamodb-meter-key-store.js';
import { useDynaliteTable } from './dynalite-table.js';
import { partnerId as freshPartnerId } from './tenancy-fixtures.js';

const identity = meterKeyIdentity({
  manufacturer: 'KAM',
  meterId: '12345678',
  deviceVersion: 27,
  deviceType: 4,
});

describe('the meter key store on dynalite', () => {
  const { table } = useDynaliteTable('zw-meter-keys');
  let store: MeterKeyStore;
  let vault: KeyVault;
  const plainKeys: Uint8Array[] = [];

  beforeAll(async () => {
    store = createDynamoMeterKeyStore(table());
    vault = createKeyVault({ masterKey: await openLocalMasterKey() });
  });

  async function sealed(partnerId: string) {
    const key = new Uint8Array(randomBytes(16));
    plainKeys.push(key);
    const envelope = await vault.seal(key, { partnerId, meterIdentity: identity });
    return {
      key,
      input: {
        sealedKey: encodeSealedKey(envelope),
        masterKeyId: envelope.masterKeyId,
        meterIdentity: identity,
      },
    };
  }

  it('names the identity as the link layer does, bytes in hex', () => {
    expect(identity).toBe('KAM-12345678-1B-04');
  });

  it('stores a key under a new keyRef that opens to the same bytes', async () => {
    const partnerId = freshPartnerId();
    const { key, input } = await sealed(partnerId);
    const put = await store.put(partnerId, 'met_1', input);
    expect(put.keyRef).toBe('meter-key:met_1:1');
    const stored = await store.get(partnerId, 'met_1', put.keyRef);
    expect(stored).toMatchObject({ meterId: 'met_1', meterIdentity: identity });
    const opened = await vault.open(decodeSealedKey(stored!.sealedKey), {
      partnerId,
      meterIdentity: identity,
    });
    expect(Buffer.from(opened).equals(Buffer.from(key))).toBe(true);
    expect(await store.get('someone-else', 'met_1', put.keyRef)).toBeNull();
    expect(await store.get(partnerId, 'met_1', 'meter-key:met_1:9')).toBeNull();
  });

  it('keeps the key in force beside a new one, and drops one never put in force', async () => {
    const partnerId = freshPartnerId();
    const first = await store.put(partnerId, 'met_2', (await sealed(partnerId)).input);
    const second = await store.put(partnerId, 'met_2', {
      ...(await sealed(partnerId)).input,
      liveKeyRef: first.keyRef,
    });
    expect(await store.get(partnerId, 'met_2', first.keyRef)).not.toBeNull();
    expect(await store.get(partnerId, 'met_2', second.keyRef)).not.toBeNull();
    // The meter still names the first: the second never made it, and goes.
    const third = await store.put(partnerId, 'met_2', {
      ...(await sealed(partnerId)).input,
      liveKeyRef: first.keyRef,
    });
    expect(await store.get(partnerId, 'met_2', second.keyRef)).toBeNull();
    const statuses = await store.statuses(partnerId, [
      { meterId: 'met_2', keyRef: third.keyRef },
      { meterId: 'met_none', keyRef: 'meter-key:met_none:1' },
    ]);
    expect([...statuses.keys()]).toEqual(['met_2']);
    expect(statuses.get('met_2')).toMatchObject({ keyRef: third.keyRef });
    // Many at once, as get answers each: the named key, a superseded one not, a missing meter not.
    const many = await store.getMany(partnerId, [
      { meterId: 'met_2', keyRef: third.keyRef },
      { meterId: 'met_none', keyRef: 'meter-key:met_none:1' },
    ]);
    expect([...many.keys()]).toEqual(['met_2']);
    expect(many.get('met_2')).toEqual(await store.get(partnerId, 'met_2', third.keyRef));
    expect(
      (await store.getMany(partnerId, [{ meterId: 'met_2', keyRef: second.keyRef }])).size,
    ).toBe(0);
    const listed = await store.list(partnerId);
    expect(listed.items.map((k) => k.keyRef).sort()).toEqual([first.keyRef, third.keyRef].sort());
  });

  it('undoes its own write only', async () => {
    const partnerId = freshPartnerId();
    const first = await store.put(partnerId, 'met_3', (await sealed(partnerId)).input);
    const second = await store.put(partnerId, 'met_3', (await sealed(partnerId)).input);
    await second.undo();
    expect(await store.get(partnerId, 'met_3', second.keyRef)).toBeNull();
    expect(await store.get(partnerId, 'met_3', first.keyRef)).not.toBeNull();

    const fresh = await store.put(partnerId, 'met_4', (await sealed(partnerId)).input);
    await fresh.undo();
    expect(await store.list(partnerId)).toMatchObject({
      items: [expect.objectContaining({ meterId: 'met_3' })],
    });

    const mine = await store.put(partnerId, 'met_5', (await sealed(partnerId)).input);
    const theirs = await store.put(partnerId, 'met_5', (await sealed(partnerId)).input);
    await mine.undo();
    expect(await store.get(partnerId, 'met_5', theirs.keyRef)).not.toBeNull();
  });

  it('lets one of concurrent writers through per version, the others CONFLICT', async () => {
    const partnerId = freshPartnerId();
    const inputs = await Promise.all(Array.from({ length: 5 }, () => sealed(partnerId)));
    const results = await Promise.allSettled(
      inputs.map(({ input }) => store.put(partnerId, 'met_6', input)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won.length).toBeGreaterThan(0);
    for (const r of lost) expect(r.reason).toMatchObject({ code: 'CONFLICT' });
    const keyRefs = won.map((r) => r.value.keyRef);
    expect(new Set(keyRefs).size).toBe(keyRefs.length);
    expect(keyRefs).toContain(`meter-key:met_6:${won.length}`);
  });

  it('replaces an envelope by its rewrap only while it is the one read', async () => {
    const partnerId = freshPartnerId();
    const { key, input } = await sealed(partnerId);
    const put = await store.put(partnerId, 'met_7', input);
    const rewrapped = await vault.rewrap(decodeSealedKey(input.sealedKey));
    const next = { sealedKey: `${encodeSealedKey(rewrapped)}`, masterKeyId: 'mk-next' };
    expect(await store.rewrap(partnerId, 'met_7', put.keyRef, 'zwk1.stale', next)).toBe(false);
    expect(await store.rewrap(partnerId, 'met_7', put.keyRef, input.sealedKey, next)).toBe(true);
    const stored = await store.get(partnerId, 'met_7', put.keyRef);
    expect(stored).toMatchObject({ masterKeyId: 'mk-next' });
    const opened = await vault.open(decodeSealedKey(stored!.sealedKey), {
      partnerId,
      meterIdentity: identity,
    });
    expect(Buffer.from(opened).equals(Buffer.from(key))).toBe(true);
  });

  it('never holds a plain key in any item', async () => {
    const { doc, tableName } = table();
    const out = await doc.send(new ScanCommand({ TableName: tableName }));
    expect(out.Items?.length).toBeGreaterThan(0);
    expect(leakedKeys(JSON.stringify(out.Items), plainKeys)).toEqual([]);
  });
});
