/**
 * Techem MK Radio water meters (manufacturer TCH, device type 0x62 warm or
 * 0x72 cold water, manufacturer-specific CI 0xA2), volumes in 0.1 m³.
 *
 * MK Radio 4 (version 0x95): the shared Techem head (techem-common.ts):
 * volume of the previous period at p[3..4], of the current one at p[7..8];
 * the meter's total is their sum.
 *
 * MK Radio 3a (version 0x50), a different layout:
 *   p[2..3]   set (target) date, as the Techem previous-period date
 *   p[4..7]   total volume (uint32 LE)
 *   p[8..43]  twelve months, newest (the set date's month) first, three
 *             bytes each: two half-month consumptions, low bytes in the
 *             first two bytes and their high nibbles in the third (low
 *             nibble for the first half)
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { requireLength, u16le, u32le } from '../support/bytes.js';
import { formatDate, packedDate16 } from '../support/dates.js';
import { readTechemHead } from './techem-common.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function isMkRadioWater(meter: MeterAddress, payloadCi: number): boolean {
  return (
    meter.manufacturer === 'TCH' &&
    (meter.deviceType === 0x62 || meter.deviceType === 0x72) &&
    payloadCi === 0xa2
  );
}

export const techemMkRadio4Driver: Driver = {
  name: 'techem-mkradio4',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return isMkRadioWater(meter, payloadCi) && meter.version === 0x95;
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const p = input.frame.payload;
    requireLength(p, 9, 'a Techem MK Radio 4 telegram');
    const head = readTechemHead(p);
    return {
      totalVolume: { value: (head.previousValue + head.currentValue) / 10, unit: 'm3' },
      targetVolume: { value: head.previousValue / 10, unit: 'm3' },
      currentVolume: { value: head.currentValue / 10, unit: 'm3' },
    };
  },
};

export const techemMkRadio3aDriver: Driver = {
  name: 'techem-mkradio3a',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return isMkRadioWater(meter, payloadCi) && meter.version === 0x50;
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const p = input.frame.payload;
    requireLength(p, 44, 'a Techem MK Radio 3a telegram');
    const date = packedDate16(u16le(p, 2));
    const out: Record<string, NamedValue> = {
      totalVolume: { value: u32le(p, 4) / 10, unit: 'm3' },
      targetDate: { value: formatDate(date.year, date.month, date.day), unit: '' },
    };
    for (let i = 0; i < 12; i++) {
      const o = 8 + 3 * i;
      const first = p[o]! | ((p[o + 2]! & 0x0f) << 8);
      const second = p[o + 1]! | ((p[o + 2]! >> 4) << 8);
      const volume = (first + second) / 10;
      if (i === 0) out.targetMonthConsumption = { value: volume, unit: 'm3' };
      // Month of entry i: i months before the set date's month (1–12; 0 when the date is unset).
      const month = date.month >= 1 && date.month <= 12 ? (date.month - 1 - i + 120) % 12 : -1;
      const name = month >= 0 ? `consumption${MONTHS[month]}` : `consumptionMonthMinus${i}`;
      out[name] = { value: volume, unit: 'm3' };
    }
    return out;
  },
};
