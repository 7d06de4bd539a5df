import { describe, expect, it } from 'vitest';
import { createFleet, MAX_FLEET_SIZE } from './fleet.js';
import { meterAddress } from './virtual-meter.js';

describe('createFleet', () => {
  it('draws the same fleet, keys included, for the same seed', () => {
    expect(createFleet({ count: 30, seed: 4 })).toEqual(createFleet({ count: 30, seed: 4 }));
    expect(createFleet({ count: 30, seed: 5 })).not.toEqual(createFleet({ count: 30, seed: 4 }));
  });

  it('extends a smaller fleet: growing a building keeps the keys already imported', () => {
    const small = createFleet({ count: 10, seed: 9 });
    expect(createFleet({ count: 25, seed: 9 }).slice(0, 10)).toEqual(small);
  });

  it('mixes kinds, makes, radio modes and security modes, with a key and an address each', () => {
    const fleet = createFleet({ count: 20, seed: 1 });
    const set = <T>(f: (m: (typeof fleet)[number]) => T) => new Set(fleet.map(f));
    expect(set((m) => m.kind)).toEqual(
      new Set(['heat-cost-allocator', 'heat-meter', 'water-meter']),
    );
    expect(set((m) => m.manufacturer).size).toBeGreaterThanOrEqual(6);
    expect(set((m) => m.securityMode)).toEqual(new Set([5, 7]));
    expect(set((m) => m.radioMode)).toEqual(new Set(['T1', 'C1', 'S1']));
    expect(set(meterAddress).size).toBe(20);
    expect(set((m) => m.key).size).toBe(20);
    for (const meter of fleet) {
      expect(meter.key).toMatch(/^[0-9A-F]{32}$/);
      expect(meterAddress(meter)).toMatch(/^[A-Z]{3}[0-9]{8}$/);
      // Modes S and T know only format A.
      if (meter.radioMode !== 'C1') expect(meter.frameFormat).toBe('A');
    }
    const water = fleet.filter((m) => m.kind === 'water-meter').map((m) => m.deviceType);
    expect(new Set(water)).toEqual(new Set([0x06, 0x16]));
  });

  it('refuses impossible sizes', () => {
    expect(() => createFleet({ count: -1, seed: 1 })).toThrow(RangeError);
    expect(() => createFleet({ count: MAX_FLEET_SIZE + 1, seed: 1 })).toThrow(RangeError);
    expect(createFleet({ count: 0, seed: 1 })).toEqual([]);
  });
});
