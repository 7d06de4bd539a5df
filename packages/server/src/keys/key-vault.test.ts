import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyErrorReason } from './key-errors.js';
import { createKeyVault } from './key-vault.js';
import { caught, countingMasterKey, leakedKeys, render } from './key-test-kit.js';
import { openLocalMasterKey } from './local-master-key.js';
import { decodeSealedKey, encodeSealedKey, SealedKey } from './sealed-key.js';

const meter = (n: number) => ({ partnerId: 'stadtwerke-x', meterIdentity: `QDS-${n}-01-08` });
const meterKey = () => new Uint8Array(randomBytes(16));

async function setup(
  options: { cacheSize?: number; cacheTtlMs?: number; now?: () => number } = {},
) {
  const local = await openLocalMasterKey();
  const masterKey = countingMasterKey(local);
  return { local, masterKey, vault: createKeyVault({ masterKey, ...options }) };
}

describe('KeyVault', () => {
  it('opens what it sealed, for that partner and meter only', async () => {
    const { vault } = await setup();
    const key = meterKey();
    const sealed = await vault.seal(key, meter(1));
    expect(await vault.open(sealed, meter(1))).toEqual(key);

    for (const wrong of [meter(2), { ...meter(1), partnerId: 'other' }]) {
      const err = await caught(() => vault.open(sealed, wrong));
      expect(keyErrorReason(err)).toBe('context-mismatch');
    }
  });

  it('detects a blob altered in either layer', async () => {
    const { vault } = await setup();
    const sealed = await vault.seal(meterKey(), meter(1));
    const flip = (b: Uint8Array) => {
      const copy = Uint8Array.from(b);
      copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x80;
      return copy;
    };
    const cipherAltered = new SealedKey({ ...sealed, ciphertext: flip(sealed.ciphertext) });
    expect(keyErrorReason(await caught(() => vault.open(cipherAltered, meter(1))))).toBe(
      'context-mismatch',
    );
    vault.clearCache();
    const wrapAltered = new SealedKey({ ...sealed, wrappedKey: flip(sealed.wrappedKey) });
    expect(keyErrorReason(await caught(() => vault.open(wrapAltered, meter(1))))).toBe(
      'unwrap-failed',
    );
  });

  it('refuses meter keys that are not 16 bytes and empty contexts', async () => {
    const { vault } = await setup();
    for (const bad of [new Uint8Array(15), new Uint8Array(32)]) {
      expect(keyErrorReason(await caught(() => vault.seal(bad, meter(1))))).toBe(
        'invalid-meter-key',
      );
    }
    expect(
      keyErrorReason(await caught(() => vault.seal(meterKey(), { ...meter(1), partnerId: '' }))),
    ).toBe('invalid-context');
  });

  it('shares one data key among a batch, up to keysPerDataKey', async () => {
    const masterKey = countingMasterKey(await openLocalMasterKey());
    const vault = createKeyVault({ masterKey, keysPerDataKey: 4 });
    const keys = Array.from({ length: 10 }, meterKey);
    const sealed = await vault.sealMany(
      'p',
      keys.map((k, i) => ({ meterKey: k, meterIdentity: `m${i}` })),
    );
    expect(masterKey.calls.generateDataKey).toBe(3);
    expect(new Set(sealed.map((s) => encodeSealedKey(s).split('.')[3])).size).toBe(3);
    vault.clearCache();
    for (const [i, s] of sealed.entries()) {
      expect(await vault.open(s, { partnerId: 'p', meterIdentity: `m${i}` })).toEqual(keys[i]);
    }
    expect(masterKey.calls.unwrap).toBe(3);
  });

  it('checks every item of a batch before it asks the master key', async () => {
    const { vault, masterKey } = await setup();
    const err = await caught(() =>
      vault.sealMany('p', [
        { meterKey: meterKey(), meterIdentity: 'a' },
        { meterKey: new Uint8Array(8), meterIdentity: 'b' },
      ]),
    );
    expect(keyErrorReason(err)).toBe('invalid-meter-key');
    expect((err as Error).message).toContain('item 1');
    expect(masterKey.calls.generateDataKey).toBe(0);
  });

  it('unwraps a data key once for many opens, also when they arrive together', async () => {
    const { vault, masterKey } = await setup();
    const sealed = await vault.seal(meterKey(), meter(1));
    vault.clearCache();
    await Promise.all(Array.from({ length: 20 }, () => vault.open(sealed, meter(1))));
    for (let i = 0; i < 20; i++) await vault.open(sealed, meter(1));
    expect(masterKey.calls.unwrap).toBe(1);
  });

  it('keeps its cache bounded in entries and in time', async () => {
    let now = 0;
    const { vault, masterKey } = await setup({ cacheSize: 2, cacheTtlMs: 1000, now: () => now });
    const sealed = await Promise.all([1, 2, 3].map((n) => vault.seal(meterKey(), meter(n))));
    // Sealing cached all three data keys; only the last two fit.
    await vault.open(sealed[0]!, meter(1));
    expect(masterKey.calls.unwrap).toBe(1);
    await vault.open(sealed[2]!, meter(3));
    expect(masterKey.calls.unwrap).toBe(1);

    now += 1000;
    await vault.open(sealed[2]!, meter(3));
    expect(masterKey.calls.unwrap).toBe(2);
  });

  it('rotates the master key without downtime', async () => {
    const { local, vault, masterKey } = await setup();
    const k1 = local.keyId();
    const keyA = meterKey();
    const underK1 = await vault.seal(keyA, meter(1));
    const rewrappedLater = await vault.seal(meterKey(), meter(2));
    expect(underK1.masterKeyId).toBe(k1);

    const k2 = await local.rotate();
    const keyB = meterKey();
    const underK2 = await vault.seal(keyB, meter(3));
    expect(underK2.masterKeyId).toBe(k2);
    expect(await vault.open(underK1, meter(1))).toEqual(keyA);
    expect(await vault.open(underK2, meter(3))).toEqual(keyB);

    expect(vault.needsRewrap(underK1)).toBe(true);
    expect(vault.needsRewrap(underK2)).toBe(false);
    const rewrapped = await vault.rewrap(underK1);
    expect(rewrapped.masterKeyId).toBe(k2);
    expect(rewrapped.ciphertext).toEqual(underK1.ciphertext);
    expect(rewrapped.iv).toEqual(underK1.iv);
    expect(await vault.rewrap(underK2)).toBe(underK2);
    expect(await vault.open(rewrapped, meter(1))).toEqual(keyA);

    await local.retire(k1);
    const calls = masterKey.calls.unwrap;
    // Still cached, yet refused at once: a retired key must not live on in the cache.
    const err = await caught(() => vault.open(rewrappedLater, meter(2)));
    expect(keyErrorReason(err)).toBe('master-key-unknown');
    expect((err as Error).message).toMatch(new RegExp(`master key ${k1} is retired`));
    expect(masterKey.calls.unwrap).toBe(calls + 1);
    expect(await vault.open(rewrapped, meter(1))).toEqual(keyA);
    vault.clearCache();
    expect(await vault.open(rewrapped, meter(1))).toEqual(keyA);
  });

  it('keeps blobs that shared a data key sharing one after a rewrap', async () => {
    const { local, vault, masterKey } = await setup();
    const sealed = await vault.sealMany(
      'p',
      Array.from({ length: 5 }, (_, i) => ({ meterKey: meterKey(), meterIdentity: `m${i}` })),
    );
    await local.rotate();
    const rewrapped = await Promise.all(sealed.map((s) => vault.rewrap(s)));
    expect(masterKey.calls.wrap).toBe(1);
    expect(new Set(rewrapped.map((s) => encodeSealedKey(s).split('.')[3])).size).toBe(1);
  });

  it('stores as a string and reads it back', async () => {
    const { vault } = await setup();
    const key = meterKey();
    const sealed = await vault.seal(key, meter(1));
    const text = encodeSealedKey(sealed);
    expect(text).toMatch(/^zwk1(\.[A-Za-z0-9_-]+){6}$/);
    const back = decodeSealedKey(text);
    expect(back.masterKeyId).toBe(sealed.masterKeyId);
    expect(await vault.open(back, meter(1))).toEqual(key);
    for (const bad of ['', 'zwk2.a.b.c.d.e.f', text.replace(/\.[^.]+$/, ''), `${text}.x`]) {
      expect(keyErrorReason(await caught(() => decodeSealedKey(bad)))).toBe('malformed-sealed-key');
    }
  });

  it('never shows a meter key or data key in JSON, inspect or errors', async () => {
    const { vault, masterKey, local } = await setup();
    const keys = [meterKey(), meterKey()];
    const sealed = await vault.seal(keys[0]!, meter(1));
    const batch = await vault.sealMany('p', [{ meterKey: keys[1]!, meterIdentity: 'm' }]);
    await local.rotate();
    const rewrapped = await vault.rewrap(sealed);
    const errors = await Promise.all([
      caught(() => vault.open(sealed, meter(9))),
      caught(() => vault.open(sealed, { ...meter(1), partnerId: 'x' })),
      caught(() => vault.seal(keys[0]!.subarray(0, 15), meter(1))),
      caught(() => vault.open(new SealedKey({ ...sealed, tag: new Uint8Array(16) }), meter(1))),
      caught(() => decodeSealedKey(encodeSealedKey(sealed).slice(0, 40))),
    ]);
    const shown = render(sealed, batch, rewrapped, vault, local, masterKey.calls, ...errors);
    expect(shown).toContain(sealed.masterKeyId);
    // The scan itself must see a key where there is one.
    expect(leakedKeys(render({ k: keys[0] }), [keys[0]!])).not.toEqual([]);
    expect(leakedKeys(render(Buffer.from(keys[1]!)), [keys[1]!])).not.toEqual([]);
    expect(masterKey.seen.length).toBeGreaterThan(0);
    expect(leakedKeys(shown, [...keys, ...masterKey.seen])).toEqual([]);
  });
});
