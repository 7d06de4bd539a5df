import { describe, expect, it } from 'vitest';
import { decodeCase } from '../../../../test/driver-test-support.js';

describe('kamstrup-pressure', () => {
  it('names pressure, its minimum and maximum, and the two Kamstrup values', () => {
    const t = decodeCase('kampress-001');
    expect(t.driver).toBe('kamstrup-pressure');
    expect(t.values.pressure).toEqual({ value: 1.02, unit: 'bar' });
    expect(t.values.minPressure).toEqual({ value: 1.02, unit: 'bar' });
    expect(t.values.maxPressure).toEqual({ value: 1.03, unit: 'bar' });
    expect(t.values.alfaCounter!.value).toBeCloseTo(0.001246, 6);
    expect(t.values.betaCounter!.value).toBeCloseTo(0.000997, 6);
    expect(t.values.errorFlags).toEqual({ value: 8, unit: '' });
  });
});
