import { describe, expect, it } from 'vitest';
import { readCompactProfile } from './compact-profile.js';

describe('readCompactProfile', () => {
  it('reads spacing, mode and elements', () => {
    const p = readCompactProfile('3BFE990000FFFFFF');
    expect(p).toEqual({
      mode: 0,
      spacingUnit: 3,
      spacingValue: 0xfe,
      monthly: true,
      values: [99, null],
    });
    expect(readCompactProfile('72FE0300FFFF')?.values).toEqual([3, null]);
    expect(readCompactProfile('7FFE00')).toBeNull();
    expect(readCompactProfile('3B')).toBeNull();
    expect(readCompactProfile(null)).toBeNull();
    expect(readCompactProfile('3BFEZZ')).toBeNull();
  });

  it('reads the signed minimum (0x8000…) as no value, as all ones', () => {
    expect(readCompactProfile('34FE0100000000000080FFFFFFFF')?.values).toEqual([1, null, null]);
    // One byte has no room for a marker besides all ones.
    expect(readCompactProfile('31FE80FF')?.values).toEqual([0x80, null]);
  });
});
