/**
 * Zenner (ZRI) water meters of version 0x99 (the corpus's "uiws"): the monthly history is an
 * inverse compact profile (EN 13757-3 Annex F, VIFE 0x13) at storage 30, behind a base date
 * and base volume at the same storage. The profile holds absolute volumes, spaced one month
 * (spacing unit days, spacing value 0xFE), newest first: element k is the volume k months
 * before the base date. The meter marks missing months (and an empty set-day volume at
 * storage 1) with 0x80000000.
 */
import { genericWaterMeter } from '../../generic/generic-drivers.js';
import { findRecord } from '../../record-names.js';
import type { DataRecord, Driver, DriverInput, NamedValue } from '../../../types.js';
import { readCompactProfile } from '../../support/compact-profile.js';
import { addMonths } from '../../support/dates.js';
import { named } from '../../support/named.js';

const PROFILE_STORAGE = 30;
/** 0x80000000 read as a signed 32-bit volume in litres. */
const NO_VALUE_LITRES = -2147483648;

function profileRecord(records: readonly DataRecord[]): DataRecord | undefined {
  return records.find(
    (r) =>
      r.quantity === 'volume' &&
      r.storage === PROFILE_STORAGE &&
      r.modifiers.length === 1 &&
      r.modifiers[0] === 'inverseCompactProfile',
  );
}

function isNoValue(r: DataRecord): boolean {
  return (
    r.unit === 'm3' && typeof r.value === 'number' && Math.round(r.value * 1000) === NO_VALUE_LITRES
  );
}

function uiwsValues(input: DriverInput): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  const { records } = input;
  const setDayVolume = findRecord(records, { quantity: 'volume', storage: 1 });
  if (setDayVolume && isNoValue(setDayVolume)) out.targetVolume = named(null, 'm3');
  const baseDate =
    findRecord(records, { quantity: 'date', storage: PROFILE_STORAGE })?.value ?? null;
  const baseVolume = findRecord(records, { quantity: 'volume', storage: PROFILE_STORAGE });
  if (baseDate !== null) out.historyBaseDate = named(baseDate);
  if (baseVolume) out.historyBaseVolume = named(baseVolume.value, baseVolume.unit);
  const profile = readCompactProfile(profileRecord(records));
  if (profile?.monthly && profile.mode === 0) {
    profile.values.forEach((value, i) => {
      out[`historyVolume${i + 1}`] = named(value, 'm3');
      out[`historyDate${i + 1}`] = named(addMonths(baseDate, -(i + 1)));
    });
  }
  return out;
}

export const zennerUiws: Driver = {
  name: 'zenner-uiws',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'ZRI' &&
    meter.version === 0x99 &&
    (meter.deviceType === 0x06 || meter.deviceType === 0x07 || meter.deviceType === 0x16) &&
    ci === 0x7a,
  decode: (input) => ({ ...genericWaterMeter.decode(input), ...uiwsValues(input) }),
};
