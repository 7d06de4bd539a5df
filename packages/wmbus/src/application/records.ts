import type { DataRecord } from '../types.js';
import { isWmbusError } from '../wmbus-error.js';
import {
  CODING_SPECIAL,
  DIF_GLOBAL_READOUT,
  DIF_IDLE_FILLER,
  DIF_MANUFACTURER_DATA,
  DIF_MORE_RECORDS_FOLLOW,
  readDataInformation,
  type DataInformation,
} from './dif.js';
import { buildRecord, dataEnd } from './record-value.js';
import { readValueInformation, type ValueInformation } from './vif.js';

export interface ParsedRecords {
  records: DataRecord[];
  /** The bytes after a DIF 0x0F or 0x1F (manufacturer-specific data), or null. */
  manufacturerData: Uint8Array | null;
  /** DIF 0x1F: the meter continues its records in the next telegram. */
  moreRecordsFollow: boolean;
  /** With `truncated: 'stop'`: offset of the incomplete last record, else null. */
  truncatedAt: number | null;
}

export interface ParseRecordsOptions {
  /**
   * What a record that runs past the end does: 'throw' (the default) throws FRAME_TOO_SHORT;
   * 'stop' returns the records before it and its offset in `truncatedAt`. Some receivers
   * leave a CRC or a stray byte after the last record, and its garbage then looks like
   * the start of a record that never ends.
   */
  truncated?: 'throw' | 'stop';
}

/**
 * Decodes the data records of a plaintext application payload (EN 13757-3), the bytes after
 * the transport header. Idle fillers (0x2F) are skipped wherever they stand; a DIF 0x0F or
 * 0x1F ends the records and the rest is manufacturer data (so does a reserved special DIF,
 * which is then the first byte of manufacturerData).
 *
 * Throws WmbusError, and nothing else: FRAME_TOO_SHORT when a record runs past the end,
 * INVALID_RECORD when its DIF/VIF chain or LVAR is not one EN 13757-3 defines.
 *
 * @example
 * const { records } = parseRecords(hexToBytes('2F2F0413F4010000'));
 * // records[0]: { quantity: 'volume', unit: 'm3', kind: 'number', value: 0.5, storage: 0, … }
 */
export function parseRecords(
  payload: Uint8Array,
  options: ParseRecordsOptions = {},
): ParsedRecords {
  const records: DataRecord[] = [];
  const limit = payload.length;
  let manufacturerData: Uint8Array | null = null;
  let moreRecordsFollow = false;
  let truncatedAt: number | null = null;
  let i = 0;
  while (i < limit) {
    const dif = payload[i]!;
    if ((dif & 0x0f) === CODING_SPECIAL) {
      if (dif === DIF_IDLE_FILLER || dif === DIF_GLOBAL_READOUT) {
        // A readout request has no place in a meter's answer; like a filler it carries nothing.
        i++;
        continue;
      }
      // A reserved special function (0x3F…0x6F, or with the extension bit) leaves the rest
      // undefined: the records end there, and the rest is handed on as it came (meters do
      // send such tails, e.g. 0xFFFF padding after the last record).
      const known = dif === DIF_MANUFACTURER_DATA || dif === DIF_MORE_RECORDS_FOLLOW;
      manufacturerData = payload.slice(known ? i + 1 : i);
      moreRecordsFollow = dif === DIF_MORE_RECORDS_FOLLOW;
      break;
    }
    let di: DataInformation;
    let vi: ValueInformation;
    let end: number;
    try {
      di = readDataInformation(payload, i, limit);
      vi = readValueInformation(payload, di.end, limit);
      end = dataEnd(di.coding, payload, vi.end, limit, i);
    } catch (err) {
      if (options.truncated !== 'stop' || !isTruncation(err)) throw err;
      truncatedAt = i;
      break;
    }
    records.push(buildRecord(di, vi, payload, vi.end, end, payload.slice(i, end), i));
    i = end;
  }
  return { records, manufacturerData, moreRecordsFollow, truncatedAt };
}

function isTruncation(err: unknown): boolean {
  return isWmbusError(err) && err.code === 'FRAME_TOO_SHORT';
}

// Compact frames are records too; callers find them here, the code lives in compact-frame.ts.
export { expandCompactFrame, parseCompactRecords, recordFormat } from './compact-frame.js';
