/**
 * Qundis Q water 5.5 (and the Q water radio converter): cold and warm water meters, QDS.
 *
 * Two telegrams alternate:
 * - standard records (CI 0x7A/0x72): total volume; storage 1 the value and date of the
 *   annual due date; storage 17 those of the last month end; an error date; and a record
 *   `02 BB 56` that EN 13757-3 reads as "duration of the last lower limit exceed" (hours)
 *   but the meter uses for its volume flow in the resolution of VIF 0x3B (l/h);
 * - a walk-by telegram (CI 0x78) with one record `0D FF 5F` whose 53 bytes of data
 *   (LVAR 0x35) hold: 12 bytes of meter state, the total volume (BCD, litres), the annual
 *   due date (type G) and its volume, the last month end and its volume, then 12 monthly
 *   volume deltas (signed 16 bit, litres; 0x8000 = no value), newest last.
 */
import { genericWaterMeter } from '../../generic/generic-drivers.js';
import { findRecord } from '../../record-names.js';
import type { DataRecord, Driver, DriverInput, MeterAddress, NamedValue } from '../../../types.js';
import { bcdAt, intAt, milli } from '../../support/bytes.js';
import { dateAt } from '../../support/dates.js';
import { named } from '../../support/named.js';
import { headerLength } from '../../support/record-header.js';

/** Water (7), warm water (6), and the radio converter (meter side, 0x37) that carries a Q water. */
const DEVICE_TYPES = new Set([0x06, 0x07, 0x37]);
const RECORD_CIS = new Set([0x72, 0x78, 0x7a]);

export function isQwater(meter: MeterAddress, ci: number): boolean {
  return meter.manufacturer === 'QDS' && DEVICE_TYPES.has(meter.deviceType) && RECORD_CIS.has(ci);
}

/** The LVAR of the walk-by record: 0x35 = 53 bytes of text-coded (i.e. raw) data. */
const WALK_BY_LENGTH = 0x35;
const DELTAS = 12;
const NO_DELTA = -0x8000;

function walkByRecord(records: readonly DataRecord[]): Uint8Array | null {
  for (const r of records) {
    if (r.raw.length < 3 || r.raw[0] !== 0x0d || r.raw[1] !== 0xff || r.raw[2] !== 0x5f) continue;
    const data = r.raw.subarray(headerLength(r.raw));
    if (data[0] === WALK_BY_LENGTH && data.length === WALK_BY_LENGTH + 1) return data.subarray(1);
  }
  return null;
}

function walkByValues(data: Uint8Array): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {
    totalVolume: named(bcdAt(data, 12, 4, 1e-3), 'm3'),
    targetDate: named(dateAt(data, 16)),
    targetVolume: named(bcdAt(data, 18, 4, 1e-3), 'm3'),
    lastMonthDate: named(dateAt(data, 22)),
    lastMonthVolume: named(bcdAt(data, 24, 4, 1e-3), 'm3'),
  };
  // Newest last in the telegram; volumeDeltaMonth1 is the newest.
  for (let k = 1; k <= DELTAS; k++) {
    const raw = intAt(data, 28 + 2 * (DELTAS - k), 2);
    out[`volumeDeltaMonth${k}`] = named(raw === null || raw === NO_DELTA ? null : milli(raw), 'm3');
  }
  return out;
}

/** `xx BB 56`: the meter's volume flow in l/h (VIF 0x3B resolution) behind VIFE 0x56. */
function volumeFlow(records: readonly DataRecord[]): NamedValue | undefined {
  for (const r of records) {
    const raw = r.raw;
    if (raw.length < 4 || (raw[0]! & 0x80) !== 0 || raw[1] !== 0xbb || raw[2] !== 0x56) continue;
    const length = raw.length - 3;
    if (![1, 2, 3, 4].includes(length) || (raw[0]! & 0x0f) !== length) continue;
    const v = intAt(raw, 3, length);
    return named(v === null ? null : milli(v), 'm3/h');
  }
  return undefined;
}

function recordValues(records: readonly DataRecord[]): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  const pick = (name: string, quantity: string, storage: number) => {
    const r = findRecord(records, { quantity, storage });
    if (r) out[name] = named(r.value, r.unit);
  };
  pick('lastMonthVolume', 'volume', 17);
  pick('lastMonthDate', 'date', 17);
  const error = findRecord(records, { quantity: 'date', function: 'error' });
  if (error) out.errorDate = named(error.value);
  const flow = volumeFlow(records);
  if (flow) out.volumeFlow = flow;
  return out;
}

export const qundisQwater: Driver = {
  name: 'qundis-qwater',
  priority: 30,
  matches: isQwater,
  decode(input: DriverInput): Record<string, NamedValue> {
    const base = genericWaterMeter.decode(input);
    const walkBy = walkByRecord(input.records);
    return {
      ...base,
      ...recordValues(input.records),
      ...(walkBy ? walkByValues(walkBy) : {}),
    };
  },
};
