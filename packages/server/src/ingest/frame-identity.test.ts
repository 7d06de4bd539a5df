import { createHash } from 'node:crypto';
import { encode, peekFrame } from '@zaehlwerk/wmbus';
import { describe, expect, it } from 'vitest';
import { frameDigest } from './frame-identity.js';

const METER = { manufacturer: 'ELS', id: '12345678', version: 0x33, deviceType: 7 };
const frame = (accessNumber: number, m3 = 1.5, crc: 'A' | 'none' = 'none') =>
  encode({
    meter: METER,
    accessNumber,
    records: [{ quantity: 'volume', unit: 'm3', value: m3, coding: 'int32' }],
    security: { mode: 5, key: '000102030405060708090A0B0C0D0E0F' },
    crc,
  });

describe('frameDigest', () => {
  it('is the first 16 bytes of SHA-256 in base64url: 22 characters, no padding', () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    const digest = frameDigest(bytes);
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const full = createHash('sha256').update(bytes).digest();
    expect(Buffer.from(digest, 'base64url')).toEqual(full.subarray(0, 16));
  });

  it('of the empty input is that of SHA-256 of nothing', () => {
    // SHA-256('') = e3b0c442 98fc1c14 9afbf4c8 996fb924 …
    expect(Buffer.from(frameDigest(new Uint8Array(0)), 'base64url').toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb924',
    );
  });

  it('is the same for one transmission forwarded with CRCs and without', () => {
    const stripped = frame(7);
    const withCrcs = frame(7, 1.5, 'A');
    expect(withCrcs.length).toBeGreaterThan(stripped.length);
    expect(frameDigest(peekFrame(withCrcs, { crc: 'present' }).canonical)).toBe(
      frameDigest(peekFrame(stripped, { crc: 'stripped' }).canonical),
    );
  });

  it('differs for the next transmission of the same meter and for another reading', () => {
    const digests = new Set(
      [frame(7), frame(8), frame(7, 1.6)].map((f) => frameDigest(peekFrame(f).canonical)),
    );
    expect(digests.size).toBe(3);
  });
});
