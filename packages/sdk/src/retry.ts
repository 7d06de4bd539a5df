/** How failed attempts are retried; every field has a default. */
export interface RetryPolicy {
  /** The first backoff step; later ones double. 500 ms. */
  baseDelayMs?: number;
  /**
   * The longest wait between attempts, 20 s. A Retry-After longer than this
   * is not waited for: the call fails at once with the answer (its
   * `retryAfterMs` says how long the server asked for).
   */
  maxDelayMs?: number;
  /** Waits between attempts; rejects when the signal aborts. For tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter. For tests. */
  random?: () => number;
}

export type ResolvedRetryPolicy = Required<RetryPolicy>;

export const DEFAULT_RETRIES = 2;

export function resolveRetryPolicy(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  return {
    baseDelayMs: policy.baseDelayMs ?? 500,
    maxDelayMs: policy.maxDelayMs ?? 20_000,
    sleep: policy.sleep ?? sleep,
    random: policy.random ?? Math.random,
  };
}

/** Answers that say "later" rather than "no": the request was not acted on. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Methods that mean the same when sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
]);

/**
 * Whether a request may be sent again after a failure whose effect is
 * unknown: idempotent methods always, POST and PATCH only with an
 * Idempotency-Key (then the server can tell the repeat from a new request).
 */
export function mayRetry(method: string, headers: Headers): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || headers.has('idempotency-key');
}

/**
 * Exponential backoff with full jitter (a uniform wait in [0, step), the step
 * doubling from `baseDelayMs` up to `maxDelayMs`), so that clients that failed
 * together do not come back together. `attempt` counts from 0.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<ResolvedRetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(policy.random() * step);
}

/** A timer that ends early, rejecting with the signal's reason, when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
