import { DomainError } from '../domain/errors.js';

/**
 * An ISO-8601 time as DynamoDB's TTL wants it: whole seconds since the epoch,
 * rounded up so that an item never expires before the time it stands for.
 */
export function epochSeconds(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) {
    throw new DomainError('VALIDATION_FAILED', `${field} is not a time`, { details: { field } });
  }
  return Math.ceil(ms / 1000);
}
