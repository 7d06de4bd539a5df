import { describe, expect, it } from 'vitest';
import { crc16En13757 } from './crc.js';
import { hexToBytes } from './hex.js';

describe('crc16En13757', () => {
  it('gives the catalogued check value of CRC-16/EN-13757', () => {
    expect(crc16En13757(new TextEncoder().encode('123456789'))).toBe(0xc2b7);
  });

  it('covers only the given range', () => {
    const bytes = hexToBytes('FF2E4493157856341233FF');
    expect(crc16En13757(bytes, 1, 10)).toBe(crc16En13757(bytes.subarray(1, 10)));
    expect(crc16En13757(bytes, 1, 10)).not.toBe(crc16En13757(bytes, 0, 10));
  });

  it('detects a single flipped bit', () => {
    const data = hexToBytes('2E4493157856341233');
    const before = crc16En13757(data);
    data[3]! ^= 0x10;
    expect(crc16En13757(data)).not.toBe(before);
  });
});
