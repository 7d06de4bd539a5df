import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import {
  addDays,
  addMonths,
  dayDistance,
  daysBetween,
  daysOfMonth,
  isDay,
  localDay,
  monthOf,
} from './day.js';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return isDomainError(err) ? err.code : 'not a DomainError';
  }
}

const BERLIN = 'Europe/Berlin';

describe('localDay', () => {
  it('is the day in the property time zone, not in UTC', () => {
    expect(localDay('2026-01-15T23:30:00Z', BERLIN)).toBe('2026-01-16');
    expect(localDay('2026-01-15T23:30:00Z', 'UTC')).toBe('2026-01-15');
    expect(localDay('2026-01-16T04:59:59Z', 'America/New_York')).toBe('2026-01-15');
    expect(localDay('2026-01-16T05:00:00Z', 'America/New_York')).toBe('2026-01-16');
  });

  it('takes instants with an offset', () => {
    expect(localDay('2026-01-16T00:30:00+01:00', BERLIN)).toBe('2026-01-16');
    expect(localDay('2026-01-16T00:30:00+01:00', 'UTC')).toBe('2026-01-15');
  });

  it('starts Berlin days at local midnight in winter (UTC+1) and summer (UTC+2)', () => {
    expect(localDay('2026-01-31T22:59:59.999Z', BERLIN)).toBe('2026-01-31');
    expect(localDay('2026-01-31T23:00:00.000Z', BERLIN)).toBe('2026-02-01');
    expect(localDay('2026-07-31T21:59:59.999Z', BERLIN)).toBe('2026-07-31');
    expect(localDay('2026-07-31T22:00:00.000Z', BERLIN)).toBe('2026-08-01');
  });

  it('gives the 23-hour day of the spring change (2026-03-29) its hours', () => {
    // Starts at 00:00 CET (23:00Z the day before), clocks jump 02:00 -> 03:00, ends at 24:00 CEST.
    expect(localDay('2026-03-28T22:59:59.999Z', BERLIN)).toBe('2026-03-28');
    expect(localDay('2026-03-28T23:00:00.000Z', BERLIN)).toBe('2026-03-29');
    expect(localDay('2026-03-29T00:59:59.999Z', BERLIN)).toBe('2026-03-29'); // 01:59:59 CET
    expect(localDay('2026-03-29T01:00:00.000Z', BERLIN)).toBe('2026-03-29'); // 03:00 CEST
    expect(localDay('2026-03-29T21:59:59.999Z', BERLIN)).toBe('2026-03-29');
    expect(localDay('2026-03-29T22:00:00.000Z', BERLIN)).toBe('2026-03-30');
  });

  it('gives the 25-hour day of the autumn change (2026-10-25) its hours', () => {
    // Starts at 00:00 CEST (22:00Z the day before), 03:00 -> 02:00 again, ends at 24:00 CET.
    expect(localDay('2026-10-24T21:59:59.999Z', BERLIN)).toBe('2026-10-24');
    expect(localDay('2026-10-24T22:00:00.000Z', BERLIN)).toBe('2026-10-25');
    expect(localDay('2026-10-25T00:30:00Z', BERLIN)).toBe('2026-10-25'); // 02:30 CEST
    expect(localDay('2026-10-25T01:30:00Z', BERLIN)).toBe('2026-10-25'); // 02:30 CET
    expect(localDay('2026-10-25T22:59:59.999Z', BERLIN)).toBe('2026-10-25');
    expect(localDay('2026-10-25T23:00:00.000Z', BERLIN)).toBe('2026-10-26');
  });

  it('puts the turn of the year in the local year', () => {
    expect(localDay('2026-12-31T23:00:00Z', BERLIN)).toBe('2027-01-01');
    expect(localDay('2026-12-31T22:59:59Z', BERLIN)).toBe('2026-12-31');
  });

  it('refuses an unknown zone or a non-time with VALIDATION_FAILED', () => {
    expect(codeOf(() => localDay('2026-01-01T00:00:00Z', 'Mars/Olympus_Mons'))).toBe(
      'VALIDATION_FAILED',
    );
    expect(codeOf(() => localDay('tomorrow', BERLIN))).toBe('VALIDATION_FAILED');
  });
});

describe('monthOf, daysOfMonth, addDays, daysBetween', () => {
  it('names the month of a day', () => {
    expect(monthOf('2026-03-29')).toBe('2026-03');
    expect(codeOf(() => monthOf('2026-02-30'))).toBe('VALIDATION_FAILED');
  });

  it('lists every day of a month, leap years included', () => {
    expect(daysOfMonth('2026-02')).toHaveLength(28);
    expect(daysOfMonth('2028-02')).toHaveLength(29);
    expect(daysOfMonth('2100-02')).toHaveLength(28);
    expect(daysOfMonth('2000-02')).toHaveLength(29);
    expect(daysOfMonth('2026-04')).toHaveLength(30);
    const december = daysOfMonth('2026-12');
    expect(december[0]).toBe('2026-12-01');
    expect(december.at(-1)).toBe('2026-12-31');
    expect(codeOf(() => daysOfMonth('2026-13'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => daysOfMonth('2026-1'))).toBe('VALIDATION_FAILED');
  });

  it('counts calendar days across month, year and DST edges', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
    expect(daysBetween('2026-10-24', '2026-10-26')).toEqual([
      '2026-10-24',
      '2026-10-25',
      '2026-10-26',
    ]);
    expect(daysBetween('2026-01-02', '2026-01-01')).toEqual([]);
    expect(dayDistance('2026-03-28', '2026-03-30')).toBe(2);
    expect(dayDistance('2026-12-31', '2026-01-01')).toBe(-364);
    expect(dayDistance('2028-01-01', '2029-01-01')).toBe(366);
  });

  it('tells a calendar day from other text', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-2-28')).toBe(false);
    expect(isDay('2026-02-28T00:00:00Z')).toBe(false);
  });

  it('steps months across years, and refuses what is not a month', () => {
    expect(addMonths('2025-03', -1)).toBe('2025-02');
    expect(addMonths('2025-01', -1)).toBe('2024-12');
    expect(addMonths('2025-03', -12)).toBe('2024-03');
    expect(addMonths('2024-12', 1)).toBe('2025-01');
    expect(addMonths('2025-03', 0)).toBe('2025-03');
    expect(codeOf(() => addMonths('2025-13', 1))).toBe('VALIDATION_FAILED');
  });
});
