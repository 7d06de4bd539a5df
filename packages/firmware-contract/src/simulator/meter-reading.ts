import { readHca, readHeat, type HcaReading, type HeatReading } from './heating-model.js';
import type { VirtualMeter } from './virtual-meter.js';
import { readWater, type WaterReading } from './water-model.js';

export type { HcaReading, HeatReading, WaterReading };

/** What a meter's registers hold at a moment, by kind. */
export type MeterReading = HcaReading | HeatReading | WaterReading;

/** The registers of a meter at a UTC time: a pure function of the meter and the time. */
export function readMeter(meter: VirtualMeter, utcMs: number): MeterReading {
  switch (meter.kind) {
    case 'heat-cost-allocator':
      return readHca(meter, utcMs);
    case 'heat-meter':
      return readHeat(meter, utcMs);
    case 'water-meter':
      return readWater(meter, utcMs);
  }
}
