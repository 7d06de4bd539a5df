import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import { foldReading, type MeterDay, type RegisterReading } from './meter-day.js';

const DAY = '2026-03-10';
const r = (time: string, value: number): RegisterReading => ({ at: `${DAY}T${time}Z`, value });

function foldAll(readings: RegisterReading[]): MeterDay {
  return readings.reduce<MeterDay | undefined>(
    (day, reading) => foldReading(day, reading, DAY),
    undefined,
  )!;
}

/** Every order of a short list. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('foldReading', () => {
  it('starts a day with its first reading', () => {
    expect(foldReading(undefined, r('06:00:00', 100), DAY)).toEqual({
      day: DAY,
      firstAt: `${DAY}T06:00:00Z`,
      firstValue: 100,
      lastAt: `${DAY}T06:00:00Z`,
      lastValue: 100,
      readings: 1,
    });
  });

  it('keeps the earliest and the latest reading', () => {
    const day = foldAll([r('06:00:00', 100), r('12:00:00', 104), r('18:00:00', 109)]);
    expect(day).toMatchObject({ firstValue: 100, lastValue: 109, readings: 3 });
  });

  it('gives the same day in any order of arrival (late delivery, concurrent workers)', () => {
    const readings = [
      r('06:00:00', 100),
      r('12:00:00', 104),
      r('18:00:00', 109),
      r('23:59:59', 110),
    ];
    const expected = foldAll(readings);
    for (const order of permutations(readings)) expect(foldAll(order)).toEqual(expected);
  });

  it('makes a late earlier reading the first', () => {
    const day = foldAll([r('12:00:00', 104), r('18:00:00', 109), r('06:00:00', 100)]);
    expect(day).toMatchObject({ firstAt: `${DAY}T06:00:00Z`, firstValue: 100, lastValue: 109 });
  });

  it('counts the same reading twice once (same at and value as the first or the last)', () => {
    const once = foldAll([r('06:00:00', 100), r('18:00:00', 109)]);
    expect(foldReading(once, r('06:00:00', 100), DAY)).toBe(once);
    expect(foldReading(once, r('18:00:00', 109), DAY)).toBe(once);
    // The same instant written otherwise is the same reading.
    expect(foldReading(once, { at: `${DAY}T18:00:00.000Z`, value: 109 }, DAY)).toBe(once);
  });

  it('counts a repeated reading between first and last again (documented: display only)', () => {
    const day = foldAll([
      r('06:00:00', 100),
      r('12:00:00', 104),
      r('18:00:00', 109),
      r('12:00:00', 104),
    ]);
    expect(day).toMatchObject({ firstValue: 100, lastValue: 109, readings: 4 });
  });

  it('orders two values at one instant by value, in any order', () => {
    const a = foldAll([r('12:00:00', 5), r('12:00:00', 7)]);
    const b = foldAll([r('12:00:00', 7), r('12:00:00', 5)]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ firstValue: 5, lastValue: 7, readings: 2 });
  });

  it('refuses a reading of another day, a value that is no number, a time that is none', () => {
    const day = foldAll([r('06:00:00', 100)]);
    for (const fn of [
      () => foldReading(day, r('07:00:00', 101), '2026-03-11'),
      () => foldReading(day, r('07:00:00', Number.NaN), DAY),
      () => foldReading(undefined, { at: 'noon', value: 1 }, DAY),
    ]) {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(isDomainError(caught) && caught.code).toBe('VALIDATION_FAILED');
    }
  });
});
