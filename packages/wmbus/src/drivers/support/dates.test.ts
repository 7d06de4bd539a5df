import { describe, expect, it } from 'vitest';
import { addMonths, dateTypeG, formatDate } from './dates.js';

describe('addMonths', () => {
  it('steps months, keeping month ends', () => {
    expect(addMonths('2019-10-31', 4)).toBe('2020-02-29');
    expect(addMonths('2019-10-31', 1)).toBe('2019-11-30');
    expect(addMonths('2026-02-01', -5)).toBe('2025-09-01');
    expect(addMonths('2024-01-15', -13)).toBe('2022-12-15');
  });

  it('keeps month ends and clips other days', () => {
    expect(addMonths('2020-12-31', -10)).toBe('2020-02-29');
    expect(addMonths('2021-01-30', 1)).toBe('2021-02-28');
    expect(addMonths('2021-02-28', 1)).toBe('2021-03-31');
    expect(addMonths('2026-06-01', -11)).toBe('2025-07-01');
  });

  it('is null for what is not a date', () => {
    expect(addMonths('nonsense', 1)).toBeNull();
    expect(addMonths(null, 1)).toBeNull();
    expect(addMonths('2021-02-30', 1)).toBeNull();
    expect(addMonths('2021-13-01', 1)).toBeNull();
    expect(addMonths('2021-01-01', 0.5)).toBeNull();
    expect(addMonths('0000-01-31', -1)).toBeNull();
  });
});

describe('manufacturer date fields', () => {
  it('gives null for what names no calendar date', () => {
    expect(formatDate(2024, 2, 29)).toBe('2024-02-29');
    expect(formatDate(2023, 2, 29)).toBeNull();
    // Type G C1 2C: day 1, month 12, year bits 110 (low) and 0010 (high) = 22; FF FF is no date.
    expect(dateTypeG(0xc1, 0x2c)).toBe('2022-12-01');
    expect(dateTypeG(0xff, 0xff)).toBeNull();
  });
});
