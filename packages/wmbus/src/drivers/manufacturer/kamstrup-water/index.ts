import { genericWaterMeter } from '../../generic/generic-drivers.js';
import type { DataRecord, Driver, NamedValue } from '../../../types.js';

/**
 * Kamstrup MULTICAL 21 / flowIQ water meters (KAM, water device types). Their
 * info codes travel as a manufacturer record (VIF 0xFF, VIFE 0x20, 16 bits):
 * bits 0–3 are the alarms now (dry, reverse flow, leak, burst) and each alarm
 * has a 3-bit code for how long it has lasted (bits 4–6 dry, 7–9 reverse,
 * 10–12 leak, 13–15 burst). OMS.md §2.2 and vector V3 there: info 0x0071
 * is "DRY, for 22–31 days".
 */
const ALARMS = [
  { name: 'Dry', bit: 0, durationShift: 4 },
  { name: 'Backflow', bit: 1, durationShift: 7 },
  { name: 'Leak', bit: 2, durationShift: 10 },
  { name: 'Burst', bit: 3, durationShift: 13 },
] as const;

/** Duration codes in hours, [from, to]: 0 none, 1 1–8 h, 2 9–24 h, 3 2–3 d, 4 4–7 d, 5 8–14 d, 6 15–21 d, 7 22–31 d. */
const DURATION_HOURS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1, 8],
  [9, 24],
  [48, 72],
  [96, 168],
  [192, 336],
  [360, 504],
  [528, 744],
];

function infoCodes(records: readonly DataRecord[]): number | null {
  const r = records.find(
    (x) =>
      x.quantity === 'manufacturerSpecific' &&
      x.storage === 0 &&
      x.raw.length >= 5 &&
      x.raw[1] === 0xff &&
      x.raw[2] === 0x20,
  );
  return r && typeof r.value === 'number' ? r.value : null;
}

export function kamstrupWaterAlarms(info: number): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = { infoCodes: { value: info, unit: '' } };
  for (const alarm of ALARMS) {
    const [from, to] = DURATION_HOURS[(info >> alarm.durationShift) & 7]!;
    out[`alarm${alarm.name}`] = { value: (info & (1 << alarm.bit)) !== 0, unit: '' };
    out[`alarm${alarm.name}HoursFrom`] = { value: from, unit: 'h' };
    out[`alarm${alarm.name}HoursTo`] = { value: to, unit: 'h' };
  }
  return out;
}

const WATER_TYPES = new Set([0x06, 0x07, 0x15, 0x16]);

export const kamstrupWater: Driver = {
  name: 'kamstrup-water',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'KAM' &&
    WATER_TYPES.has(meter.deviceType) &&
    (ci === 0x78 || ci === 0x79),
  decode: (input) => {
    const values = genericWaterMeter.decode(input);
    const info = infoCodes(input.records);
    return info === null ? values : { ...values, ...kamstrupWaterAlarms(info) };
  },
};

export const drivers: readonly Driver[] = [kamstrupWater];
