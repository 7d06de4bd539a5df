import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';

/**
 * What every ApiKeyStore must do. Run it on each implementation (the memory
 * store here; a DynamoDB one on dynalite when it exists), so a fake that passes
 * cannot hide a behaviour the real store lacks.
 */
export function apiKeyStoreContract(
  name: string,
  make: () => ApiKeyStore | Promise<ApiKeyStore>,
): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
      const run = randomUUID().replaceAll('-', '').slice(0, 12);
      return {
        keyId: run,
        partnerId: `partner-${run}`,
        organisationId: 'org-1',
        name: 'Billing export',
        scopes: ['readings:read', 'meters:read'],
        grants: [{ role: 'operator', partnerId: `partner-${run}`, organisationId: 'org-1' }],
        createdBy: 'user-1',
        createdAt: '2025-03-01T00:00:00.000Z',
        expiresAt: null,
        revokedAt: null,
        secretHash: 'x'.repeat(43),
        ...overrides,
      };
    }

    it('stores a key and reads it back exactly; a missing one is null', async () => {
      const store = await make();
      const created = record({ expiresAt: '2026-01-01T00:00:00.000Z' });
      await store.create(created);
      expect(await store.get(created.keyId)).toEqual(created);
      expect(await store.get('missingkey01')).toBeNull();
    });

    it('keeps an optional organisation absent when it was absent', async () => {
      const store = await make();
      const { organisationId: _o, ...partnerWide } = record();
      await store.create(partnerWide);
      expect(await store.get(partnerWide.keyId)).not.toHaveProperty('organisationId');
    });

    it('refuses a second key with the same id with CONFLICT, keeping the first', async () => {
      const store = await make();
      const first = record();
      await store.create(first);
      await expect(store.create({ ...first, name: 'other' })).rejects.toMatchObject({
        name: 'DomainError',
        code: 'CONFLICT',
      });
      expect(await store.get(first.keyId)).toEqual(first);
    });

    it('revokes once: a second revocation keeps the first time', async () => {
      const store = await make();
      const key = record();
      await store.create(key);
      const first = await store.revoke(key.keyId, '2025-03-02T00:00:00.000Z');
      expect(first).toEqual({ ...key, revokedAt: '2025-03-02T00:00:00.000Z' });
      const second = await store.revoke(key.keyId, '2025-03-03T00:00:00.000Z');
      expect(second?.revokedAt).toBe('2025-03-02T00:00:00.000Z');
      expect((await store.get(key.keyId))?.revokedAt).toBe('2025-03-02T00:00:00.000Z');
    });

    it('answers null when revoking a key that does not exist, and does not make one', async () => {
      const store = await make();
      expect(await store.revoke('missingkey02', '2025-03-02T00:00:00.000Z')).toBeNull();
      expect(await store.get('missingkey02')).toBeNull();
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const store = await make();
      const key = record();
      await store.create(key);
      key.scopes.push('changed:after-create');
      const read = await store.get(key.keyId);
      read!.grants.length = 0;
      expect((await store.get(key.keyId))?.scopes).toEqual(['readings:read', 'meters:read']);
      expect((await store.get(key.keyId))?.grants).toHaveLength(1);
    });
  });
}
