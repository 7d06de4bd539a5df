import { describe, expect, it } from 'vitest';
import { isDomainError } from '../domain/errors.js';
import {
  judgeFrame,
  MAX_RECENT,
  SAME_TRANSMISSION_MS,
  type JudgedFrame,
  type Judgement,
  type MeterStreamState,
} from './replay-guard.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const MIN = 60_000;
/** An ISO time `minutes` after T0 (fractions allowed). */
const t = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

function frame(
  digest: string,
  minutes: number,
  extra: Partial<Omit<JudgedFrame, 'digest' | 'receivedAt'>> = {},
): JudgedFrame {
  return { digest, receivedAt: t(minutes), accessNumber: extra.accessNumber ?? 0, ...extra };
}

/** Judges frames in order, carrying the state of `new` verdicts as a pipeline does. */
function run(frames: JudgedFrame[], start?: MeterStreamState) {
  let state = start;
  const verdicts: Judgement[] = [];
  for (const f of frames) {
    const judged = judgeFrame(state, f);
    verdicts.push(judged);
    if (judged.verdict === 'new') state = judged.state;
  }
  return { verdicts, state: state! };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('judgeFrame: the digest rule', () => {
  it('takes the first frame of a meter as new and remembers it', () => {
    const judged = judgeFrame(undefined, frame('a', 0, { accessNumber: 17 }));
    expect(judged).toEqual({
      verdict: 'new',
      firstSeenAt: t(0),
      state: { recent: [{ digest: 'a', at: t(0) }], latest: { at: t(0), accessNumber: 17 } },
    });
  });

  it('takes the same transmission from three gateways as one: new, then duplicates with its time', () => {
    const { verdicts, state } = run([
      frame('a', 0), // gateway 1
      frame('a', 0.02), // gateway 2, a little later on its clock
      frame('a', -0.01), // gateway 3, its clock a little behind
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'duplicate', 'duplicate']);
    expect(verdicts.map((v) => v.firstSeenAt)).toEqual([t(0), t(0), t(0)]);
    expect(state.recent).toEqual([{ digest: 'a', at: t(0) }]);
  });

  it('leaves the state untouched on a duplicate: the same object, nothing to write', () => {
    const { state } = run([frame('a', 0)]);
    deepFreeze(state);
    const judged = judgeFrame(state, frame('a', 1));
    expect(judged.verdict).toBe('duplicate');
    expect(judged.state).toBe(state);
  });

  it('takes a resend after a reconnect (same gateway, same receivedAt) as a duplicate', () => {
    const { verdicts } = run([frame('a', 0), frame('b', 2), frame('a', 0), frame('b', 2)]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'new', 'duplicate', 'duplicate']);
    expect(verdicts[3]!.firstSeenAt).toBe(t(2));
  });

  it('never moves the first-seen time to an earlier copy that arrives later', () => {
    const { verdicts, state } = run([frame('a', 3), frame('a', 1)]);
    expect(verdicts[1]).toMatchObject({ verdict: 'duplicate', firstSeenAt: t(3) });
    expect(state.recent[0]!.at).toBe(t(3));
  });

  it('is a duplicate up to 5 minutes either side, a replay beyond', () => {
    const { state } = run([frame('a', 0)]);
    const at = (ms: number) =>
      judgeFrame(state, { ...frame('a', 0), receivedAt: new Date(T0 + ms).toISOString() });
    expect(at(SAME_TRANSMISSION_MS).verdict).toBe('duplicate');
    expect(at(-SAME_TRANSMISSION_MS).verdict).toBe('duplicate');
    expect(at(SAME_TRANSMISSION_MS + 1)).toMatchObject({
      verdict: 'replay',
      reason: 'digest-seen-before',
      firstSeenAt: t(0),
    });
    expect(at(-SAME_TRANSMISSION_MS - 1)).toMatchObject({
      verdict: 'replay',
      reason: 'digest-seen-before',
    });
    expect(at(SAME_TRANSMISSION_MS + 1).state).toBe(state);
  });

  it('takes the window from the options', () => {
    const { state } = run([frame('a', 0)]);
    expect(judgeFrame(state, frame('a', 1), { sameTransmissionMs: 30_000 }).verdict).toBe('replay');
    expect(judgeFrame(state, frame('a', 9), { sameTransmissionMs: 10 * MIN }).verdict).toBe(
      'duplicate',
    );
  });

  it('plays back a recording a day later as a replay, however it is timed', () => {
    const { verdicts } = run([
      frame('a', 0),
      frame('b', 2),
      frame('a', 24 * 60),
      frame('b', 24 * 60 + 2),
    ]);
    expect(verdicts.map((v) => [v.verdict, v.reason])).toEqual([
      ['new', undefined],
      ['new', undefined],
      ['replay', 'digest-seen-before'],
      ['replay', 'digest-seen-before'],
    ]);
  });

  it('compares instants, not strings: the same time written with and without milliseconds', () => {
    const { state } = run([{ digest: 'a', receivedAt: '2026-03-01T10:00:00Z', accessNumber: 1 }]);
    const judged = judgeFrame(state, {
      digest: 'a',
      receivedAt: '2026-03-01T10:05:00.000Z',
      accessNumber: 1,
    });
    expect(judged).toMatchObject({ verdict: 'duplicate', firstSeenAt: '2026-03-01T10:00:00Z' });
  });

  it('refuses a receivedAt that is no time with VALIDATION_FAILED', () => {
    let caught: unknown;
    try {
      judgeFrame(undefined, { digest: 'a', receivedAt: 'yesterday', accessNumber: 1 });
    } catch (err) {
      caught = err;
    }
    expect(isDomainError(caught) && caught.code).toBe('VALIDATION_FAILED');
  });

  it('does not change the state it is given', () => {
    const { state } = run([
      frame('a', 0, { messageCounter: 1 }),
      frame('b', 2, { messageCounter: 2 }),
    ]);
    const before = structuredClone(state);
    deepFreeze(state);
    const judged = judgeFrame(state, frame('c', 4, { messageCounter: 3 }));
    expect(judged.verdict).toBe('new');
    expect(state).toEqual(before);
    expect(judged.state).not.toBe(state);
  });
});

describe('judgeFrame: modes 0 and 5 (access number only)', () => {
  it('does not order frames by access number: it wraps from 255 to 0', () => {
    const { verdicts, state } = run([
      frame('a', 0, { accessNumber: 254 }),
      frame('b', 2, { accessNumber: 255 }),
      frame('c', 4, { accessNumber: 0 }),
      frame('d', 6, { accessNumber: 1 }),
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'new', 'new', 'new']);
    expect(state.latest).toEqual({ at: t(6), accessNumber: 1 });
  });

  it('accepts a late delivery with any access number, and keeps latest where it was', () => {
    const { verdicts, state } = run([
      frame('a', 10, { accessNumber: 5 }),
      frame('b', 4, { accessNumber: 200 }), // from a gateway's buffer
      frame('c', 2, { accessNumber: 5 }),
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'new', 'new']);
    expect(verdicts[1]!.firstSeenAt).toBe(t(4));
    expect(state.latest).toEqual({ at: t(10), accessNumber: 5 });
    expect(state.recent.map((r) => r.digest)).toEqual(['c', 'b', 'a']);
  });

  it('does not move latest to a frame of the same time', () => {
    const { state } = run([frame('a', 0, { accessNumber: 1 }), frame('b', 0, { accessNumber: 2 })]);
    expect(state.latest).toEqual({ at: t(0), accessNumber: 1 });
    expect(state.recent.map((r) => r.digest)).toEqual(['a', 'b']);
  });

  it('takes a byte-identical frame after the access number wrapped as a replay while its twin is remembered', () => {
    // A meter whose values did not move sends the same bytes again 256 transmissions later.
    const { verdicts } = run([
      frame('same', 0, { accessNumber: 9 }),
      frame('same', 256 * 2, { accessNumber: 9 }),
    ]);
    expect(verdicts[1]).toMatchObject({ verdict: 'replay', reason: 'digest-seen-before' });
  });
});

describe('judgeFrame: mode 7 message counters', () => {
  it('accepts counters that grow with time', () => {
    const { verdicts, state } = run([
      frame('a', 0, { messageCounter: 10 }),
      frame('b', 2, { messageCounter: 11 }),
      frame('c', 4, { messageCounter: 15 }), // frames the gateways missed in between
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'new', 'new']);
    expect(state.latest).toEqual({ at: t(4), accessNumber: 0, messageCounter: 15 });
    expect(state.recent.map((r) => r.messageCounter)).toEqual([10, 11, 15]);
  });

  it('refuses the same counter with other bytes: counter-repeated', () => {
    const { verdicts } = run([
      frame('a', 0, { messageCounter: 10 }),
      frame('b', 2, { messageCounter: 10 }),
    ]);
    expect(verdicts[1]).toMatchObject({
      verdict: 'replay',
      reason: 'counter-repeated',
      firstSeenAt: t(2),
    });
  });

  it('refuses a later frame with a smaller counter: counter-out-of-order', () => {
    const { verdicts } = run([
      frame('a', 0, { messageCounter: 10 }),
      frame('b', 2, { messageCounter: 9 }),
    ]);
    expect(verdicts[1]).toMatchObject({ verdict: 'replay', reason: 'counter-out-of-order' });
  });

  it('accepts a late delivery with a smaller counter and keeps latest', () => {
    const { verdicts, state } = run([
      frame('a', 20, { messageCounter: 30 }),
      frame('b', 10, { messageCounter: 25 }), // buffered by an offline gateway
    ]);
    expect(verdicts[1]).toMatchObject({ verdict: 'new', firstSeenAt: t(10) });
    expect(state.latest).toEqual({ at: t(20), accessNumber: 0, messageCounter: 30 });
  });

  it('refuses a late delivery whose counter is not below the later one: counter-out-of-order', () => {
    const { verdicts } = run([
      frame('a', 20, { messageCounter: 30 }),
      frame('b', 10, { messageCounter: 31 }),
    ]);
    expect(verdicts[1]).toMatchObject({ verdict: 'replay', reason: 'counter-out-of-order' });
  });

  it('checks a late frame against its neighbours in time, not only against latest', () => {
    const start = run([
      frame('a', 0, { messageCounter: 10 }),
      frame('b', 20, { messageCounter: 20 }),
    ]).state;
    expect(judgeFrame(start, frame('c', 10, { messageCounter: 15 })).verdict).toBe('new');
    // Below latest, but above the frame before it in time.
    expect(judgeFrame(start, frame('c', 10, { messageCounter: 9 }))).toMatchObject({
      verdict: 'replay',
      reason: 'counter-out-of-order',
    });
    expect(judgeFrame(start, frame('c', 10, { messageCounter: 20 }))).toMatchObject({
      verdict: 'replay',
      reason: 'counter-repeated',
    });
  });

  it('across the 5-minute window: the digest decides for the same bytes, the counter for others', () => {
    const { state } = run([frame('a', 0, { messageCounter: 10 })]);
    // The same transmission through another gateway, 4 minutes late on its clock.
    expect(judgeFrame(state, frame('a', 4, { messageCounter: 10 }))).toMatchObject({
      verdict: 'duplicate',
      firstSeenAt: t(0),
    });
    // The same bytes 6 minutes later: a recording.
    expect(judgeFrame(state, frame('a', 6, { messageCounter: 10 }))).toMatchObject({
      verdict: 'replay',
      reason: 'digest-seen-before',
    });
    // Other bytes with the remembered counter, inside the window or beyond it.
    for (const minutes of [1, 4, 6, 60]) {
      expect(judgeFrame(state, frame('x', minutes, { messageCounter: 10 }))).toMatchObject({
        verdict: 'replay',
        reason: 'counter-repeated',
      });
    }
    // The next message inside the window is new.
    expect(judgeFrame(state, frame('b', 2, { messageCounter: 11 })).verdict).toBe('new');
  });

  it('refuses a frame without a counter from a meter that has sent counters: counter-missing', () => {
    const { verdicts } = run([frame('a', 0, { messageCounter: 10 }), frame('b', 2)]);
    expect(verdicts[1]).toMatchObject({ verdict: 'replay', reason: 'counter-missing' });
  });

  it('accepts the first counter after frames without one (a meter switched to mode 7)', () => {
    const { verdicts, state } = run([frame('a', 0), frame('b', 2, { messageCounter: 1 })]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'new']);
    expect(state.latest?.messageCounter).toBe(1);
  });

  it('compares counters as unsigned 32-bit numbers up to 2^32 - 1', () => {
    const { verdicts } = run([
      frame('a', 0, { messageCounter: 0x7fffffff }),
      frame('b', 2, { messageCounter: 0x80000000 }),
      frame('c', 4, { messageCounter: 0xffffffff }),
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['new', 'new', 'new']);
  });
});

describe('judgeFrame: the state stays bounded', () => {
  it(`remembers the ${MAX_RECENT} frames latest in time, ordered, newest last`, () => {
    const frames = Array.from({ length: 100 }, (_, i) =>
      frame(`d${i}`, 2 * i, { accessNumber: i % 256 }),
    );
    const { state } = run(frames);
    expect(state.recent).toHaveLength(MAX_RECENT);
    expect(state.recent[0]!.digest).toBe('d36');
    expect(state.recent.at(-1)!.digest).toBe('d99');
    const times = state.recent.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(JSON.stringify(state).length).toBeLessThan(6000);
  });

  it('no longer recognises a copy older than what it remembers (documented limit)', () => {
    const frames = Array.from({ length: MAX_RECENT + 1 }, (_, i) => frame(`d${i}`, 2 * i));
    const { state } = run(frames);
    expect(judgeFrame(state, frame('d0', 0)).verdict).toBe('new');
    expect(judgeFrame(state, frame('d1', 2)).verdict).toBe('duplicate');
  });

  it('drops a late frame older than everything remembered when the memory is full', () => {
    const frames = Array.from({ length: MAX_RECENT }, (_, i) => frame(`d${i}`, 10 + 2 * i));
    const { state } = run(frames);
    const judged = judgeFrame(state, frame('late', 0));
    expect(judged.verdict).toBe('new');
    expect(judged.state.recent).toHaveLength(MAX_RECENT);
    expect(judged.state.recent.map((r) => r.digest)).not.toContain('late');
  });
});

describe('judgeFrame: many gateways, any order of arrival', () => {
  /** A small deterministic generator, so a failure can be replayed. */
  function random(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let x = Math.imul(s ^ (s >>> 15), 1 | s);
      x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    for (const mode7 of [false, true]) {
      it(`stores each transmission once, at one time, and refuses no copy (seed ${seed}, ${mode7 ? 'mode 7' : 'mode 5'})`, () => {
        const next = random(seed);
        // 40 transmissions 3 minutes apart, each heard by 1 to 3 gateways with clocks up to
        // a minute apart, delivered in a shuffled order (buffers, reconnects, resends).
        const copies: JudgedFrame[] = [];
        for (let k = 0; k < 40; k++) {
          const heardBy = 1 + Math.floor(next() * 3);
          for (let g = 0; g < heardBy; g++) {
            const resends = next() < 0.2 ? 2 : 1;
            const at = 3 * k + (next() - 0.5);
            for (let r = 0; r < resends; r++) {
              copies.push(
                frame(`tx${k}`, at, {
                  accessNumber: (250 + k) % 256,
                  ...(mode7 ? { messageCounter: 1000 + k } : {}),
                }),
              );
            }
          }
        }
        for (let i = copies.length - 1; i > 0; i--) {
          const j = Math.floor(next() * (i + 1));
          [copies[i], copies[j]] = [copies[j]!, copies[i]!];
        }
        const { verdicts } = run(copies);
        const firstSeen = new Map<string, string>();
        copies.forEach((c, i) => {
          const v = verdicts[i]!;
          expect(v.verdict).not.toBe('replay');
          if (v.verdict === 'new') {
            expect(firstSeen.has(c.digest)).toBe(false);
            firstSeen.set(c.digest, v.firstSeenAt);
          } else {
            expect(v.firstSeenAt).toBe(firstSeen.get(c.digest));
          }
        });
        expect(firstSeen.size).toBe(40);
      });
    }
  }
});
