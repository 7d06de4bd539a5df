import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import {
  applyPropertyPatch,
  validateNewProperty,
  type NewProperty,
  type Property,
} from './property.js';

function fieldOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return isDomainError(err) ? (err.details as { field: string }).field : 'not a DomainError';
  }
}

const base: NewProperty = {
  organisationId: 'org_1',
  address: { street: 'Musterstraße 5', postalCode: '12345', city: 'Musterstadt', country: 'DE' },
  heatingSystem: { kind: 'central', fuel: 'natural-gas-h', warmWaterCentral: true },
};

describe('property energyConversion', () => {
  it('keeps the factors given, and drops an empty setting', () => {
    expect(
      validateNewProperty({
        ...base,
        energyConversion: { kwhPerHcaUnit: 0.85, hotWaterTemperatureC: 55 },
      }).energyConversion,
    ).toEqual({ kwhPerHcaUnit: 0.85, hotWaterTemperatureC: 55 });
    expect(validateNewProperty({ ...base, energyConversion: {} })).not.toHaveProperty(
      'energyConversion',
    );
  });

  it('refuses a factor of zero or less and temperatures outside 20–95 °C, naming the field', () => {
    for (const [energyConversion, field] of [
      [{ kwhPerHcaUnit: 0 }, 'energyConversion/kwhPerHcaUnit'],
      [{ kwhPerHcaUnit: -1 }, 'energyConversion/kwhPerHcaUnit'],
      [{ kwhPerHcaUnit: 1001 }, 'energyConversion/kwhPerHcaUnit'],
      [{ hotWaterTemperatureC: 10 }, 'energyConversion/hotWaterTemperatureC'],
      [{ hotWaterTemperatureC: 96 }, 'energyConversion/hotWaterTemperatureC'],
      [{ hotWaterTemperatureC: '60' }, 'energyConversion/hotWaterTemperatureC'],
    ] as const) {
      expect(
        fieldOf(() => validateNewProperty({ ...base, energyConversion } as unknown as NewProperty)),
      ).toBe(field);
    }
  });

  it('is replaced whole by a patch, and removed by null', () => {
    const current: Property = {
      id: 'prop_1',
      partnerId: 'p',
      ...validateNewProperty({ ...base, energyConversion: { kwhPerHcaUnit: 1 } }),
      version: 1,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    };
    expect(
      applyPropertyPatch(current, { energyConversion: { hotWaterTemperatureC: 58 } })
        .energyConversion,
    ).toEqual({ hotWaterTemperatureC: 58 });
    expect(applyPropertyPatch(current, { energyConversion: null })).not.toHaveProperty(
      'energyConversion',
    );
    expect(applyPropertyPatch(current, { name: 'Hinterhaus' }).energyConversion).toEqual({
      kwhPerHcaUnit: 1,
    });
  });
});
