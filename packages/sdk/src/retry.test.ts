import { describe, expect, it } from 'vitest';
import { backoffDelay, mayRetry, resolveRetryPolicy, sleep } from './retry.js';

describe('mayRetry', () => {
  it('allows idempotent methods, and POST and PATCH only with an Idempotency-Key', () => {
    const none = new Headers();
    const keyed = new Headers({ 'Idempotency-Key': 'k-1' });
    expect(
      ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'get'].map((m) => mayRetry(m, none)),
    ).toEqual([true, true, true, true, true, true]);
    expect(mayRetry('POST', none)).toBe(false);
    expect(mayRetry('PATCH', none)).toBe(false);
    expect(mayRetry('POST', keyed)).toBe(true);
    expect(mayRetry('PATCH', keyed)).toBe(true);
  });
});

describe('backoffDelay', () => {
  const policy = { ...resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 }) };

  it('draws uniformly below a step that doubles from the base up to the cap', () => {
    const top = { ...policy, random: () => 0.999_999 };
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    const bottom = { ...policy, random: () => 0 };
    expect(backoffDelay(5, bottom)).toBe(0);
  });
});

describe('sleep', () => {
  it('waits, and rejects with the reason as soon as the signal aborts', async () => {
    const started = Date.now();
    await sleep(30, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);

    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 10);
    const early = Date.now();
    await expect(sleep(10_000, controller.signal)).rejects.toBe(reason);
    expect(Date.now() - early).toBeLessThan(1000);
    await expect(sleep(10, controller.signal)).rejects.toBe(reason);
  });
});
