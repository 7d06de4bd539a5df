import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SessionFenceStore } from './session-fence.js';

/**
 * What every SessionFenceStore must do: run it on each implementation (memory
 * in session-fence.test.ts, DynamoDB on dynalite in test/ports). The fence
 * must never go down, or a raise in flight could let old tokens back in.
 */
export function sessionFenceStoreContract(
  name: string,
  make: () => SessionFenceStore | Promise<SessionFenceStore>,
): void {
  describe(`SessionFenceStore contract: ${name}`, () => {
    const user = () => `usr_${randomUUID().slice(0, 8)}`;
    const T = Date.parse('2025-03-01T00:00:00.000Z');

    it('is 0 for a user whose sessions were never ended', async () => {
      const store = await make();
      expect(await store.get('p-1', user())).toBe(0);
    });

    it('raises to the time given, and by one when it is not later', async () => {
      const store = await make();
      const u = user();
      expect(await store.raise('p-1', u, T)).toBe(T);
      expect(await store.get('p-1', u)).toBe(T);
      expect(await store.raise('p-1', u, T + 5000)).toBe(T + 5000);
      // A clock behind the stored fence must still raise it.
      expect(await store.raise('p-1', u, T)).toBe(T + 5001);
      expect(await store.raise('p-1', u, T + 5001)).toBe(T + 5002);
      expect(await store.get('p-1', u)).toBe(T + 5002);
    });

    it('keeps users and partners apart', async () => {
      const store = await make();
      const u = user();
      await store.raise('p-1', u, T);
      expect(await store.get('p-2', u)).toBe(0);
      expect(await store.get('p-1', user())).toBe(0);
      await store.raise('*', u, T + 1);
      expect(await store.get('*', u)).toBe(T + 1);
      expect(await store.get('p-1', u)).toBe(T);
    });

    it('gives concurrent raises distinct values, the highest staying', async () => {
      const store = await make();
      const u = user();
      const values = await Promise.all(Array.from({ length: 6 }, () => store.raise('p-1', u, T)));
      expect(new Set(values).size).toBe(6);
      expect(Math.min(...values)).toBe(T);
      expect(await store.get('p-1', u)).toBe(Math.max(...values));
    });

    it('refuses ids that could reach another key, and times that are not whole ms', async () => {
      const store = await make();
      await expect(store.get('p#1', 'u')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.raise('p-1', 'u#x', T)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(store.raise('p-1', user(), 1.5)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });
}
