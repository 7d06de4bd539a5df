import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../test/corpus.js';
import { bytesToHex, hexToBytes } from '../hex.js';
import { isWiredLongFrame, readWiredLongFrame, wrapWiredLongFrame } from './wired-frame.js';

describe('wired M-Bus long frames', () => {
  const corpus = readCorpus();
  const wired = corpus.filter((c) => c.header.link === 'wired M-Bus long frame');

  it('reads the 9 wired corpus frames and checks their checksums', () => {
    expect(wired).toHaveLength(9);
    for (const c of wired) {
      const frame = hexToBytes(c.telegram_hex);
      expect(isWiredLongFrame(frame), c.id).toBe(true);
      const read = readWiredLongFrame(frame);
      expect(read.control.toString(16).toUpperCase().padStart(2, '0'), c.id).toBe(c.header.c_field);
      expect(frame[read.ciOffset], c.id).toBe(0x72);
      expect(read.end).toBe(frame.length - 2);
      const rewrapped = wrapWiredLongFrame(read.control, read.address, frame.subarray(6, read.end));
      expect(bytesToHex(rewrapped)).toBe(c.telegram_hex);
    }
  });

  it('takes no wireless corpus telegram for a wired frame', () => {
    for (const c of corpus.filter((c) => !wired.includes(c))) {
      expect(isWiredLongFrame(hexToBytes(c.telegram_hex)), c.id).toBe(false);
    }
  });

  it('reports a bad checksum at its offset', () => {
    const frame = hexToBytes(wired[0]!.telegram_hex);
    frame[10] = frame[10]! ^ 0x01;
    expect(() => readWiredLongFrame(frame)).toThrow(
      expect.objectContaining({ code: 'CRC_MISMATCH', offset: frame.length - 2 }),
    );
  });

  it('reports a missing stop byte', () => {
    const frame = hexToBytes(wired[0]!.telegram_hex);
    frame[frame.length - 1] = 0x17;
    expect(() => readWiredLongFrame(frame)).toThrow(
      expect.objectContaining({ code: 'LENGTH_MISMATCH', offset: frame.length - 1 }),
    );
  });

  it('refuses what is not a long frame', () => {
    expect(() => readWiredLongFrame(Uint8Array.of(0x68, 4, 3, 0x68, 8, 0, 0x72, 0, 0x16))).toThrow(
      expect.objectContaining({ code: 'LENGTH_MISMATCH' }),
    );
  });
});
