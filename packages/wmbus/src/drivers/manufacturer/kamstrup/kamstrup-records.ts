import type { DataRecord } from '../../../types.js';
import { findRecord } from '../../record-names.js';
import { recordHeader } from '../../support/record-header.js';

/** Record CIs: long (0x72) and short (0x7A) TPL header, none (0x78), compact (0x79). */
export const KAMSTRUP_RECORD_CIS: ReadonlySet<number> = new Set([0x72, 0x78, 0x79, 0x7a]);

export const KAMSTRUP = 'KAM';

export interface MsQuery {
  /** The manufacturer-specific VIF/VIFE bytes as hex, e.g. 'FF07'. */
  vifText: string;
  /** The primary VIF's quantity the Kamstrup VIFE hangs on; 'manufacturerSpecific' for VIF 0xFF. */
  quantity?: string;
  storage?: number;
}

/** The first current (tariff 0, subunit 0, instantaneous) record with Kamstrup's code `vifText`. */
export function findManufacturerRecord(
  records: readonly DataRecord[],
  q: MsQuery,
): DataRecord | undefined {
  const quantity = q.quantity ?? 'manufacturerSpecific';
  return records.find(
    (r) =>
      r.vifText === q.vifText &&
      r.quantity === quantity &&
      r.storage === (q.storage ?? 0) &&
      r.tariff === 0 &&
      r.subunit === 0 &&
      r.function === 'instantaneous',
  );
}

/**
 * The decimal exponent of a volume record's resolution (-3 for 0.001 m³), from its primary VIF
 * 0x10–0x17 (EN 13757-3: volume 10^(n-6) m³); undefined for any other coding.
 */
export function volumeExponent(r: DataRecord): number | undefined {
  if (r.quantity !== 'volume') return undefined;
  const vif = r.raw[recordHeader(r.raw).vif];
  if (vif === undefined || (vif & 0x78) !== 0x10) return undefined;
  return (vif & 0x07) - 6;
}

/** The current volume V1: storage 0, tariff 0, subunit 0, instantaneous, no modifiers. */
export function currentVolume(records: readonly DataRecord[]): DataRecord | undefined {
  return findRecord(records, { quantity: 'volume' });
}
