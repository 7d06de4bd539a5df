import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../hex.js';
import { readBcd, readReal32, readSigned, readUnsigned, scaleByPowerOfTen } from './data-field.js';

describe('integers', () => {
  it('reads little-endian unsigned integers of every length the DIF allows', () => {
    expect(readUnsigned(hexToBytes('C8'), 0, 1)).toBe(200);
    expect(readUnsigned(hexToBytes('3412'), 0, 2)).toBe(0x1234);
    expect(readUnsigned(hexToBytes('563412'), 0, 3)).toBe(0x123456);
    expect(readUnsigned(hexToBytes('78563412'), 0, 4)).toBe(0x12345678);
    expect(readUnsigned(hexToBytes('FFFFFFFFFFFF'), 0, 6)).toBe(2 ** 48 - 1);
    expect(readUnsigned(hexToBytes('0000000000002000'), 0, 8)).toBe(2 ** 53);
  });

  it('reads type B as two’s complement (emerlin868: 0x80000000 × 0.001 m³ = −2147483.648)', () => {
    expect(readSigned(hexToBytes('00000080'), 0, 4)).toBe(-2147483648);
    expect(readSigned(hexToBytes('FF'), 0, 1)).toBe(-1);
    expect(readSigned(hexToBytes('FEFFFF'), 0, 3)).toBe(-2);
    expect(readSigned(hexToBytes('FFFFFFFFFFFF'), 0, 6)).toBe(-1);
    expect(readSigned(hexToBytes('FFFFFFFFFFFFFFFF'), 0, 8)).toBe(-1);
    expect(readSigned(hexToBytes('FF7F'), 0, 2)).toBe(32767);
  });
});

describe('readBcd', () => {
  it('reads BCD least significant byte first', () => {
    expect(readBcd(hexToBytes('17495200 0000'.replace(' ', '')), 0, 6)).toBe(524917);
    expect(readBcd(hexToBytes('99'), 0, 1)).toBe(99);
  });

  it('takes F in the most significant digit as a minus sign', () => {
    expect(readBcd(hexToBytes('3412F0'), 0, 3)).toBe(-1234);
    expect(readBcd(hexToBytes('01F9'), 0, 2)).toBe(-901);
  });

  it('gives NaN for other non-decimal digits (meters flag register errors that way)', () => {
    expect(readBcd(hexToBytes('AA00'), 0, 2)).toBeNaN();
    expect(readBcd(hexToBytes('0F00'), 0, 2)).toBeNaN();
    expect(readBcd(hexToBytes('FFFF'), 0, 2)).toBeNaN();
  });
});

describe('readReal32', () => {
  it('reads IEEE 754 single precision little-endian', () => {
    expect(readReal32(hexToBytes('0000C03F'), 0)).toBe(1.5);
    expect(readReal32(hexToBytes('000080BF'), 0)).toBe(-1);
  });
});

describe('scaleByPowerOfTen', () => {
  it('divides by exact powers of ten so decimal values come out as written', () => {
    expect(scaleByPowerOfTen(1234, -3)).toBe(1.234);
    expect(scaleByPowerOfTen(16119, -3)).toBe(16.119);
    expect(scaleByPowerOfTen(3, -12)).toBe(3e-12);
    expect(scaleByPowerOfTen(7, 6)).toBe(7e6);
    expect(scaleByPowerOfTen(5, 0)).toBe(5);
    expect(scaleByPowerOfTen(1, 30)).toBe(1e30);
    expect(scaleByPowerOfTen(1, -30)).toBeCloseTo(1e-30, 40);
  });
});
