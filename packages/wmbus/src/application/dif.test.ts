import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../hex.js';
import { DATA_LENGTHS, readDataInformation } from './dif.js';

describe('readDataInformation', () => {
  it('reads coding, function and the storage bit of a lone DIF', () => {
    expect(readDataInformation(hexToBytes('04'), 0)).toEqual({
      coding: 4,
      function: 'instantaneous',
      storage: 0,
      tariff: 0,
      subunit: 0,
      end: 1,
    });
    expect(readDataInformation(hexToBytes('42'), 0)).toMatchObject({ coding: 2, storage: 1 });
    expect(readDataInformation(hexToBytes('14'), 0).function).toBe('maximum');
    expect(readDataInformation(hexToBytes('22'), 0).function).toBe('minimum');
    expect(readDataInformation(hexToBytes('34'), 0).function).toBe('error');
  });

  it('adds 4 storage bits, 2 tariff bits and 1 subunit bit per DIFE', () => {
    // qwaterv2: CC 08 → storage 1 + 8·2 = 17 (the month-end value).
    expect(readDataInformation(hexToBytes('CC08'), 0)).toMatchObject({ storage: 17, end: 2 });
    // hydrus: FC 10 → tariff 1, storage 1; FC 20 → tariff 2.
    expect(readDataInformation(hexToBytes('FC10'), 0)).toMatchObject({ storage: 1, tariff: 1 });
    expect(readDataInformation(hexToBytes('FC20'), 0)).toMatchObject({ tariff: 2 });
    // kamheat: 84 40 → subunit 1; 84 80 40 → subunit 2.
    expect(readDataInformation(hexToBytes('8440'), 0)).toMatchObject({ subunit: 1, storage: 0 });
    expect(readDataInformation(hexToBytes('848040'), 0)).toMatchObject({ subunit: 2, end: 3 });
  });

  it('keeps 41-bit storage numbers exact (10 DIFEs)', () => {
    const bytes = hexToBytes('C4' + '8F'.repeat(9) + '0F');
    expect(readDataInformation(bytes, 0)).toMatchObject({ storage: 2 ** 41 - 1, end: 11 });
  });

  it('refuses an 11th DIFE and a chain that runs off the end', () => {
    expect(() => readDataInformation(hexToBytes('84' + '80'.repeat(10) + '00'), 0)).toThrow(
      expect.objectContaining({ name: 'WmbusError', code: 'INVALID_RECORD' }),
    );
    expect(() => readDataInformation(hexToBytes('8480'), 0)).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_SHORT', offset: 0 }),
    );
  });

  it('knows the data length of every coding', () => {
    expect(DATA_LENGTHS).toEqual([0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -2]);
  });
});
