/**
 * Techem compact V heat meters (manufacturer TCH, device type 0x43,
 * manufacturer-specific CI 0xA1 or 0xA2): energy of the previous period
 * (p[3..5]) and of the current one (p[7..9]), uint24 LE in kWh; the total is
 * their sum. p[1..2] is the previous period's end date (techem-common.ts).
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { techemEnergyValues } from './techem-common.js';

export const techemCompact5Driver: Driver = {
  name: 'techem-compact5',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return (
      meter.manufacturer === 'TCH' &&
      meter.deviceType === 0x43 &&
      (payloadCi === 0xa1 || payloadCi === 0xa2)
    );
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    return techemEnergyValues(input.frame.payload, 'a Techem compact V telegram', 'Wh', 1000);
  },
};
