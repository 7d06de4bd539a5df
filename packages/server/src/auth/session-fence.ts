import { DomainError } from '../domain/errors.js';
import { ANY_PARTNER, isValidId } from './principal.js';

/**
 * A user's session fence: a number that only grows, raised when their
 * password, grants or status change or they are deleted (endUserSessions in
 * sessions.ts). Access tokens and refresh sessions carry the fence they were
 * issued under; one issued under a lower fence is refused from then on.
 *
 * The value is the time of the raise in epoch milliseconds, or one more than
 * the stored value when the clock is behind it. Times keep it growing even
 * after the store has dropped the record (TTL): a later raise is a later time.
 */
export interface SessionFenceStore {
  /** 0 when the user's sessions were never ended. Strongly consistent. */
  get(partnerId: string, userId: string): Promise<number>;
  /** Raises the fence to `atMs`, or by one when it stands there or higher already; the new value. */
  raise(partnerId: string, userId: string, atMs: number): Promise<number>;
}

/**
 * How long a store keeps a fence after its last raise. Past it every session
 * and access token it had to stop has ended on its own: it must exceed the
 * longest refresh session (30 days, DEFAULT_REFRESH_POLICY) and an access
 * token's lifetime.
 */
export const SESSION_FENCE_RETENTION_SECONDS = 31 * 24 * 3600;

export function checkFenceSubject(partnerId: string, userId: string): void {
  if (!(isValidId(partnerId) || partnerId === ANY_PARTNER) || !isValidId(userId)) {
    throw new DomainError('VALIDATION_FAILED', 'invalid partnerId or userId', {
      details: { field: 'userId' },
    });
  }
}

export function checkFenceTime(atMs: number): void {
  if (!Number.isSafeInteger(atMs) || atMs < 0) {
    throw new DomainError('VALIDATION_FAILED', 'a fence is whole milliseconds since the epoch');
  }
}

/** Fences in memory, for tests and the app without storage. */
export function createMemorySessionFenceStore(): SessionFenceStore {
  const fences = new Map<string, number>();
  const keyOf = (partnerId: string, userId: string) => `${partnerId}\u0000${userId}`;
  return {
    async get(partnerId, userId) {
      checkFenceSubject(partnerId, userId);
      return fences.get(keyOf(partnerId, userId)) ?? 0;
    },
    async raise(partnerId, userId, atMs) {
      checkFenceSubject(partnerId, userId);
      checkFenceTime(atMs);
      const key = keyOf(partnerId, userId);
      const current = fences.get(key) ?? 0;
      const next = atMs > current ? atMs : current + 1;
      fences.set(key, next);
      return next;
    },
  };
}
