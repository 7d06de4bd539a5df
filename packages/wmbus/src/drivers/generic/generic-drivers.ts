import { meterFamily } from '../../device-type.js';
import type { DataRecord, Driver, DriverInput, NamedValue } from '../../types.js';
import { findRecord, nameAllRecords, plainRecordsFrom, type RecordQuery } from '../record-names.js';

type Canonical = Record<string, RecordQuery>;

/** Values a family names beyond its canonical ones, before every record under its own name. */
type Extra = (records: readonly DataRecord[]) => Record<string, NamedValue>;

function withCanonical(
  records: readonly DataRecord[],
  canonical: ReadonlyArray<readonly [string, RecordQuery]>,
  extra: Extra | undefined,
): Record<string, NamedValue> {
  const named: Record<string, NamedValue> = {};
  for (const [name, query] of canonical) {
    const r = findRecord(records, query);
    if (r) named[name] = { value: r.value, unit: r.unit };
  }
  if (extra) Object.assign(named, extra(records));
  return nameAllRecords(records, named);
}

function addStatusValues(
  input: DriverInput,
  out: Record<string, NamedValue>,
): Record<string, NamedValue> {
  const s = input.frame.status;
  if (s) {
    out.statusPowerLow = { value: s.powerLow, unit: '' };
    out.statusPermanentError = { value: s.permanentError, unit: '' };
    out.statusTemporaryError = { value: s.temporaryError, unit: '' };
  }
  return out;
}

/** Records of standard (DIF/VIF) payloads: CI 0x72, 0x7A, 0x78 and compact 0x79. */
const RECORD_CIS = new Set([0x72, 0x7a, 0x78, 0x79, 0x73, 0x7b, 0x7c]);

function genericDriver(
  name: string,
  family: ReturnType<typeof meterFamily> | 'any',
  canonical: Canonical,
  extra?: Extra,
): Driver {
  const entries = Object.entries(canonical);
  return {
    name,
    priority: family === 'any' ? 0 : 10,
    matches: (meter, ci) =>
      RECORD_CIS.has(ci) && (family === 'any' || meterFamily(meter.deviceType) === family),
    decode: (input) => addStatusValues(input, withCanonical(input.records, entries, extra)),
  };
}

/** The first history storage: storage 1 is the set day, named on its own. */
const HCA_HISTORY_STORAGE = 2;

/**
 * A heat cost allocator's history by storage number: the plain hcaUnits records of storages
 * 2, 3, … in ascending order (the meter stores older periods under higher numbers), as
 * `historyConsumption{k}` with `historyDate{k}`, the date record of the same storage (null
 * without one); k = 1 is the newest.
 */
export function hcaStorageHistory(records: readonly DataRecord[]): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  plainRecordsFrom(records, 'hcaUnits', HCA_HISTORY_STORAGE).forEach((r, i) => {
    const date = findRecord(records, { quantity: 'date', storage: r.storage });
    out[`historyConsumption${i + 1}`] = { value: r.value, unit: r.unit };
    out[`historyDate${i + 1}`] = { value: date?.value ?? null, unit: '' };
  });
  return out;
}

/** The names hcaStorageHistory gives, for drivers whose meters keep their history elsewhere. */
export function isHcaHistoryName(name: string): boolean {
  return /^history(?:Consumption|Date)\d+$/.test(name);
}

/** Heat cost allocators (EN 834): current period, set day, history by storage number. */
export const genericHeatCostAllocator = genericDriver(
  'generic-heat-cost-allocator',
  'heatCostAllocator',
  {
    currentConsumption: { quantity: 'hcaUnits' },
    setDate: { quantity: 'date', storage: 1 },
    consumptionAtSetDate: { quantity: 'hcaUnits', storage: 1 },
    meterDateTime: { quantity: 'dateTime' },
  },
  hcaStorageHistory,
);

/** Heat meters (EN 1434). */
export const genericHeatMeter = genericDriver('generic-heat-meter', 'heat', {
  totalEnergy: { quantity: 'energy' },
  totalVolume: { quantity: 'volume' },
  power: { quantity: 'power' },
  volumeFlow: { quantity: 'volumeFlow' },
  flowTemperature: { quantity: 'flowTemperature' },
  returnTemperature: { quantity: 'returnTemperature' },
  temperatureDifference: { quantity: 'temperatureDifference' },
  targetEnergy: { quantity: 'energy', storage: 1 },
  targetDate: { quantity: 'date', storage: 1 },
  meterDateTime: { quantity: 'dateTime' },
});

/** Water meters (EN 14154 / OIML R49): cold, warm, hot. */
export const genericWaterMeter = genericDriver('generic-water-meter', 'water', {
  totalVolume: { quantity: 'volume' },
  targetVolume: { quantity: 'volume', storage: 1 },
  targetDate: { quantity: 'date', storage: 1 },
  volumeFlow: { quantity: 'volumeFlow' },
  maxVolumeFlow: { quantity: 'volumeFlow', function: 'maximum' },
  waterTemperature: { quantity: 'flowTemperature' },
  externalTemperature: { quantity: 'externalTemperature' },
  meterDateTime: { quantity: 'dateTime' },
  errorFlags: { quantity: 'errorFlags' },
});

/** Anything else with standard records: every record under its own name. */
export const genericRecords = genericDriver('generic', 'any', {
  meterDateTime: { quantity: 'dateTime' },
});

export const genericDrivers: readonly Driver[] = [
  genericHeatCostAllocator,
  genericHeatMeter,
  genericWaterMeter,
  genericRecords,
];
