import { DomainError } from '../domain/errors.js';
import type { ThingRecord } from './iot-registry.js';

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

/** An opaque page cursor: base64url of a JSON object. */
export function encodeCursor(fields: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/**
 * The JSON object inside a cursor, or VALIDATION_FAILED. A cursor comes back from
 * a client, so it is input like any other; callers then check every field.
 */
export function decodeCursorFields(cursor: string): Record<string, unknown> {
  const bytes = Buffer.from(cursor, 'base64url');
  // Node decodes base64 leniently; a cursor must round-trip exactly to be ours.
  if (cursor.length === 0 || bytes.toString('base64url') !== cursor) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  return parsed as Record<string, unknown>;
}

export function invalidCursor(): DomainError {
  return new DomainError('VALIDATION_FAILED', 'cursor is not valid for this list');
}

/** A thing as both adapters first store it: its ids checked, never connected, version 1. */
export function newThingRecord(
  input: Omit<ThingRecord, 'version' | 'lastConnectedAt'>,
): ThingRecord {
  assertKeyParts({
    thingName: input.thingName,
    partnerId: input.partnerId,
    organisationId: input.organisationId,
  });
  return {
    thingName: input.thingName,
    partnerId: input.partnerId,
    organisationId: input.organisationId,
    createdAt: input.createdAt,
    lastConnectedAt: null,
    version: 1,
  };
}
