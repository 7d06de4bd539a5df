import { describe, expect, it } from 'vitest';
import { formatConsumption, unitLabel } from './format.js';

describe('formatConsumption', () => {
  it("formats with the locale's separators and our own unit labels", () => {
    expect(formatConsumption(1234.5, 'kWh', 'de-DE')).toBe('1.235\u00a0kWh');
    expect(formatConsumption(1234.5, 'kWh', 'en-GB')).toBe('1,235\u00a0kWh');
    expect(formatConsumption(12.345, 'm3', 'de')).toBe('12,35\u00a0m³');
    expect(formatConsumption(12.3, 'm3', 'fr', { fractionDigits: 3 })).toBe('12,300\u00a0m³');
  });

  it("names heat cost allocator units in the reader's language", () => {
    expect(formatConsumption(523, 'hca', 'de')).toBe('523\u00a0Einheiten');
    expect(unitLabel('hca', 'en-US')).toBe('units');
    expect(unitLabel('hca', 'tr-TR')).toBe('birim');
  });

  it('handles units Intl cannot (kilowatt-hour, cubic meter) without throwing', () => {
    expect(formatConsumption(1, 'MWh', 'de')).toBe('1,00\u00a0MWh');
  });
});
