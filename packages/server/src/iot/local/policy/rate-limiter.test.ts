import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

function simulated(perSecond = 100) {
  let t = 0;
  const limiter = createRateLimiter({ perSecond, now: () => t });
  return {
    at(ms: number) {
      t = ms;
      return limiter.take();
    },
  };
}

describe('createRateLimiter', () => {
  it('allows 100 publishes at once and discards the 101st', () => {
    const clock = simulated();
    for (let i = 0; i < 100; i += 1) expect(clock.at(0)).toBeNull();
    expect(clock.at(0)).toMatchObject({ code: 'PUBLISH_RATE_EXCEEDED', limit: 100, actual: 101 });
  });

  it('refills one token every 10 ms, exactly at the boundary', () => {
    const clock = simulated();
    for (let i = 0; i < 100; i += 1) clock.at(0);
    expect(clock.at(9)).not.toBeNull();
    expect(clock.at(10)).toBeNull();
    expect(clock.at(10)).not.toBeNull();
    expect(clock.at(20)).toBeNull();
  });

  it('sustains 100 per second over a simulated second, never more', () => {
    const clock = simulated();
    for (let i = 0; i < 100; i += 1) clock.at(0);
    let accepted = 0;
    // 1000 attempts spread over one second: only the refill gets through.
    for (let ms = 1; ms <= 1000; ms += 1) if (clock.at(ms) === null) accepted += 1;
    expect(accepted).toBe(100);
  });

  it('lets a steady 100/s client through and refuses a steady 101/s client', () => {
    const steady = simulated();
    for (let i = 0; i < 500; i += 1) expect(steady.at(i * 10)).toBeNull();
    // 101/s for 200 s: the 100-token burst covers the excess for 100 s, then about
    // one publish a second is discarded, so the long-run rate is held at 100/s.
    const fast = simulated();
    let accepted = 0;
    for (let i = 0; i < 20_200; i += 1) if (fast.at((i * 1000) / 101) === null) accepted += 1;
    const elapsedSeconds = (20_199 * 1000) / 101 / 1000;
    expect(accepted).toBe(Math.floor(100 + 100 * elapsedSeconds));
  });

  it('does not bank more than one second of quota while idle', () => {
    const clock = simulated();
    clock.at(0);
    let accepted = 0;
    for (let i = 0; i < 150; i += 1) if (clock.at(60_000) === null) accepted += 1;
    expect(accepted).toBe(100);
  });

  it('survives a clock stepping back without refilling', () => {
    const clock = simulated();
    for (let i = 0; i < 100; i += 1) clock.at(1000);
    expect(clock.at(500)).not.toBeNull();
    expect(clock.at(1005)).not.toBeNull();
    expect(clock.at(1010)).toBeNull();
  });

  it('refuses a nonsensical rate', () => {
    expect(() => createRateLimiter({ perSecond: 0 })).toThrow(RangeError);
    expect(() => createRateLimiter({ perSecond: Number.NaN })).toThrow(RangeError);
  });

  it('defaults to a real monotonic clock', () => {
    const limiter = createRateLimiter({ perSecond: 1 });
    expect(limiter.take()).toBeNull();
    expect(limiter.take()).not.toBeNull();
  });
});
