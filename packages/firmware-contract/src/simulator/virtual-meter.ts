/**
 * A simulated meter: what its nameplate and radio module say, its key, and
 * the size of what it measures. Everything else about it (transmit phase,
 * counters, consumption noise) is derived from `seed`, so a meter is fully
 * described by this record and serialises as plain JSON.
 */

/** The package's names for the billed meter families (as in vectors/v1 and the key import). */
export type MeterKind = 'heat-cost-allocator' | 'heat-meter' | 'water-meter';

/** The radio modes the simulated meters transmit in (EN 13757-4). */
export type MeterRadioMode = 'T1' | 'C1' | 'S1';

interface VirtualMeterBase {
  /** Three-letter manufacturer code (FLAG association), e.g. `QDS`. */
  manufacturer: string;
  /** Identification number: 8 decimal digits as printed on the meter. */
  id: string;
  version: number;
  /** EN 13757-3 device type: 0x08 HCA, 0x04 heat, 0x16 cold water, 0x06 warm water. */
  deviceType: number;
  /** OMS security profile A (5: AES-CBC, static key) or B (7: derived keys and a MAC). */
  securityMode: 5 | 7;
  /** The meter's individual AES-128 key: 32 upper-case hex digits. */
  key: string;
  radioMode: MeterRadioMode;
  /**
   * Link-layer frame format (EN 13757-4). Modes S and T only know A; the C-mode
   * meters here send B, as most C-mode meters on the market do.
   */
  frameFormat: 'A' | 'B';
  /** Seconds between transmissions (the meter adds a little jitter to each). */
  transmitIntervalS: number;
  /** Mean received signal strength at the gateway, dBm. */
  rssiBaseDbm: number;
  /** Seed of the meter's phase, counters and consumption noise. */
  seed: number;
}

/** A heat cost allocator (EN 834) on one radiator. */
export interface HcaMeter extends VirtualMeterBase {
  kind: 'heat-cost-allocator';
  /** Standard heat output of the radiator (75/65/20 °C), W. */
  radiatorW: number;
}

/** A heat meter (EN 1434) for one dwelling. */
export interface HeatMeter extends VirtualMeterBase {
  kind: 'heat-meter';
  /** Heat load of the dwelling at the design outdoor temperature (−12 °C), kW. */
  designLoadKw: number;
}

/** A cold or warm water meter for one dwelling. */
export interface WaterMeter extends VirtualMeterBase {
  kind: 'water-meter';
  /** People living in the dwelling. */
  residents: number;
}

export type VirtualMeter = HcaMeter | HeatMeter | WaterMeter;

export const DEVICE_TYPE = {
  heatCostAllocator: 0x08,
  heat: 0x04,
  coldWater: 0x16,
  warmWater: 0x06,
} as const;

/** The meter as the link layer and the contract name it: manufacturer and id, `QDS12345678`. */
export function meterAddress(meter: Pick<VirtualMeter, 'manufacturer' | 'id'>): string {
  return `${meter.manufacturer}${meter.id}`;
}

export function isWarmWater(meter: VirtualMeter): boolean {
  return meter.kind === 'water-meter' && meter.deviceType === DEVICE_TYPE.warmWater;
}
