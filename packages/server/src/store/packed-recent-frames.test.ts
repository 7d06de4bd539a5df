import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { MAX_RECENT, type RememberedFrame } from '../ingest/replay-guard.js';
import { packRecentFrames, unpackRecentFrames } from './packed-recent-frames.js';

function frames(count: number): RememberedFrame[] {
  return Array.from({ length: count }, (_, i) => ({
    digest: Buffer.from(`frame ${i} of a meter`).toString('base64url').slice(0, 22),
    at: new Date(Date.UTC(2026, 10, 25, 1, 0, i * 20)).toISOString(),
    ...(i % 2 === 0 ? { messageCounter: 70_000 + i } : {}),
  }));
}

/** DynamoDB's size of an attribute value: names and values in bytes, as it bills them. */
function dynamoSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(marshall({ v: value }, { removeUndefinedValues: true })));
}

describe('packed remembered frames', () => {
  it('gives back every frame exactly, counters and order included', () => {
    const recent = frames(MAX_RECENT);
    expect(unpackRecentFrames(packRecentFrames(recent)!)).toEqual(recent);
    expect(unpackRecentFrames(packRecentFrames([])!)).toEqual([]);
    // Equal times and a time out of order (the guard keeps order, a stored list may not).
    const uneven = [recent[3]!, recent[3]!, recent[1]!];
    expect(unpackRecentFrames(packRecentFrames(uneven)!)).toEqual(uneven);
  });

  it('keeps a time that is not in toISOString form as it came, since a reading key is made of it', () => {
    const odd = [
      { digest: 'AAAAAAAAAAAAAAAAAAAAAA', at: '2026-11-25T00:59:00.000Z' },
      { digest: 'BBBBBBBBBBBBBBBBBBBBBB', at: '2026-11-25T01:00:00Z' },
      { digest: 'CCCCCCCCCCCCCCCCCCCCCC', at: '2026-11-25T02:00:00.000+01:00', messageCounter: 0 },
      { digest: 'DDDDDDDDDDDDDDDDDDDDDD', at: '2026-11-25T01:00:01.500Z' },
    ];
    expect(unpackRecentFrames(packRecentFrames(odd)!)).toEqual(odd);
  });

  it('is well under half the size of the list of maps at the guard’s bound', () => {
    const recent = frames(MAX_RECENT);
    const packed = packRecentFrames(recent)!;
    expect(Buffer.byteLength(packed)).toBeLessThan(2048);
    expect(dynamoSize(packed) * 2).toBeLessThan(dynamoSize(recent));
  });

  it('declines what it could not give back, so the list is kept as it is', () => {
    expect(packRecentFrames([{ digest: 'a,b', at: '2026-11-25T01:00:00.000Z' }])).toBeNull();
    expect(packRecentFrames([{ digest: 'ab', at: 'x;y' }])).toBeNull();
    expect(
      packRecentFrames([{ digest: 'ab', at: '2026-11-25T01:00:00.000Z', messageCounter: -1 }]),
    ).toBeNull();
  });

  it('refuses a format it does not know rather than guess', () => {
    expect(() => unpackRecentFrames('2:abc')).toThrow(/unknown packed frames format/);
    expect(() => unpackRecentFrames('1:,')).toThrow(/malformed/);
  });
});
