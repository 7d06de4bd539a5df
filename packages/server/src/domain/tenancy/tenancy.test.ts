import { describe, expect, it } from 'vitest';
import {
  applyTenancyPatch,
  overlappingPeriods,
  periodCovers,
  periodHull,
  periodsOverlap,
  validateNewTenancy,
  type Tenancy,
} from './tenancy.js';

describe('periods (both ends inclusive)', () => {
  it('overlap when they share a day, not when one ends the day before the other starts', () => {
    const march = { from: '2025-03-01', to: '2025-03-31' };
    expect(periodsOverlap(march, { from: '2025-04-01' })).toBe(false);
    expect(periodsOverlap(march, { from: '2025-03-31', to: '2025-04-30' })).toBe(true);
    expect(periodsOverlap({ from: '2025-01-01' }, { from: '2030-01-01' })).toBe(true);
    expect(periodsOverlap({ from: '2025-05-01' }, march)).toBe(false);
    expect(
      periodsOverlap(
        { from: '2025-01-01', to: '2025-01-01' },
        { from: '2025-01-01', to: '2025-01-01' },
      ),
    ).toBe(true);
  });

  it('hull covers both; open ends stay open', () => {
    expect(
      periodHull(
        { from: '2025-02-01', to: '2025-02-10' },
        { from: '2025-01-15', to: '2025-01-20' },
      ),
    ).toEqual({
      from: '2025-01-15',
      to: '2025-02-10',
    });
    expect(periodHull({ from: '2025-02-01' }, { from: '2025-03-01', to: '2025-04-01' })).toEqual({
      from: '2025-02-01',
    });
  });

  it('finds the overlapping others, never the candidate itself', () => {
    const others = [
      { id: 'a', from: '2024-01-01', to: '2024-12-31' },
      { id: 'b', from: '2025-01-01' },
      { id: 'c', from: '2023-01-01', to: '2023-12-31' },
    ];
    expect(overlappingPeriods({ id: 'b', from: '2024-06-01' }, others)).toEqual(['a']);
    expect(periodCovers({ from: '2025-01-01', to: '2025-01-31' }, '2025-01-31')).toBe(true);
    expect(periodCovers({ from: '2025-01-01', to: '2025-01-31' }, '2025-02-01')).toBe(false);
  });
});

describe('tenancy validation', () => {
  it('needs real dates in order', () => {
    expect(validateNewTenancy({ unitId: 'unit_1', from: '2025-04-01', to: '2025-04-01' })).toEqual({
      unitId: 'unit_1',
      from: '2025-04-01',
      to: '2025-04-01',
      tenantUserIds: [],
    });
    for (const [input, field, reason] of [
      [{ unitId: 'unit_1', from: '2025-02-30' }, 'from', 'format'],
      [{ unitId: 'unit_1', from: '2025-04-01', to: '2025-03-31' }, 'to', 'order'],
      [{ unitId: 'unit#1', from: '2025-04-01' }, 'unitId', 'format'],
      [
        { unitId: 'unit_1', from: '2025-04-01', tenantUserIds: ['u', 'u'] },
        'tenantUserIds/1',
        'duplicate',
      ],
    ] as const) {
      expect(() => validateNewTenancy(input as never)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field, reason } }),
      );
    }
  });

  it('patches dates, clears the end with null, and keeps the unit', () => {
    const current: Tenancy = {
      id: 't',
      partnerId: 'p',
      propertyId: 'prop',
      unitId: 'unit_1',
      from: '2025-01-01',
      to: '2025-06-30',
      tenantUserIds: [],
      version: 1,
      createdAt: 'x',
      updatedAt: 'x',
    };
    expect(applyTenancyPatch(current, { to: null })).toEqual({
      unitId: 'unit_1',
      from: '2025-01-01',
      tenantUserIds: [],
    });
    expect(() => applyTenancyPatch(current, { unitId: 'unit_2' } as never)).toThrow(
      expect.objectContaining({ details: { field: 'unitId', reason: 'immutable' } }),
    );
  });
});
