import { describe, expect, it } from 'vitest';
import { decodeManufacturer, encodeManufacturer } from './manufacturer.js';
import { isWmbusError } from './wmbus-error.js';

describe('manufacturer', () => {
  it('decodes the codes of well-known makers', () => {
    expect(decodeManufacturer(0x2c2d)).toBe('KAM'); // Kamstrup: bytes 2D 2C in a frame
    expect(decodeManufacturer(0x5068)).toBe('TCH'); // Techem
    expect(decodeManufacturer(0x1593)).toBe('ELS'); // Elster
  });

  it('round-trips every three-letter code', () => {
    for (let a = 65; a <= 90; a++)
      for (let b = 65; b <= 90; b++)
        for (let c = 65; c <= 90; c++) {
          const code = String.fromCharCode(a, b, c);
          expect(decodeManufacturer(encodeManufacturer(code))).toBe(code);
        }
  });

  it('shows values outside A–Z as hex instead of inventing letters', () => {
    expect(decodeManufacturer(0x0000)).toBe('@0000');
    expect(decodeManufacturer(0xffff)).toBe('@FFFF');
  });

  it('refuses to encode anything but three capital letters', () => {
    for (const bad of ['KA', 'kam', 'KAMS', 'K1M']) {
      let caught: unknown;
      try {
        encodeManufacturer(bad);
      } catch (err) {
        caught = err;
      }
      expect(isWmbusError(caught) && caught.code).toBe('INVALID_MANUFACTURER');
    }
  });
});
