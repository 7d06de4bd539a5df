/**
 * Techem heat cost allocators "FHKV data III" (manufacturer TCH, device type
 * 0x80, manufacturer-specific CI 0xA0 or 0xA2).
 *
 * After the shared Techem head (techem-common.ts; values in HCA units) come
 * the room and the radiator temperature, uint16 LE in 0.01 °C: at p[9] and
 * p[11] under CI 0xA0, one byte later (p[10], p[12]) under CI 0xA2.
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { requireLength, u16le } from '../support/bytes.js';
import { readTechemHead } from './techem-common.js';

export const techemFhkvDriver: Driver = {
  name: 'techem-fhkv-data-iii',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return (
      meter.manufacturer === 'TCH' &&
      meter.deviceType === 0x80 &&
      (payloadCi === 0xa0 || payloadCi === 0xa2)
    );
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const p = input.frame.payload;
    const t = input.frame.payloadCi === 0xa2 ? 10 : 9;
    requireLength(p, t + 4, 'a Techem FHKV data III telegram');
    const head = readTechemHead(p);
    return {
      currentConsumption: { value: head.currentValue, unit: 'HCA' },
      currentDate: { value: head.currentDate, unit: '' },
      previousConsumption: { value: head.previousValue, unit: 'HCA' },
      previousDate: { value: head.previousDate, unit: '' },
      roomTemperature: { value: u16le(p, t) / 100, unit: '°C' },
      radiatorTemperature: { value: u16le(p, t + 2) / 100, unit: '°C' },
    };
  },
};
