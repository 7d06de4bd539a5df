import { DomainError } from '../domain/errors.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';

/** API keys in memory, for tests and the embedded server; passes apiKeyStoreContract. */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const keys = new Map<string, ApiKeyRecord>();
  return {
    async create(record) {
      if (keys.has(record.keyId)) throw new DomainError('CONFLICT', 'API key id already taken');
      keys.set(record.keyId, structuredClone(record));
    },

    async get(keyId) {
      const record = keys.get(keyId);
      return record ? structuredClone(record) : null;
    },

    async revoke(keyId, revokedAt) {
      const record = keys.get(keyId);
      if (!record) return null;
      record.revokedAt ??= revokedAt;
      return structuredClone(record);
    },
  };
}
