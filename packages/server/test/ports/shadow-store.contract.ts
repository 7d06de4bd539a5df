import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ShadowRecord, ShadowStore } from '../../src/iot/local/shadow/shadow-store.js';

/**
 * What every ShadowStore must do, run on the memory store and on DynamoDB
 * (dynalite). `make` gets the clock the store must use, so tombstone expiry
 * can be tested without waiting 48 hours.
 */
export function describeShadowStore(
  name: string,
  make: (now: () => Date) => ShadowStore | Promise<ShadowStore>,
): void {
  describe(`ShadowStore contract: ${name}`, () => {
    let clock = new Date('2025-06-01T00:00:00.000Z');
    const store = () => make(() => clock);

    function ids() {
      const run = randomUUID().slice(0, 8);
      return { partner: `partner-${run}`, other: `other-${run}`, thing: `gw-${run}` };
    }

    function record(
      thingName: string,
      partnerId: string,
      version: number,
      overrides: Partial<ShadowRecord> = {},
    ): ShadowRecord {
      return {
        thingName,
        shadowName: null,
        partnerId,
        version,
        document: {
          state: { reported: { fw: `1.${version}`, big: 1234567890.123, ratio: 0.1 } },
          metadata: {
            reported: { fw: { timestamp: 1 }, big: { timestamp: 1 }, ratio: { timestamp: 1 } },
          },
        },
        updatedAt: '2025-06-01T00:00:00.000Z',
        expiresAt: null,
        ...overrides,
      };
    }

    const conflict = { name: 'DomainError', code: 'CONFLICT' };

    it('stores a new shadow and reads it back exactly; a missing one is null', async () => {
      const s = await store();
      const { partner, thing } = ids();
      expect(await s.get(thing, null)).toBeNull();
      const created = record(thing, partner, 1);
      await s.put(created, null);
      expect(await s.get(thing, null)).toEqual(created);
    });

    it('keeps the classic shadow and named shadows apart', async () => {
      const s = await store();
      const { partner, thing } = ids();
      await s.put(record(thing, partner, 1), null);
      await s.put(record(thing, partner, 5, { shadowName: 'zw-config' }), null);
      expect((await s.get(thing, null))?.version).toBe(1);
      expect((await s.get(thing, 'zw-config'))?.version).toBe(5);
      expect(await s.get(thing, 'other')).toBeNull();
    });

    it('writes only on the version read: a stale or missing expectation is CONFLICT', async () => {
      const s = await store();
      const { partner, thing } = ids();
      await s.put(record(thing, partner, 1), null);
      await expect(s.put(record(thing, partner, 1), null)).rejects.toMatchObject(conflict);
      await expect(s.put(record(thing, partner, 3), 2)).rejects.toMatchObject(conflict);
      await expect(s.put(record(thing, partner, 2), 1)).resolves.toBeUndefined();
      expect((await s.get(thing, null))?.version).toBe(2);
    });

    it('lets exactly one of two concurrent writers on the same version win', async () => {
      const s = await store();
      const { partner, thing } = ids();
      await s.put(record(thing, partner, 1), null);
      const results = await Promise.allSettled([
        s.put(record(thing, partner, 2, { updatedAt: 'a' }), 1),
        s.put(record(thing, partner, 2, { updatedAt: 'b' }), 1),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.status === 'rejected' && rejected.reason).toMatchObject(conflict);
    });

    it('keeps a tombstone with its version for 48 hours, then forgets it', async () => {
      const s = await store();
      const { partner, thing } = ids();
      await s.put(record(thing, partner, 4), null);
      const deletedAt = clock.getTime() / 1000;
      const tombstone = record(thing, partner, 4, {
        document: null,
        expiresAt: deletedAt + 48 * 3600,
      });
      await s.put(tombstone, 4);
      expect(await s.get(thing, null)).toEqual(tombstone);
      // A writer that saw the tombstone builds on its version.
      await expect(s.put(record(thing, partner, 5), null)).rejects.toMatchObject(conflict);
      const saved = clock;
      clock = new Date(saved.getTime() + 48 * 3600 * 1000 + 1000);
      try {
        expect(await s.get(thing, null)).toBeNull();
        await s.put(record(thing, partner, 1), null);
        expect((await s.get(thing, null))?.version).toBe(1);
      } finally {
        clock = saved;
      }
    });

    it("lists a thing's live named shadows under its partner only", async () => {
      const s = await store();
      const { partner, other, thing } = ids();
      await s.put(record(thing, partner, 1), null);
      await s.put(record(thing, partner, 1, { shadowName: 'zw-config' }), null);
      await s.put(record(thing, partner, 1, { shadowName: 'alpha' }), null);
      await s.put(record(thing, partner, 1, { shadowName: 'gone' }), null);
      await s.put(
        record(thing, partner, 1, { shadowName: 'gone', document: null, expiresAt: 4e9 }),
        1,
      );
      expect(await s.listNamedShadows(partner, thing)).toEqual(['alpha', 'zw-config']);
      expect(await s.listNamedShadows(other, thing)).toEqual([]);
    });

    it("refuses ids with '#', the key separator (VALIDATION_FAILED)", async () => {
      const s = await store();
      const { partner, thing } = ids();
      const invalid = { name: 'DomainError', code: 'VALIDATION_FAILED' };
      await expect(s.put(record(`${thing}#x`, partner, 1), null)).rejects.toMatchObject(invalid);
      await expect(s.put(record(thing, `${partner}#x`, 1), null)).rejects.toMatchObject(invalid);
      await expect(
        s.put(record(thing, partner, 1, { shadowName: 'a#b' }), null),
      ).rejects.toMatchObject(invalid);
    });
  });
}
