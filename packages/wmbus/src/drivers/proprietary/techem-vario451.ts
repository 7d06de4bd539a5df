/**
 * Techem vario 4 heat meters (manufacturer TCH, device type 0xC3,
 * manufacturer-specific CI 0xA2): the compact V layout (techem-compact5.ts)
 * with the energies in MJ.
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { techemEnergyValues } from './techem-common.js';

export const techemVario451Driver: Driver = {
  name: 'techem-vario451',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return meter.manufacturer === 'TCH' && meter.deviceType === 0xc3 && payloadCi === 0xa2;
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    return techemEnergyValues(input.frame.payload, 'a Techem vario 4 telegram', 'J', 1e6);
  },
};
