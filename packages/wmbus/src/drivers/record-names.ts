import type { DataRecord, NamedValue } from '../types.js';

/**
 * A stable name for any record: its quantity, then what sets it apart from
 * the plain current value (function, storage, tariff, subunit, modifiers).
 * e.g. `volume`, `volumeStorage1`, `energyTariff2`, `volumeFlowMaximum`.
 */
export function recordName(r: DataRecord): string {
  if (
    r.function === 'instantaneous' &&
    r.storage === 0 &&
    r.tariff === 0 &&
    r.subunit === 0 &&
    r.modifiers.length === 0
  ) {
    return r.quantity;
  }
  let name = r.quantity;
  if (r.function !== 'instantaneous') name += r.function[0]!.toUpperCase() + r.function.slice(1);
  if (r.storage !== 0) name += `Storage${r.storage}`;
  if (r.tariff !== 0) name += `Tariff${r.tariff}`;
  if (r.subunit !== 0) name += `Subunit${r.subunit}`;
  for (const m of r.modifiers) name += m[0]!.toUpperCase() + m.slice(1);
  return name;
}

/**
 * Every record under its recordName, added to `out` (a new object by default);
 * a later duplicate gets a #2, #3 suffix.
 */
export function nameAllRecords(
  records: readonly DataRecord[],
  out: Record<string, NamedValue> = {},
): Record<string, NamedValue> {
  for (const r of records) {
    const base = recordName(r);
    let name = base;
    for (let n = 2; name in out; n++) name = `${base}#${n}`;
    out[name] = { value: r.value, unit: r.unit };
  }
  return out;
}

export interface RecordQuery {
  quantity: string;
  storage?: number;
  tariff?: number;
  subunit?: number;
  function?: DataRecord['function'];
}

/** The first record that fits; storage, tariff and subunit default to 0, function to instantaneous. */
export function findRecord(records: readonly DataRecord[], q: RecordQuery): DataRecord | undefined {
  return records.find(
    (r) =>
      r.quantity === q.quantity &&
      r.storage === (q.storage ?? 0) &&
      r.tariff === (q.tariff ?? 0) &&
      r.subunit === (q.subunit ?? 0) &&
      r.function === (q.function ?? 'instantaneous') &&
      r.modifiers.length === 0,
  );
}

/**
 * The plain records (as findRecord: tariff 0, subunit 0, instantaneous, no modifiers) of a
 * quantity in storages ≥ `from`, by ascending storage number, the first of each storage:
 * a meter's history sent as one value per storage.
 */
export function plainRecordsFrom(
  records: readonly DataRecord[],
  quantity: string,
  from: number,
): DataRecord[] {
  const byStorage = new Map<number, DataRecord>();
  for (const r of records) {
    if (r.storage < from || byStorage.has(r.storage)) continue;
    if (findRecord([r], { quantity, storage: r.storage })) byStorage.set(r.storage, r);
  }
  return [...byStorage.values()].sort((a, b) => a.storage - b.storage);
}
