import { bytesToHex } from '@zaehlwerk/wmbus';
import { createPrng, hash32, type Prng } from './prng.js';
import {
  DEVICE_TYPE,
  type MeterKind,
  type MeterRadioMode,
  type VirtualMeter,
} from './virtual-meter.js';

/**
 * Meter models as they are found in German multi-family buildings: who makes
 * them, the radio mode and OMS security profile they use, and how often they
 * transmit. Versions are the simulator's own, chosen so that no
 * manufacturer-specific decoder mistakes them for a proprietary layout.
 */
interface MeterProfile {
  kind: MeterKind;
  manufacturer: string;
  version: number;
  securityMode: 5 | 7;
  radioMode: MeterRadioMode;
  transmitIntervalS: number;
}

const PROFILES: Readonly<Record<MeterKind, readonly MeterProfile[]>> = {
  'heat-cost-allocator': [
    {
      kind: 'heat-cost-allocator',
      manufacturer: 'QDS',
      version: 0x35,
      securityMode: 5,
      radioMode: 'T1',
      transmitIntervalS: 240,
    },
    {
      kind: 'heat-cost-allocator',
      manufacturer: 'TCH',
      version: 0x97,
      securityMode: 7,
      radioMode: 'T1',
      transmitIntervalS: 240,
    },
    {
      kind: 'heat-cost-allocator',
      manufacturer: 'ZRI',
      version: 0x88,
      securityMode: 5,
      radioMode: 'T1',
      transmitIntervalS: 180,
    },
    {
      kind: 'heat-cost-allocator',
      manufacturer: 'SON',
      version: 0x1b,
      securityMode: 5,
      radioMode: 'C1',
      transmitIntervalS: 120,
    },
  ],
  'heat-meter': [
    {
      kind: 'heat-meter',
      manufacturer: 'IST',
      version: 0x1c,
      securityMode: 7,
      radioMode: 'T1',
      transmitIntervalS: 240,
    },
    {
      kind: 'heat-meter',
      manufacturer: 'LUG',
      version: 0x04,
      securityMode: 5,
      radioMode: 'S1',
      transmitIntervalS: 900,
    },
    {
      kind: 'heat-meter',
      manufacturer: 'EFE',
      version: 0x00,
      securityMode: 7,
      radioMode: 'C1',
      transmitIntervalS: 120,
    },
    {
      kind: 'heat-meter',
      manufacturer: 'SON',
      version: 0x30,
      securityMode: 5,
      radioMode: 'T1',
      transmitIntervalS: 300,
    },
  ],
  'water-meter': [
    {
      kind: 'water-meter',
      manufacturer: 'HYD',
      version: 0x85,
      securityMode: 7,
      radioMode: 'C1',
      transmitIntervalS: 120,
    },
    {
      kind: 'water-meter',
      manufacturer: 'ZRI',
      version: 0x44,
      securityMode: 5,
      radioMode: 'T1',
      transmitIntervalS: 240,
    },
    {
      kind: 'water-meter',
      manufacturer: 'SEN',
      version: 0x68,
      securityMode: 5,
      radioMode: 'T1',
      transmitIntervalS: 240,
    },
    {
      kind: 'water-meter',
      manufacturer: 'DWZ',
      version: 0x02,
      securityMode: 5,
      radioMode: 'S1',
      transmitIntervalS: 480,
    },
  ],
};

/**
 * The order kinds come in: per ten meters five allocators, three water meters
 * and two heat meters, roughly a building's mix, and every kind within the
 * first three meters.
 */
const HCA = 'heat-cost-allocator';
const HEAT = 'heat-meter';
const WATER = 'water-meter';
const KIND_PATTERN: readonly MeterKind[] = [
  HCA,
  WATER,
  HEAT,
  HCA,
  WATER,
  HCA,
  HEAT,
  HCA,
  WATER,
  HCA,
];

/** Signal strength at the gateway: allocators sit in flats, heat meters near the riser. */
const RSSI_RANGE: Readonly<Record<MeterKind, readonly [number, number]>> = {
  [HCA]: [-97, -68],
  [HEAT]: [-88, -58],
  [WATER]: [-102, -66],
};

export interface FleetOptions {
  count: number;
  seed: number;
}

/** At most this many meters: ids are 8 digits and every meter is simulated in memory. */
export const MAX_FLEET_SIZE = 100_000;

/**
 * Draws a fleet of meters, the same one for the same seed; a larger count
 * extends a smaller one (the first meters stay the same, keys included), so
 * growing a simulated building keeps the keys already imported. Kinds follow
 * the building mix above;
 * within a kind the models rotate, so even a small fleet has every
 * manufacturer, radio mode and security mode of its kinds.
 */
export function createFleet({ count, seed }: FleetOptions): VirtualMeter[] {
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_FLEET_SIZE) {
    throw new RangeError(`a fleet has 0-${MAX_FLEET_SIZE} meters, got ${count}`);
  }
  const prng = createPrng(hash32(seed, 0x5eed));
  const offsets: Record<MeterKind, number> = {
    [HCA]: prng.int(0, 3),
    [HEAT]: prng.int(0, 3),
    [WATER]: prng.int(0, 3),
  };
  const seen: Record<MeterKind, number> = { [HCA]: 0, [HEAT]: 0, [WATER]: 0 };
  const ids = new Set<string>();
  const meters: VirtualMeter[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KIND_PATTERN[i % KIND_PATTERN.length]!;
    const profiles = PROFILES[kind];
    const profile = profiles[(offsets[kind] + seen[kind]) % profiles.length]!;
    seen[kind] += 1;
    meters.push(drawMeter(profile, prng, uniqueId(prng, ids), seen[kind]));
  }
  return meters;
}

/** C-mode meters mostly send format B; modes S and T have only format A. */
function frameFormatOf(mode: MeterRadioMode): 'A' | 'B' {
  return mode === 'C1' ? 'B' : 'A';
}

function uniqueId(prng: Prng, taken: Set<string>): string {
  for (;;) {
    // Meter numbers in service are rarely below 10 000 000; keep all 8 digits significant.
    const id = String(prng.int(10_000_000, 99_999_999));
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

function drawMeter(
  profile: MeterProfile,
  prng: Prng,
  id: string,
  ordinalOfKind: number,
): VirtualMeter {
  const [rssiLow, rssiHigh] = RSSI_RANGE[profile.kind];
  const base = {
    manufacturer: profile.manufacturer,
    id,
    version: profile.version,
    securityMode: profile.securityMode,
    key: bytesToHex(prng.bytes(16)),
    radioMode: profile.radioMode,
    frameFormat: frameFormatOf(profile.radioMode),
    transmitIntervalS: profile.transmitIntervalS,
    rssiBaseDbm: prng.int(rssiLow, rssiHigh),
    seed: prng.int(0, 0xffff_ffff),
  };
  switch (profile.kind) {
    case HCA:
      return {
        ...base,
        kind: 'heat-cost-allocator',
        deviceType: DEVICE_TYPE.heatCostAllocator,
        radiatorW: 100 * prng.int(5, 25),
      };
    case HEAT:
      return {
        ...base,
        kind: 'heat-meter',
        deviceType: DEVICE_TYPE.heat,
        designLoadKw: prng.int(40, 120) / 10,
      };
    case WATER:
      // Dwellings have a cold and a warm water meter: alternate them.
      return {
        ...base,
        kind: 'water-meter',
        deviceType: ordinalOfKind % 2 === 1 ? DEVICE_TYPE.coldWater : DEVICE_TYPE.warmWater,
        residents: prng.int(1, 4),
      };
  }
}
