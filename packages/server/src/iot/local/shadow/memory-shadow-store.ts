import { DomainError } from '../../../domain/errors.js';
import { assertKeyParts } from '../../registry-rules.js';
import type { ShadowRecord, ShadowStore } from './shadow-store.js';

/**
 * Shadows in memory, for tests and a registry-less emulator. It mirrors the
 * DynamoDB adapter rule for rule (test/ports/shadow-store.contract.ts runs on
 * both), conditions and tombstone expiry included.
 */
export function createMemoryShadowStore(options: { now?: () => Date } = {}): ShadowStore {
  const now = options.now ?? (() => new Date());
  const records = new Map<string, ShadowRecord>();
  // The classic shadow cannot collide with a named one: names have no '#'.
  const keyOf = (thingName: string, shadowName: string | null) =>
    `${thingName}#${shadowName ?? ''}`;
  const expired = (record: ShadowRecord) =>
    record.expiresAt !== null && record.expiresAt < now().getTime() / 1000;
  const copy = (record: ShadowRecord): ShadowRecord => structuredClone(record);

  return {
    async get(thingName, shadowName) {
      const record = records.get(keyOf(thingName, shadowName));
      return record === undefined || expired(record) ? null : copy(record);
    },

    async put(record, expectedVersion) {
      assertKeyParts({ thingName: record.thingName, partnerId: record.partnerId });
      if (record.shadowName !== null) assertKeyParts({ shadowName: record.shadowName });
      const key = keyOf(record.thingName, record.shadowName);
      const stored = records.get(key);
      const matches =
        expectedVersion === null
          ? stored === undefined || expired(stored)
          : stored !== undefined && stored.version === expectedVersion;
      if (!matches) {
        throw new DomainError(
          'CONFLICT',
          `shadow ${key} is not at version ${expectedVersion ?? 'none'}`,
        );
      }
      records.set(key, copy(record));
    },

    async listNamedShadows(partnerId, thingName) {
      return [...records.values()]
        .filter(
          (r) =>
            r.partnerId === partnerId &&
            r.thingName === thingName &&
            r.shadowName !== null &&
            r.document !== null,
        )
        .map((r) => r.shadowName as string)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}
