/**
 * Maddalena (MAD) meters whose monthly history is sent as plain values by storage number,
 * without a date for each month: the dates follow from a date the meter does send.
 *
 * - EVO 868 water meters (version 0x50): storage 1 holds the annual set day (date and
 *   volume), storage 2 the last month end, storage 3 the maximum flow and its time. From
 *   storage 8 on comes the history: a storage-interval record (VIF 0xFD28, months) and a
 *   date at storage 8, then a volume per storage 8, 9, 10 … Storage 8 + k − 1 is history
 *   entry k, dated k − 1 intervals before the date at storage 8 (a month end stays one).
 * - Microclima heat meters (version 0x00, device type heat): the date and energy of the set
 *   day at storage 1, then energies at further storages (the corpus shows the odd ones,
 *   3 … 31). The meter counts its storages in months back from the set day: storage n was
 *   stored n − 1 months before the date at storage 1. The telegram carries no interval
 *   record, so this is the manufacturer's convention (the EVO 868 of the same maker declares
 *   one month per storage in its own history).
 */
import { genericHeatMeter, genericWaterMeter } from '../../generic/generic-drivers.js';
import { findRecord, plainRecordsFrom } from '../../record-names.js';
import type { DataRecord, Driver, DriverInput, NamedValue } from '../../../types.js';
import { addMonths } from '../../support/dates.js';
import { named } from '../../support/named.js';

const HISTORY_STORAGE = 8;

/** Months between history entries: the storage-interval record at the history's first storage. */
function intervalMonths(records: readonly DataRecord[]): number | null {
  const r = findRecord(records, { quantity: 'storageInterval', storage: HISTORY_STORAGE });
  if (!r || r.unit !== 'month' || typeof r.value !== 'number') return null;
  return Number.isInteger(r.value) && r.value > 0 && r.value <= 12 ? r.value : null;
}

function evo868History(input: DriverInput): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  const { records } = input;
  const reference =
    findRecord(records, { quantity: 'date', storage: HISTORY_STORAGE })?.value ?? null;
  const step = intervalMonths(records);
  if (reference !== null) out.historyReferenceDate = named(reference);
  for (const r of plainRecordsFrom(records, 'volume', HISTORY_STORAGE)) {
    const k = r.storage - HISTORY_STORAGE + 1;
    out[`historyVolume${k}`] = named(r.value, r.unit);
    out[`historyDate${k}`] = named(step === null ? null : addMonths(reference, -(k - 1) * step));
  }
  const setDay2 = findRecord(records, { quantity: 'date', storage: 2 });
  const atSetDay2 = findRecord(records, { quantity: 'volume', storage: 2 });
  if (setDay2) out.targetDate2 = named(setDay2.value);
  if (atSetDay2) out.targetVolume2 = named(atSetDay2.value, atSetDay2.unit);
  const maxFlow = findRecord(records, { quantity: 'volumeFlow', storage: 3, function: 'maximum' });
  const maxFlowAt = findRecord(records, { quantity: 'dateTime', storage: 3 });
  if (maxFlow) out.maxVolumeFlowSinceSetDate = named(maxFlow.value, maxFlow.unit);
  if (maxFlowAt) out.maxVolumeFlowDateTime = named(maxFlowAt.value);
  return out;
}

export const maddalenaEvo868: Driver = {
  name: 'maddalena-evo868',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'MAD' &&
    meter.version === 0x50 &&
    [0x06, 0x07, 0x15, 0x16].includes(meter.deviceType) &&
    ci === 0x7a,
  decode: (input) => ({ ...genericWaterMeter.decode(input), ...evo868History(input) }),
};

function microclimaHistory(input: DriverInput): Record<string, NamedValue> {
  const out: Record<string, NamedValue> = {};
  // The set day itself is the generic heat meter's targetDate / targetEnergy (storage 1).
  const setDate = findRecord(input.records, { quantity: 'date', storage: 1 })?.value ?? null;
  plainRecordsFrom(input.records, 'energy', 1).forEach((r, i) => {
    out[`historyEnergy${i + 1}`] = named(r.value, r.unit);
    out[`historyDate${i + 1}`] = named(addMonths(setDate, -(r.storage - 1)));
  });
  return out;
}

export const maddalenaMicroclima: Driver = {
  name: 'maddalena-microclima',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'MAD' &&
    meter.version === 0x00 &&
    meter.deviceType === 0x04 &&
    ci === 0x7a,
  decode: (input) => ({ ...genericHeatMeter.decode(input), ...microclimaHistory(input) }),
};
