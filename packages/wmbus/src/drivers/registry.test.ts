import { describe, expect, it } from 'vitest';
import type { Driver, MeterAddress } from '../types.js';
import { DriverRegistry } from './registry.js';

const meter: MeterAddress = {
  manufacturer: 'KAM',
  id: '12345678',
  version: 0x1b,
  deviceType: 0x16,
};

function driver(name: string, priority: number, manufacturer?: string): Driver {
  return {
    name,
    priority,
    matches: (m) => manufacturer === undefined || m.manufacturer === manufacturer,
    decode: () => ({ from: { value: name, unit: '' } }),
  };
}

describe('DriverRegistry', () => {
  it('picks the matching driver with the highest priority', () => {
    const registry = new DriverRegistry([driver('generic', 0), driver('kamstrup', 50, 'KAM')]);
    expect(registry.select(meter, 0x78)?.name).toBe('kamstrup');
    expect(registry.select({ ...meter, manufacturer: 'TCH' }, 0x78)?.name).toBe('generic');
  });

  it('lets integrators add their own driver over the built-in ones', () => {
    const registry = new DriverRegistry([driver('kamstrup', 50, 'KAM')]);
    registry.register(driver('my-kamstrup', 100, 'KAM'));
    expect(registry.select(meter, 0x78)?.name).toBe('my-kamstrup');
  });

  it('keeps the first registered among equal priorities and refuses duplicate names', () => {
    const registry = new DriverRegistry([driver('a', 5), driver('b', 5)]);
    expect(registry.select(meter, 0x7a)?.name).toBe('a');
    expect(() => registry.register(driver('a', 1))).toThrow(/already registered/);
  });

  it('returns undefined when no driver knows the meter', () => {
    expect(new DriverRegistry([driver('x', 1, 'TCH')]).select(meter, 0x7a)).toBeUndefined();
  });
});
