import { DomainError } from '../errors.js';

/**
 * Why a field was refused. Stable like error codes: clients and translations
 * branch on them, so add new ones rather than renaming.
 */
export type InvalidReason =
  | 'required'
  | 'type'
  | 'format'
  | 'too-short'
  | 'too-long'
  | 'out-of-range'
  | 'not-allowed'
  | 'duplicate'
  | 'immutable'
  | 'order';

/** `field` is a JSON-pointer-like path without the leading slash (`branding/colours/primary`). */
export function invalid(field: string, reason: InvalidReason, message?: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `${field}: ${message ?? reason}`, {
    details: { field, reason },
  });
}

export type Fields = Record<string, unknown>;

/**
 * Inputs are read as unknown even where the type says otherwise: the HTTP
 * schema is one gate, this is the other, and an adapter may be called from a
 * script. Only the named fields are copied, so nothing like `version` or
 * `partnerId` can be slipped in through an extra property.
 */
export function record(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, value === undefined ? 'required' : 'type', 'must be an object');
  }
  return value as Fields;
}

export function text(
  value: unknown,
  field: string,
  options: { max: number; min?: number; pattern?: RegExp } = { max: 200 },
): string {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'string') throw invalid(field, 'type', 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length < (options.min ?? 1)) throw invalid(field, 'too-short');
  if (trimmed.length > options.max) throw invalid(field, 'too-long');
  // Control characters in names end up in e-mails, PDFs and CSV exports.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw invalid(field, 'format');
  if (options.pattern && !options.pattern.test(trimmed)) throw invalid(field, 'format');
  return trimmed;
}

export function optional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}

export function integer(value: unknown, field: string, min: number, max: number): number {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalid(field, 'type', 'must be a whole number');
  }
  if (value < min || value > max) throw invalid(field, 'out-of-range', `must be ${min}–${max}`);
  return value;
}

/** A finite number in (min, max] when `exclusiveMin`, else [min, max]. */
export function decimal(
  value: unknown,
  field: string,
  range: { min: number; max: number; exclusiveMin?: boolean },
): number {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(field, 'type', 'must be a number');
  }
  const low = range.exclusiveMin ? value <= range.min : value < range.min;
  if (low || value > range.max) throw invalid(field, 'out-of-range');
  return value;
}

export function bool(value: unknown, field: string): boolean {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'boolean') throw invalid(field, 'type', 'must be true or false');
  return value;
}

export function oneOf<const T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
): T {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, 'not-allowed', `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function list<T>(
  value: unknown,
  field: string,
  options: { max: number; min?: number; unique?: boolean },
  read: (item: unknown, field: string) => T,
): T[] {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (!Array.isArray(value)) throw invalid(field, 'type', 'must be a list');
  if (value.length < (options.min ?? 0)) throw invalid(field, 'too-short');
  if (value.length > options.max) throw invalid(field, 'too-long');
  const items = value.map((item, index) => read(item, `${field}/${index}`));
  if (options.unique) {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) throw invalid(`${field}/${index}`, 'duplicate');
      seen.add(key);
    });
  }
  return items;
}

/**
 * The id alphabet of src/auth/principal.ts (isValidId), repeated because the
 * domain may not import from auth: ids end up in keys and token claims, so
 * separators ('#') and whitespace stay out.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function id(value: unknown, field: string): string {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) throw invalid(field, 'format');
  return value;
}

/** A calendar date `YYYY-MM-DD` that exists (no 2025-02-30). */
export function isoDate(value: unknown, field: string): string {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw invalid(field, 'format', 'must be a date YYYY-MM-DD');
  }
  const parsed = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) {
    throw invalid(field, 'format', 'is not a calendar date');
  }
  return value;
}

/**
 * An instant as ISO-8601 with an explicit offset, returned in the house form
 * (UTC, milliseconds, `Z`) so that stored instants sort as text.
 */
export function isoInstant(value: unknown, field: string): string {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  ) {
    throw invalid(field, 'format', 'must be an ISO-8601 time with offset');
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalid(field, 'format');
  return new Date(ms).toISOString();
}

const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * An e-mail address, lower-cased: addresses are compared case-insensitively
 * in practice, and uniqueness per partner must not depend on how one typed it.
 */
export function email(value: unknown, field: string): string {
  const lower = text(value, field, { max: 254 }).toLowerCase();
  if (!EMAIL.test(lower)) throw invalid(field, 'format', 'is not an e-mail address');
  return lower;
}

/** An https URL without credentials: shown as a link or loaded by browsers of every tenant. */
export function httpsUrl(value: unknown, field: string): string {
  const raw = text(value, field, { max: 2048 });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(field, 'format', 'is not a URL');
  }
  if (url.protocol !== 'https:') throw invalid(field, 'format', 'must be https');
  if (url.username !== '' || url.password !== '') throw invalid(field, 'format');
  return url.href;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?:${LABEL}\\.)+${LABEL}$`);

/**
 * A DNS host name, lower-cased, with at least two labels, no port and no
 * trailing dot: the form a browser sends in Host for the name, so a lookup by
 * Host compares equal.
 */
export function hostname(value: unknown, field: string): string {
  const lower = text(value, field, { max: 253 }).toLowerCase();
  if (!HOSTNAME.test(lower)) throw invalid(field, 'format', 'is not a host name');
  // An all-numeric last label is an IPv4 address, not a name anyone can own.
  if (/^\d+$/.test(lower.slice(lower.lastIndexOf('.') + 1))) throw invalid(field, 'format');
  return lower;
}

export function phone(value: unknown, field: string): string {
  return text(value, field, { max: 40, pattern: /^\+?[0-9][0-9 ()/-]{2,38}$/ });
}
