/**
 * Techem vario 4 heat meters (manufacturer TCH, device type 0xC3,
 * manufacturer-specific CI 0xA2): the compact V layout (techem-compact5.ts)
 * with the energies in MJ.
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { requireLength } from '../support/bytes.js';
import { readTechemEnergy } from './techem-common.js';

export const techemVario451Driver: Driver = {
  name: 'techem-vario451',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return meter.manufacturer === 'TCH' && meter.deviceType === 0xc3 && payloadCi === 0xa2;
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const p = input.frame.payload;
    requireLength(p, 10, 'a Techem vario 4 telegram');
    const e = readTechemEnergy(p);
    return {
      totalEnergy: { value: (e.previous + e.current) * 1e6, unit: 'J' },
      currentEnergy: { value: e.current * 1e6, unit: 'J' },
      previousEnergy: { value: e.previous * 1e6, unit: 'J' },
      previousDate: { value: e.previousDate, unit: '' },
    };
  },
};
