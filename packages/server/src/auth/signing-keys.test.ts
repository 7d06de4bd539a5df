import { compactVerify, CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { createMemorySigningKeyStore, openKeyRing, type KeyRing } from './signing-keys.js';

const T0 = new Date('2025-03-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function sign(ring: KeyRing, text: string): Promise<string> {
  const { kid, key } = ring.signingKey();
  return new CompactSign(new TextEncoder().encode(text))
    .setProtectedHeader({ alg: 'ES256', kid })
    .sign(key);
}

async function verifies(ring: KeyRing, jws: string, when: Date): Promise<boolean> {
  const kid = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()).kid as string;
  const key = await ring.verificationKey(kid, when);
  if (!key) return false;
  return compactVerify(jws, key).then(
    () => true,
    () => false,
  );
}

describe('key ring', () => {
  it('makes and saves a first key when the store is empty, and reuses it on reopening', async () => {
    const store = createMemorySigningKeyStore();
    const ring = await openKeyRing(store, { now: () => T0 });
    const [saved] = await store.load();
    expect(saved).toMatchObject({ alg: 'ES256', createdAt: T0.toISOString() });
    expect(saved!.privateJwk.d).toBeTypeOf('string');
    const again = await openKeyRing(store, { now: () => T0 });
    expect(again.signingKey().kid).toBe(ring.signingKey().kid);
    expect(await verifies(again, await sign(ring, 'hello'), T0)).toBe(true);
  });

  it('publishes public keys only', async () => {
    const ring = await openKeyRing(createMemorySigningKeyStore(), { now: () => T0 });
    const jwks = ring.publicJwks();
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key!.kid).toBe(ring.signingKey().kid);
    expect(Object.keys(key!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  it('rotates: the new key signs, the previous one verifies until the retention ends', async () => {
    const store = createMemorySigningKeyStore();
    const ring = await openKeyRing(store, { retentionSeconds: 3600, now: () => T0 });
    const oldKid = ring.signingKey().kid;
    const old = await sign(ring, 'old');

    await ring.rotate(at(100));
    expect(ring.signingKey().kid).not.toBe(oldKid);
    expect(await verifies(ring, old, at(200))).toBe(true);
    expect(await verifies(ring, await sign(ring, 'new'), at(200))).toBe(true);
    expect(ring.publicJwks(at(200)).keys.map((k) => k.kid)).toContain(oldKid);

    // Past the retention the old key stops verifying even before it is dropped ...
    expect(await verifies(ring, old, at(100 + 3600))).toBe(false);
    expect(ring.publicJwks(at(100 + 3600)).keys.map((k) => k.kid)).not.toContain(oldKid);

    // ... and the next rotation drops it from the store.
    await ring.rotate(at(100 + 3601));
    expect((await store.load()).map((k) => k.kid)).not.toContain(oldKid);
    expect(await store.load()).toHaveLength(2);
    expect(await verifies(ring, old, at(100 + 3601))).toBe(false);
  });

  it('picks up a key another process rotated in when it sees its kid', async () => {
    let clock = T0;
    const store = createMemorySigningKeyStore();
    const a = await openKeyRing(store, { now: () => clock, reloadIntervalSeconds: 60 });
    const b = await openKeyRing(store, { now: () => clock, reloadIntervalSeconds: 60 });
    await a.rotate(clock);
    const fromA = await sign(a, 'rotated');

    // Too soon after b's last load: an unknown kid does not reach the store.
    expect(await verifies(b, fromA, clock)).toBe(false);
    clock = at(61);
    expect(await verifies(b, fromA, clock)).toBe(true);
  });

  it('does not undo another process rotation when it rotates itself', async () => {
    const store = createMemorySigningKeyStore();
    const a = await openKeyRing(store, { now: () => T0 });
    const b = await openKeyRing(store, { now: () => T0 });
    await a.rotate(at(10));
    await b.rotate(at(20));
    expect(await store.load()).toHaveLength(3);
    expect((await store.load()).filter((k) => k.retiredAt === undefined)).toHaveLength(1);
  });

  it('answers null for an unknown kid', async () => {
    const ring = await openKeyRing(createMemorySigningKeyStore(), { now: () => T0 });
    expect(await ring.verificationKey('nope', T0)).toBeNull();
  });
});
