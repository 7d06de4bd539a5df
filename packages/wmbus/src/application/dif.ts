import type { RecordFunction } from '../types.js';
import { invalidRecord, truncated } from './record-errors.js';

/** DIFs with data field 0xF that are not records but markers in the record stream. */
export const DIF_MANUFACTURER_DATA = 0x0f;
export const DIF_MORE_RECORDS_FOLLOW = 0x1f;
export const DIF_IDLE_FILLER = 0x2f;
export const DIF_GLOBAL_READOUT = 0x7f;

/** Data field (low nibble of the DIF) that announces a length byte (LVAR) before the data. */
export const CODING_VARIABLE = 0x0d;
export const CODING_SPECIAL = 0x0f;

/** EN 13757-3 allows at most 10 DIFEs; more means the bytes are not a record. */
export const MAX_DIFES = 10;

/**
 * Bytes of data for each data field coding: integers 1/2/3/4/6/8 bytes, real 4, BCD 1/2/3/4/6;
 * 0 for "no data" and "selection for readout"; -1 for variable length (LVAR); -2 special.
 */
export const DATA_LENGTHS: readonly number[] = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -2];

const FUNCTIONS: readonly RecordFunction[] = ['instantaneous', 'maximum', 'minimum', 'error'];

export interface DataInformation {
  /** Data field of the DIF: how the data is coded (see DATA_LENGTHS). */
  coding: number;
  function: RecordFunction;
  storage: number;
  tariff: number;
  subunit: number;
  /** Offset just after the last DIFE, where the VIF starts. */
  end: number;
}

/**
 * Reads a DIF and its DIFEs. The special DIFs (data field 0xF) are markers, not records:
 * the caller handles them before it gets here.
 */
export function readDataInformation(
  bytes: Uint8Array,
  offset: number,
  limit = bytes.length,
): DataInformation {
  if (offset >= limit) throw truncated('the DIF', offset);
  const dif = bytes[offset]!;
  const coding = dif & 0x0f;
  if (coding === CODING_SPECIAL) {
    throw invalidRecord(`DIF 0x${hex2(dif)} is a special function, not a record`, offset);
  }
  let storage = (dif >> 6) & 1;
  let tariff = 0;
  let subunit = 0;
  let i = offset + 1;
  let more = dif & 0x80;
  // Storage, tariff and subunit grow by 4, 2 and 1 bits per DIFE; 41 bits of storage still fit
  // a double exactly, so the weights are multiplied, not shifted (shifts wrap at 32 bits).
  let storageWeight = 2;
  let tariffWeight = 1;
  let subunitWeight = 1;
  for (let n = 0; more !== 0; n++) {
    if (n === MAX_DIFES) throw invalidRecord(`more than ${MAX_DIFES} DIFEs`, offset);
    if (i >= limit) throw truncated('the DIFE chain', offset);
    const dife = bytes[i++]!;
    storage += (dife & 0x0f) * storageWeight;
    tariff += ((dife >> 4) & 0x03) * tariffWeight;
    subunit += ((dife >> 6) & 0x01) * subunitWeight;
    storageWeight *= 16;
    tariffWeight *= 4;
    subunitWeight *= 2;
    more = dife & 0x80;
  }
  return { coding, function: FUNCTIONS[(dif >> 4) & 0x03]!, storage, tariff, subunit, end: i };
}

function hex2(byte: number): string {
  return (byte < 16 ? '0' : '') + byte.toString(16).toUpperCase();
}
