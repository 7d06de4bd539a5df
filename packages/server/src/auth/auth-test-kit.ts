import { expect } from 'vitest';
import { isDomainError } from '../domain/errors.js';

/**
 * Helpers for the auth tests (not part of the public surface): what a refusal
 * said, and a scan of everything an error or record carries for secrets.
 */

/** The refusal reason of an UNAUTHENTICATED failure, or null when the promise resolves. */
export async function refusal(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (err) {
    if (!isDomainError(err) || err.code !== 'UNAUTHENTICATED') throw err;
    return (err.details as { reason: string }).reason;
  }
}

/** The value as it could reach a log or a response: every field, message and stack, and its causes. */
export function dump(value: unknown, seen = new Set<unknown>()): string {
  if (typeof value !== 'object' || value === null) return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', dump(value.cause, seen));
  for (const key of Reflect.ownKeys(value)) {
    parts.push(String(key), dump((value as Record<PropertyKey, unknown>)[key], seen));
  }
  return parts.join('\n');
}

export function expectNoSecrets(value: unknown, secrets: readonly string[]): void {
  const text = dump(value);
  for (const secret of secrets) {
    expect(secret.length, 'a secret to look for').toBeGreaterThan(8);
    expect(text.includes(secret), `secret found in ${text.slice(0, 200)}`).toBe(false);
  }
}
