import { DomainError } from '../domain/errors.js';

/** Page size when the caller names none, and the most one page may hold. */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

/** The limit rule both adapters apply: a whole number from 1 to MAX_PAGE_LIMIT. */
export function resolvePageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new DomainError('VALIDATION_FAILED', `limit must be a whole number 1–${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

/**
 * The key-part rule both adapters apply: ids are non-empty and free of '#', the
 * separator of the store's composite keys, so that no two tenants' keys can be
 * made to coincide by a crafted id.
 */
export function assertKeyParts(parts: Record<string, string>): void {
  for (const [field, value] of Object.entries(parts)) {
    if (typeof value !== 'string' || value.length === 0 || value.includes('#')) {
      throw new DomainError('VALIDATION_FAILED', `${field} must be non-empty and without '#'`, {
        details: { field },
      });
    }
  }
}
