import { genericWaterMeter } from '../../generic/generic-drivers.js';
import type { Driver } from '../../../types.js';

/**
 * Diehl Hydrus water meters (HYD) of the older firmware, which fill the TPL
 * configuration field with bits that read as the reserved security modes 24
 * and 29 while the records are plain (every such corpus telegram: hydrus-004,
 * -005, -007, -008). Mode 21 of the same maker is scrambled and stays refused.
 * Diehl also sends the address as version, type, id, so the device type reads
 * 0x60: the values are named as a water meter's.
 */
export const diehlHydrus: Driver = {
  name: 'diehl-hydrus',
  priority: 30,
  plainSecurityModes: [24, 29],
  matches: (meter, ci) => meter.manufacturer === 'HYD' && ci === 0x7a,
  decode: (input) => genericWaterMeter.decode(input),
};

export const drivers: readonly Driver[] = [diehlHydrus];
