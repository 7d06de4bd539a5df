import type { LimitViolation } from './limit-violation.js';

export interface RateLimiterOptions {
  /** IoT Core: 100 publishes per second per connection, inbound + outbound (IOT-CORE.md §1.3). */
  perSecond: number;
  /** Milliseconds on a monotonic clock; injectable so tests simulate time. */
  now?: () => number;
}

export interface RateLimiter {
  /** Takes one publish; a violation means the publish is over quota and is discarded (§1.3). */
  take(): LimitViolation | null;
}

/**
 * A token bucket per connection: it holds at most `perSecond` tokens and
 * refills continuously at `perSecond` per second. The broker calls `take()`
 * for every PUBLISH it receives from the client and every one it delivers to
 * it. Sustained throughput is `perSecond`; after a quiet second a client may
 * burst `perSecond` at once (so any window of one second sees at most twice
 * the rate), which is how such a quota is usually enforced; AWS does not
 * publish its algorithm.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perSecond } = options;
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new RangeError(`perSecond must be a positive number, got ${perSecond}`);
  }
  const now = options.now ?? (() => performance.now());
  // Thousandths of a token: one millisecond refills exactly `perSecond` of them,
  // so integer clocks never meet rounding at the boundaries.
  const capacity = perSecond * 1000;
  let balance = capacity;
  let last = now();
  // Only for the violation's `actual`: publishes asked for in the current second.
  let windowStart = last;
  let inWindow = 0;

  return {
    take() {
      const t = now();
      // A clock that steps back refills nothing and is not held against the client.
      const elapsed = Math.max(0, t - last);
      last = Math.max(last, t);
      balance = Math.min(capacity, balance + elapsed * perSecond);
      if (t - windowStart >= 1000 || t < windowStart) {
        windowStart = t;
        inWindow = 0;
      }
      inWindow += 1;
      if (balance >= 1000) {
        balance -= 1000;
        return null;
      }
      return {
        code: 'PUBLISH_RATE_EXCEEDED',
        limit: perSecond,
        actual: inWindow,
        message: `over ${perSecond} publishes per second on this connection; publish discarded`,
      };
    },
  };
}
