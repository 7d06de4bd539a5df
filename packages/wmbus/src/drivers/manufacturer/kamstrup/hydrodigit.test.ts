import { describe, expect, it } from 'vitest';
import type { DriverInput } from '../../../types.js';
import { bmetersHydrodigit } from './hydrodigit.js';
import { decodeCase } from '../../../../test/driver-test-support.js';

describe('bmeters-hydrodigit', () => {
  it('reads backflow and the twelve month-end volumes (hydrodigit-003)', () => {
    const t = decodeCase('hydrodigit-003');
    expect(t.driver).toBe('bmeters-hydrodigit');
    expect(t.values.backflowVolume).toEqual({ value: 0.015, unit: 'm3' });
    expect(t.values.volumeJanuary).toEqual({ value: 39.08, unit: 'm3' });
    expect(t.values.volumeDecember).toEqual({ value: 37.82, unit: 'm3' });
    expect(t.values.totalVolume).toEqual({ value: 43.964, unit: 'm3' });
  });

  it('reads the leak date, and FF FF FF months as no value (hydrodigit-004)', () => {
    const v = decodeCase('hydrodigit-004').values;
    expect(v.leakDate).toEqual({ value: '2024-04-25', unit: '' });
    expect(v.backflowVolume).toEqual({ value: 0.007, unit: 'm3' });
    expect(v.volumeJune).toEqual({ value: null, unit: 'm3' });
    expect(v.volumeMay).toEqual({ value: 36.58, unit: 'm3' });
  });

  it('reads no further than proven when unproven sections are announced (hydrodigit-006)', () => {
    const v = decodeCase('hydrodigit-006').values;
    expect(v.contents).toEqual({ value: 0x8f, unit: '' });
    expect(v.leakDate).toBeUndefined();
    expect(v.backflowVolume).toBeUndefined();
  });

  it('is not chosen for other B METERS water meters', () => {
    // rfmtx1 (BMT, version 0x05) is refused for its scrambled security mode 16: no driver claims it.
    expect(() => decodeCase('rfmtx1-001')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_SECURITY_MODE' }),
    );
    const other = { manufacturer: 'BMT', id: '74737271', version: 0x05, deviceType: 0x07 };
    expect(bmetersHydrodigit.matches(other, 0x7a)).toBe(false);
  });

  it('never throws on short or random manufacturer data', () => {
    const t = decodeCase('hydrodigit-004');
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
    for (let n = 0; n < 500; n++) {
      const data = Uint8Array.from({ length: n % 50 }, next);
      const input = {
        frame: { status: null },
        records: [],
        manufacturerData: data,
        key: null,
      } as unknown as DriverInput;
      expect(() => bmetersHydrodigit.decode(input)).not.toThrow();
    }
    expect(t.values.contents).toBeDefined();
  });
});
