/**
 * Zenner water meter module, version 0x0B (ZRI, device type 0x16 cold water): no records,
 * only manufacturer data after DIF 0x0F, three 32-bit little-endian words:
 * a status word, the volume at the due date and the total volume, both in litres with
 * 8 fractional bits (0x001BBF80 = 7103.5 l).
 */
import { genericWaterMeter } from '../../generic/generic-drivers.js';
import type { Driver, DriverInput, NamedValue } from '../../../types.js';
import { uintAt } from '../../support/bytes.js';
import { named } from '../../support/named.js';

const FRACTION = 256;
const LITRES_PER_M3 = 1000;

function volume(data: Uint8Array, offset: number): number | null {
  const raw = uintAt(data, offset, 4);
  return raw === null ? null : raw / FRACTION / LITRES_PER_M3;
}

export const zenner0b: Driver = {
  name: 'zenner-0b',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'ZRI' &&
    meter.version === 0x0b &&
    meter.deviceType === 0x16 &&
    ci === 0x7a,
  decode(input: DriverInput): Record<string, NamedValue> {
    const out = genericWaterMeter.decode(input);
    const data = input.manufacturerData;
    if (!data || data.length < 12) return out;
    return {
      ...out,
      statusWord: named(uintAt(data, 0, 4)),
      targetVolume: named(volume(data, 4), 'm3'),
      totalVolume: named(volume(data, 8), 'm3'),
    };
  },
};
