/**
 * Heat cost allocators whose monthly history comes as a compact profile (EN 13757-3
 * Annex F) behind a base value and date at storage 8.
 *
 * - Zenner Caltos (ZRI, version 0xFC): an inverse compact profile (VIFE 0x13) of absolute
 *   readings, spacing one month, newest first; element k is the reading k months before
 *   the base date.
 * - Techem FHKV data IV (TCH, version 0x94): a compact profile (VIFE 0x1F) of monthly
 *   increments, spacing one month; the meter sends the newest first, so element k counts
 *   the month ending n − k + 1 month ends after the base date (n elements; the newest ends
 *   on the annual set date).
 *
 * Named as every heat cost allocator's history: `historyConsumption{k}` with `historyDate{k}`,
 * k = 1 the newest; the base as `historyBaseConsumption` and `historyBaseDate`. Storage 8 holds
 * that base, not a month, so the generic driver's history by storage number is left out.
 */
import { genericHeatCostAllocator, isHcaHistoryName } from '../../generic/generic-drivers.js';
import type { DataRecord, Driver, DriverInput, NamedValue } from '../../../types.js';
import { readCompactProfile } from '../../support/compact-profile.js';
import { addMonths } from '../../support/dates.js';
import { named } from '../../support/named.js';

const BASE_STORAGE = 8;

function base(records: readonly DataRecord[], quantity: string): DataRecord | undefined {
  return records.find(
    (r) =>
      r.quantity === quantity &&
      r.storage === BASE_STORAGE &&
      r.tariff === 0 &&
      r.subunit === 0 &&
      r.modifiers.length === 0,
  );
}

function profileRecord(records: readonly DataRecord[], modifier: string): DataRecord | undefined {
  return records.find(
    (r) => r.quantity === 'hcaUnits' && r.modifiers.length === 1 && r.modifiers[0] === modifier,
  );
}

type DateOf = (baseDate: string, k: number, count: number) => string | null;

function history(input: DriverInput, modifier: string, dateOf: DateOf): Record<string, NamedValue> {
  const baseDate = base(input.records, 'date')?.value;
  const profile = readCompactProfile(profileRecord(input.records, modifier)?.value ?? null);
  if (!profile?.monthly) return {};
  const out: Record<string, NamedValue> = {};
  const n = profile.values.length;
  profile.values.forEach((value, i) => {
    const k = i + 1;
    out[`historyConsumption${k}`] = named(value, 'HCA');
    out[`historyDate${k}`] = named(typeof baseDate === 'string' ? dateOf(baseDate, k, n) : null);
  });
  return out;
}

function withBase(input: DriverInput): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  for (const [name, v] of Object.entries(genericHeatCostAllocator.decode(input))) {
    if (!isHcaHistoryName(name)) out[name] = v;
  }
  const value = base(input.records, 'hcaUnits');
  const date = base(input.records, 'date');
  if (value) out.historyBaseConsumption = named(value.value, value.unit);
  if (date) out.historyBaseDate = named(date.value);
  return out;
}

export const zennerCaltos: Driver = {
  name: 'zenner-caltos',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'ZRI' &&
    meter.deviceType === 0x08 &&
    meter.version === 0xfc &&
    ci === 0x7a,
  decode: (input) => ({
    ...withBase(input),
    ...history(input, 'inverseCompactProfile', (d, k) => addMonths(d, -k)),
  }),
};

export const techemFhkvDataIv: Driver = {
  name: 'techem-fhkv-data-iv',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'TCH' &&
    meter.deviceType === 0x08 &&
    meter.version === 0x94 &&
    ci === 0x7a,
  decode: (input) => ({
    ...withBase(input),
    ...history(input, 'compactProfile', (d, k, n) => addMonths(d, n - k + 1)),
  }),
};
