import { DomainError } from '../domain/errors.js';
import { toApiKeyInfo, type ApiKeyRecord, type ApiKeyStore } from './api-keys.js';

const DEFAULT_PAGE_LIMIT = 50;
const MAX_PAGE_LIMIT = 100;

function invalidCursor(): DomainError {
  return new DomainError('VALIDATION_FAILED', 'cursor is not valid for this list', {
    details: { field: 'cursor' },
  });
}

/** The order the DynamoDB index keeps: creation time, the id breaking ties. */
const sortKey = (record: ApiKeyRecord) => `${record.createdAt}#${record.keyId}`;

/**
 * A cursor names the list it belongs to (partner and organisation), so that
 * one handed to another list is refused as the DynamoDB store refuses it.
 */
function encodeCursor(list: string, after: string): string {
  return Buffer.from(JSON.stringify({ list, after })).toString('base64url');
}

function decodeCursor(cursor: string, list: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const fields = parsed as { list?: unknown; after?: unknown } | null;
  if (
    encodeCursor(String(fields?.list), String(fields?.after)) !== cursor ||
    fields?.list !== list ||
    typeof fields.after !== 'string'
  ) {
    throw invalidCursor();
  }
  return fields.after;
}

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

    async list(partnerId, options = {}) {
      const limit = options.limit ?? DEFAULT_PAGE_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `limit must be a whole number 1–${MAX_PAGE_LIMIT}`,
          {
            details: { field: 'limit' },
          },
        );
      }
      const list = JSON.stringify([partnerId, options.organisationId ?? null]);
      const after = options.cursor === undefined ? null : decodeCursor(options.cursor, list);
      const matching = [...keys.values()]
        .filter(
          (r) =>
            r.partnerId === partnerId &&
            (options.organisationId === undefined || r.organisationId === options.organisationId),
        )
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
        .filter((r) => after === null || sortKey(r) > after);
      const page = matching.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toApiKeyInfo),
        cursor: matching.length > limit && last ? encodeCursor(list, sortKey(last)) : null,
      };
    },
  };
}
