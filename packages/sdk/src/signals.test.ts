import { afterEach, describe, expect, it, vi } from 'vitest';
import { anySignal, timeoutSignal } from './signals.js';

describe('anySignal', () => {
  afterEach(() => vi.unstubAllGlobals());

  for (const runtime of ['with AbortSignal.any', 'without it (older browsers)']) {
    it(`aborts with the first signal's reason, ${runtime}`, () => {
      if (runtime.startsWith('without')) {
        vi.stubGlobal(
          'AbortSignal',
          Object.assign(class extends AbortSignal {}, { any: undefined }),
        );
      }
      const a = new AbortController();
      const b = new AbortController();
      const combined = anySignal([a.signal, b.signal]);
      expect(combined.aborted).toBe(false);
      b.abort('second');
      a.abort('first');
      expect(combined.aborted).toBe(true);
      expect(combined.reason).toBe('second');

      const already = new AbortController();
      already.abort('before');
      expect(anySignal([new AbortController().signal, already.signal]).reason).toBe('before');
    });
  }
});

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError; a stream’s stops when cleared', async () => {
    const call = timeoutSignal(20, false);
    const stream = timeoutSignal(20, true);
    stream.clear();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(call.signal.aborted).toBe(true);
    expect((call.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(stream.signal.aborted).toBe(false);
  });
});
