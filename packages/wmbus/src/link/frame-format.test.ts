import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../test/corpus.js';
import { crc16En13757 } from '../crc.js';
import { bytesToHex, hexToBytes } from '../hex.js';
import {
  addCrcs,
  checkAndRemoveCrcs,
  detectFrameFormat,
  lengthWithCrcs,
  lengthWithoutCrcs,
  TOLERATED_TRAILING_BYTES,
  unwrapFrame,
  type FrameFormat,
} from './frame-format.js';

// OMS Vol. 2 Annex N message examples, as sent (format A, CRCs included).
const OMS_PROFILE_B =
  '434493157856341233037AC98C2075900F002C25B30A000021924D4FBA372FB66E017A75002007109058475F4BC9D1281DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1';
const OMS_PROFILE_B_STRIPPED =
  '434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93';
// The Annex N example of frame format B: L counts the CRC at the end.
const OMS_FORMAT_B = '1444AE0C7856341201078C2027780B134365877AC5';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

/** A frame without CRCs whose L is what `format` expects, with `data` after the 9 bytes C M A. */
function strippedFrame(format: FrameFormat, data: Uint8Array): Uint8Array {
  const n = 10 + data.length;
  const l = format === 'A' ? n - 1 : n + 1 <= 127 ? n + 1 : n + 3;
  const frame = new Uint8Array(n);
  frame[0] = l;
  frame.set([0x44, 0x93, 0x15, 0x78, 0x56, 0x34, 0x12, 0x33, 0x03], 1);
  frame.set(data, 10);
  return frame;
}

const dataFor = (format: FrameFormat) =>
  fc.uint8Array({ minLength: format === 'A' ? 0 : 1, maxLength: format === 'A' ? 246 : 242 });

describe('frame formats A and B', () => {
  it('removes the CRCs of an OMS example in format A', () => {
    const frame = hexToBytes(OMS_PROFILE_B);
    expect(detectFrameFormat(frame)).toEqual({ format: 'A', crc: 'present' });
    expect(bytesToHex(checkAndRemoveCrcs(frame, 'A'))).toBe(OMS_PROFILE_B_STRIPPED);
    expect(bytesToHex(addCrcs(hexToBytes(OMS_PROFILE_B_STRIPPED), 'A'))).toBe(OMS_PROFILE_B);
  });

  it('reads the OMS example of format B when told the format', () => {
    const frame = hexToBytes(OMS_FORMAT_B);
    expect(detectFrameFormat(frame, { format: 'B' })).toEqual({ format: 'B', crc: 'present' });
    const unwrapped = unwrapFrame(frame, { format: 'B' });
    expect(bytesToHex(unwrapped.bytes)).toBe(OMS_FORMAT_B.slice(0, -4));
    expect(unwrapped.declaredLength).toBe(19);
    // Without the hint it has the length of a stripped format-A frame, and is taken as one.
    expect(detectFrameFormat(frame)).toEqual({ format: 'A', crc: 'stripped' });
  });

  it('takes every wireless corpus telegram as stripped format A, and finds the CRCs once added', () => {
    const wireless = readCorpus().filter((c) => c.header.link.startsWith('wireless'));
    expect(wireless.length).toBeGreaterThan(190);
    for (const c of wireless) {
      const frame = hexToBytes(c.telegram_hex);
      expect(detectFrameFormat(frame), c.id).toEqual({ format: 'A', crc: 'stripped' });
      if (frame.length !== frame[0]! + 1) continue; // a few carry bytes beyond L: see below
      const withCrcs = addCrcs(frame, 'A');
      expect(withCrcs.length).toBe(lengthWithCrcs(frame[0]!, 'A'));
      expect(detectFrameFormat(withCrcs), c.id).toEqual({ format: 'A', crc: 'present' });
      expect(bytesToHex(unwrapFrame(withCrcs).bytes), c.id).toBe(c.telegram_hex);
    }
  });

  it('tolerates a few bytes after the frame, and no more', () => {
    const frame = hexToBytes(OMS_PROFILE_B_STRIPPED);
    const longer = (extra: number) =>
      Uint8Array.from([...frame, ...new Array<number>(extra).fill(0xaa)]);
    expect(unwrapFrame(longer(4)).declaredLength).toBe(frame.length);
    expect(unwrapFrame(longer(4)).bytes.length).toBe(frame.length + 4);
    expect(code(() => unwrapFrame(longer(TOLERATED_TRAILING_BYTES + 1)))).toBe('LENGTH_MISMATCH');
    // With CRCs: an RSSI byte after the last block is dropped once every CRC checks.
    const withCrcs = Uint8Array.from([...hexToBytes(OMS_PROFILE_B), 0xc4]);
    expect(bytesToHex(unwrapFrame(withCrcs).bytes)).toBe(OMS_PROFILE_B_STRIPPED);
  });

  it('reports the offset of a bad CRC', () => {
    const frame = hexToBytes(OMS_PROFILE_B);
    frame[20] = frame[20]! ^ 0x01; // in the first 16-byte block after L C M A, whose CRC sits at 28
    expect(() => unwrapFrame(frame)).toThrow(
      expect.objectContaining({ code: 'CRC_MISMATCH', offset: 28 }),
    );
    const first = hexToBytes(OMS_PROFILE_B);
    first[3] = first[3]! ^ 0x80;
    expect(() => checkAndRemoveCrcs(first, 'A')).toThrow(
      expect.objectContaining({ code: 'CRC_MISMATCH', offset: 10 }),
    );
  });

  it('refuses frames the L field does not fit', () => {
    const frame = hexToBytes(OMS_PROFILE_B_STRIPPED);
    expect(code(() => detectFrameFormat(frame.subarray(0, 40)))).toBe('LENGTH_MISMATCH');
    expect(code(() => detectFrameFormat(frame.subarray(0, 9)))).toBe('FRAME_TOO_SHORT');
    expect(code(() => detectFrameFormat(frame, { crc: 'present', format: 'A' }))).toBe(
      'LENGTH_MISMATCH',
    );
    // Told it has CRCs, a stripped frame fits format B by length: its CRC then fails.
    expect(code(() => unwrapFrame(frame, { crc: 'present' }))).toBe('CRC_MISMATCH');
    expect(code(() => addCrcs(frame.subarray(0, 40), 'A'))).toBe('LENGTH_MISMATCH');
    const small = Uint8Array.of(5, 0x44, 0, 0, 0, 0, 0, 0, 0, 0); // L below C M A
    expect(code(() => detectFrameFormat(small))).toBe('LENGTH_MISMATCH');
  });

  it('follows the block layout of each format', () => {
    // Format A: 10 bytes + CRC, then blocks of 16 + CRC.
    expect(lengthWithCrcs(9, 'A')).toBe(12);
    expect(lengthWithCrcs(25, 'A')).toBe(26 + 4);
    expect(lengthWithCrcs(26, 'A')).toBe(27 + 6);
    // Format B: one CRC up to L 127, then a second after byte 127.
    expect(lengthWithoutCrcs(127, 'B')).toBe(126);
    expect(lengthWithoutCrcs(130, 'B')).toBe(127);
    const b = strippedFrame(
      'B',
      new Uint8Array(200).map((_, i) => i),
    );
    const sealed = addCrcs(b, 'B');
    expect(sealed.length).toBe(sealed[0]! + 1);
    expect(crc16En13757(sealed, 0, 126)).toBe((sealed[126]! << 8) | sealed[127]!);
    expect(crc16En13757(sealed, 128, sealed.length - 2)).toBe(
      (sealed[sealed.length - 2]! << 8) | sealed[sealed.length - 1]!,
    );
  });

  it('round-trips any frame through addCrcs and unwrapFrame (property)', () => {
    for (const format of ['A', 'B'] as const) {
      fc.assert(
        fc.property(dataFor(format), (data) => {
          const frame = strippedFrame(format, data);
          const withCrcs = addCrcs(frame, format);
          const unwrapped = unwrapFrame(withCrcs, { format, crc: 'auto' });
          expect(unwrapped.crc).toBe('present');
          expect(unwrapped.bytes).toEqual(frame);
          expect(unwrapped.declaredLength).toBe(frame.length);
          expect(unwrapFrame(frame, { format }).crc).toBe('stripped');
        }),
        { numRuns: 300 },
      );
    }
  });

  it('never reads a CRC-bearing format-A frame as stripped, and finds every single-bit error (property)', () => {
    fc.assert(
      fc.property(dataFor('A'), fc.nat(), fc.integer({ min: 0, max: 7 }), (data, at, bit) => {
        const withCrcs = addCrcs(strippedFrame('A', data), 'A');
        expect(detectFrameFormat(withCrcs)).toEqual({ format: 'A', crc: 'present' });
        const i = 1 + (at % (withCrcs.length - 1)); // keep L, so the length still says "CRCs"
        withCrcs[i] = withCrcs[i]! ^ (1 << bit);
        expect(code(() => unwrapFrame(withCrcs))).toBe('CRC_MISMATCH');
      }),
      { numRuns: 500 },
    );
  });
});
