import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyErrorReason } from './key-errors.js';
import { createKeyVault } from './key-vault.js';
import { countingMasterKey } from './key-test-kit.js';
import { openLocalMasterKey } from './local-master-key.js';
import { rotateAll } from './rotate-all.js';
import { decodeSealedKey, encodeSealedKey } from './sealed-key.js';

interface Row {
  pk: string;
  blob: string;
}

async function fixture() {
  const local = await openLocalMasterKey();
  const masterKey = countingMasterKey(local);
  const vault = createKeyVault({ masterKey, keysPerDataKey: 10 });
  const keys = new Map<string, Uint8Array>();
  const table = new Map<string, Row>();
  const ids = Array.from({ length: 25 }, (_, i) => `m${i}`);
  const sealed = await vault.sealMany(
    'p',
    ids.map((id) => {
      const key = new Uint8Array(randomBytes(16));
      keys.set(id, key);
      return { meterKey: key, meterIdentity: id };
    }),
  );
  ids.forEach((id, i) => table.set(id, { pk: id, blob: encodeSealedKey(sealed[i]!) }));
  async function* scan(): AsyncGenerator<Row> {
    for (const row of [...table.values()]) yield row;
  }
  const save = async (row: Row, rewrapped: Parameters<typeof encodeSealedKey>[0]) => {
    table.set(row.pk, { pk: row.pk, blob: encodeSealedKey(rewrapped) });
  };
  const sealedOf = (row: Row) => decodeSealedKey(row.blob);
  return { local, masterKey, vault, keys, table, scan, save, sealedOf };
}

describe('rotateAll', () => {
  it('rewraps everything under the current key, after which the old key can go', async () => {
    const { local, masterKey, vault, keys, table, scan, save, sealedOf } = await fixture();
    const k1 = local.keyId();
    const k2 = await local.rotate();
    const wrapsBefore = masterKey.calls.wrap;

    const report = await rotateAll(vault, scan(), save, { sealedOf, concurrency: 4 });
    expect(report).toMatchObject({
      scanned: 25,
      rewrapped: 25,
      current: 0,
      failed: 0,
      byMasterKey: { [k1]: 25 },
      masterKeyId: k2,
      aborted: false,
    });
    // Three data keys were shared by the 25 blobs: three wraps, not 25.
    expect(masterKey.calls.wrap - wrapsBefore).toBe(3);

    await local.retire(k1);
    vault.clearCache();
    for (const row of table.values()) {
      const sealed = sealedOf(row);
      expect(sealed.masterKeyId).toBe(k2);
      expect(await vault.open(sealed, { partnerId: 'p', meterIdentity: row.pk })).toEqual(
        keys.get(row.pk),
      );
    }
    const again = await rotateAll(vault, scan(), save, { sealedOf });
    expect(again).toMatchObject({ scanned: 25, rewrapped: 0, current: 25, failed: 0 });
  });

  it('counts failures, goes on, and leaves the failed items for the next run', async () => {
    const { local, vault, table, scan, sealedOf } = await fixture();
    await local.rotate();
    let calls = 0;
    const flakySave = async (row: Row, rewrapped: Parameters<typeof encodeSealedKey>[0]) => {
      if (++calls % 5 === 0) throw new Error('ConditionalCheckFailed');
      table.set(row.pk, { pk: row.pk, blob: encodeSealedKey(rewrapped) });
    };
    const first = await rotateAll(vault, scan(), flakySave, {
      sealedOf,
      concurrency: 1,
      maxFailuresListed: 2,
    });
    expect(first).toMatchObject({ scanned: 25, rewrapped: 20, failed: 5 });
    expect(first.failures).toHaveLength(2);
    expect(first.failures[0]).toMatchObject({ index: 4, reason: 'save-failed' });

    const second = await rotateAll(
      vault,
      scan(),
      async (row, s) => {
        table.set(row.pk, { pk: row.pk, blob: encodeSealedKey(s) });
      },
      { sealedOf },
    );
    expect(second).toMatchObject({ rewrapped: 5, current: 20, failed: 0 });
  });

  it('reports blobs whose master key was retired too early, by reason', async () => {
    const { local, vault, scan, save, sealedOf } = await fixture();
    const k1 = local.keyId();
    await local.rotate();
    await local.retire(k1);
    const report = await rotateAll(vault, scan(), save, { sealedOf });
    expect(report.failed).toBe(25);
    expect(report.failures[0]).toMatchObject({ masterKeyId: k1, reason: 'master-key-unknown' });
    expect(keyErrorReason(new Error('x'))).toBeUndefined();
  });

  it('takes plain iterables of { sealed } and stops when aborted', async () => {
    const { local, vault, table, sealedOf } = await fixture();
    await local.rotate();
    const items = [...table.values()].map((row) => ({ sealed: sealedOf(row) }));
    const controller = new AbortController();
    let saved = 0;
    const report = await rotateAll(
      vault,
      items,
      async () => {
        if (++saved === 3) controller.abort();
      },
      { concurrency: 1, signal: controller.signal },
    );
    expect(report.aborted).toBe(true);
    expect(report.rewrapped).toBe(3);
    expect(report.scanned).toBe(3);
  });
});
