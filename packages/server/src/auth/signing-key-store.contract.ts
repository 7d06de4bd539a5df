import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  exportJWK,
  generateKeyPair,
} from 'jose';
import { describe, expect, it } from 'vitest';
import {
  openKeyRing,
  SIGNING_ALG,
  type KeyRing,
  type SigningKeyStore,
  type StoredSigningKey,
} from './signing-keys.js';

export interface SigningKeyStoreContractOptions {
  /**
   * Whether saves built on the same load merge rather than the last one
   * winning: two processes rotating at once then lose no key. A store shared
   * by several processes needs it; the memory store replaces the ring on
   * every save and does not have it.
   */
  mergesConcurrentSaves?: boolean;
}

/**
 * What every SigningKeyStore must do. Run it on each implementation (the
 * memory store in memory-signing-key-store.test.ts, DynamoDB on dynalite in
 * test/ports), so the key ring's tests against the memory store say something
 * about production. `make` must hand back an empty store each time: a ring is
 * one per deployment, so tests cannot share one.
 */
export function signingKeyStoreContract(
  name: string,
  make: () => SigningKeyStore | Promise<SigningKeyStore>,
  options: SigningKeyStoreContractOptions = {},
): void {
  describe(`SigningKeyStore contract: ${name}`, () => {
    const T0 = new Date('2025-03-01T00:00:00.000Z');
    const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000).toISOString();
    const byKid = (keys: StoredSigningKey[]) =>
      [...keys].sort((a, b) => a.kid.localeCompare(b.kid));

    async function key(createdAt: string, retiredAt?: string): Promise<StoredSigningKey> {
      const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
      const privateJwk = await exportJWK(privateKey);
      const { kty, crv, x, y } = privateJwk;
      const publicJwk = { kty, crv, x, y };
      return {
        kid: await calculateJwkThumbprint(publicJwk),
        alg: SIGNING_ALG,
        createdAt,
        ...(retiredAt === undefined ? {} : { retiredAt }),
        privateJwk,
        publicJwk,
      };
    }

    async function sign(ring: KeyRing, text: string): Promise<string> {
      const { kid, key: privateKey } = ring.signingKey();
      return new CompactSign(new TextEncoder().encode(text))
        .setProtectedHeader({ alg: SIGNING_ALG, kid })
        .sign(privateKey);
    }

    async function verifies(ring: KeyRing, jws: string, when: Date): Promise<boolean> {
      const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as {
        kid: string;
      };
      const verificationKey = await ring.verificationKey(header.kid, when);
      if (!verificationKey) return false;
      return compactVerify(jws, verificationKey).then(
        () => true,
        () => false,
      );
    }

    it('loads nothing from an empty store', async () => {
      const store = await make();
      expect(await store.load()).toEqual([]);
    });

    it('loads back exactly what was saved, private halves included', async () => {
      const store = await make();
      const ring = [await key(at(0), at(10)), await key(at(10))];
      await store.save(ring);
      expect(byKid(await store.load())).toEqual(byKid(ring));
      const current = (await store.load()).find((k) => k.retiredAt === undefined);
      expect(current?.privateJwk.d).toBe(ring[1]!.privateJwk.d);
    });

    it('saves a rotation: the old key retired at its time, the new one current', async () => {
      const store = await make();
      const first = await key(at(0));
      await store.save([first]);
      const loaded = await store.load();
      const next = await key(at(100));
      await store.save([...loaded.map((k) => ({ ...k, retiredAt: at(100) })), next]);
      expect(byKid(await store.load())).toEqual(byKid([{ ...first, retiredAt: at(100) }, next]));
    });

    it('drops a retired key that a save leaves out', async () => {
      const store = await make();
      const old = await key(at(0), at(10));
      const current = await key(at(10));
      await store.save([old, current]);
      await store.save([current]);
      expect(await store.load()).toEqual([current]);
    });

    it('hands out copies: changing what was saved or loaded changes nothing stored', async () => {
      const store = await make();
      const current = await key(at(0));
      const saved = structuredClone(current);
      await store.save([saved]);
      saved.createdAt = 'changed';
      const [loaded] = await store.load();
      loaded!.publicJwk.x = 'changed';
      expect(await store.load()).toEqual([current]);
    });

    it('serves a key ring across reopening and rotation', async () => {
      const store = await make();
      const ring = await openKeyRing(store, { retentionSeconds: 3600, now: () => T0 });
      const before = await sign(ring, 'before');
      const reopened = await openKeyRing(store, { now: () => T0 });
      expect(reopened.signingKey().kid).toBe(ring.signingKey().kid);

      await ring.rotate(new Date(at(60)));
      const after = await sign(ring, 'after');
      const third = await openKeyRing(store, { retentionSeconds: 3600, now: () => T0 });
      expect(third.signingKey().kid).toBe(ring.signingKey().kid);
      expect(await verifies(third, before, new Date(at(120)))).toBe(true);
      expect(await verifies(third, after, new Date(at(120)))).toBe(true);
      expect(await store.load()).toHaveLength(2);
    });

    describe.skipIf(!options.mergesConcurrentSaves)('concurrent saves', () => {
      it('loses no key when two saves are built on the same load', async () => {
        const store = await make();
        const first = await key(at(0));
        await store.save([first]);
        const [seenByA, seenByB] = [await store.load(), await store.load()];
        const [fromA, fromB] = [await key(at(10)), await key(at(11))];
        await store.save([...seenByA.map((k) => ({ ...k, retiredAt: at(10) })), fromA]);
        await store.save([...seenByB.map((k) => ({ ...k, retiredAt: at(11) })), fromB]);
        // The first retirement stays; the other's new key is neither lost nor retired.
        expect(byKid(await store.load())).toEqual(
          byKid([{ ...first, retiredAt: at(10) }, fromA, fromB]),
        );
      });

      it('keeps both new keys when two rings rotate at once, and both keep verifying', async () => {
        const store = await make();
        const now = () => T0;
        const a = await openKeyRing(store, { now, reloadIntervalSeconds: 0 });
        const b = await openKeyRing(store, { now, reloadIntervalSeconds: 0 });
        await Promise.all([a.rotate(new Date(at(10))), b.rotate(new Date(at(10)))]);
        const [fromA, fromB] = [await sign(a, 'a'), await sign(b, 'b')];
        expect(await store.load()).toHaveLength(3);
        const fresh = await openKeyRing(store, { now });
        expect(await verifies(fresh, fromA, new Date(at(20)))).toBe(true);
        expect(await verifies(fresh, fromB, new Date(at(20)))).toBe(true);
      });

      it('keeps both first keys when two rings open an empty store at once', async () => {
        const store = await make();
        const now = () => T0;
        const [a, b] = await Promise.all([
          openKeyRing(store, { now, reloadIntervalSeconds: 0 }),
          openKeyRing(store, { now, reloadIntervalSeconds: 0 }),
        ]);
        const [fromA, fromB] = [await sign(a, 'a'), await sign(b, 'b')];
        const fresh = await openKeyRing(store, { now });
        expect(await verifies(fresh, fromA, T0)).toBe(true);
        expect(await verifies(fresh, fromB, T0)).toBe(true);
      });
    });
  });
}
