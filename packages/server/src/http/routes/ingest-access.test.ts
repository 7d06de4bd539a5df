import { describe, expect, it } from 'vitest';
import { clipDays, localDayStart, mergePeriods, periodInstants } from './ingest-access.js';

describe('localDayStart', () => {
  it('is local midnight in UTC, in winter and in summer', () => {
    expect(localDayStart('2025-01-15', 'Europe/Berlin')).toBe('2025-01-14T23:00:00.000Z');
    expect(localDayStart('2025-07-15', 'Europe/Berlin')).toBe('2025-07-14T22:00:00.000Z');
    expect(localDayStart('2025-07-15', 'UTC')).toBe('2025-07-15T00:00:00.000Z');
    expect(localDayStart('2025-07-15', 'America/New_York')).toBe('2025-07-15T04:00:00.000Z');
    expect(localDayStart('2025-07-15', 'Asia/Kolkata')).toBe('2025-07-14T18:30:00.000Z');
  });

  it('holds on the days clocks change, and the day after', () => {
    // Berlin: 30 March 2025 has 23 hours, 26 October 25.
    expect(localDayStart('2025-03-30', 'Europe/Berlin')).toBe('2025-03-29T23:00:00.000Z');
    expect(localDayStart('2025-03-31', 'Europe/Berlin')).toBe('2025-03-30T22:00:00.000Z');
    expect(localDayStart('2025-10-26', 'Europe/Berlin')).toBe('2025-10-25T22:00:00.000Z');
    expect(localDayStart('2025-10-27', 'Europe/Berlin')).toBe('2025-10-26T23:00:00.000Z');
  });

  it('takes the first hour of a day whose midnight the zone skips', () => {
    // Santiago moved its clocks from 00:00 to 01:00 on 8 September 2024.
    expect(localDayStart('2024-09-08', 'America/Santiago')).toBe('2024-09-08T04:00:00.000Z');
  });

  it('makes a tenancy the instants from its first midnight to the one after its last day', () => {
    expect(periodInstants({ from: '2025-03-01', to: '2025-03-31' }, 'Europe/Berlin')).toEqual({
      from: '2025-02-28T23:00:00.000Z',
      to: '2025-03-31T22:00:00.000Z',
    });
    expect(periodInstants({ from: '2025-03-01' }, 'Europe/Berlin')).toEqual({
      from: '2025-02-28T23:00:00.000Z',
    });
  });
});

describe('mergePeriods', () => {
  it('joins overlapping and adjacent periods and keeps gaps', () => {
    expect(
      mergePeriods([
        { from: '2025-05-01', to: '2025-06-30' },
        { from: '2025-01-01', to: '2025-03-31' },
        { from: '2025-04-01', to: '2025-04-10' },
        { from: '2025-03-15', to: '2025-03-20' },
      ]),
    ).toEqual([
      { from: '2025-01-01', to: '2025-04-10' },
      { from: '2025-05-01', to: '2025-06-30' },
    ]);
  });

  it('lets an open-ended period swallow the later ones', () => {
    expect(
      mergePeriods([
        { from: '2025-01-01', to: '2025-01-31' },
        { from: '2025-02-01' },
        { from: '2025-06-01', to: '2025-06-30' },
      ]),
    ).toEqual([{ from: '2025-01-01' }]);
  });
});

describe('clipDays', () => {
  it('cuts a range to the periods, leaving out what lies outside', () => {
    const periods = [{ from: '2025-01-10', to: '2025-01-20' }, { from: '2025-02-01' }];
    expect(clipDays('2025-01-01', '2025-02-05', periods)).toEqual([
      { from: '2025-01-10', to: '2025-01-20' },
      { from: '2025-02-01', to: '2025-02-05' },
    ]);
    expect(clipDays('2025-01-21', '2025-01-31', periods)).toEqual([]);
    expect(clipDays('2025-01-15', '2025-01-15', periods)).toEqual([
      { from: '2025-01-15', to: '2025-01-15' },
    ]);
  });
});
