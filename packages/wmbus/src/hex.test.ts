import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from './hex.js';

describe('hex', () => {
  it('reads separators as the corpus writes them and round-trips', () => {
    expect(Array.from(hexToBytes('2e44_93|15 78'))).toEqual([0x2e, 0x44, 0x93, 0x15, 0x78]);
    expect(bytesToHex(hexToBytes('00ff7a'))).toBe('00FF7A');
  });

  it('rejects odd lengths and non-hex digits with INVALID_HEX', () => {
    expect(() => hexToBytes('ABC')).toThrow(expect.objectContaining({ code: 'INVALID_HEX' }));
    expect(() => hexToBytes('GG')).toThrow(expect.objectContaining({ code: 'INVALID_HEX' }));
  });
});
