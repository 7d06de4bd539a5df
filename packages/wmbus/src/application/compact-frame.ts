import type { DataRecord } from '../types.js';
import { WmbusError } from '../wmbus-error.js';
import {
  CODING_SPECIAL,
  DIF_GLOBAL_READOUT,
  DIF_IDLE_FILLER,
  readDataInformation,
  type DataInformation,
} from './dif.js';
import { invalidRecord } from './record-errors.js';
import { buildRecord, dataEnd } from './record-value.js';
import { readValueInformation, type ValueInformation } from './vif.js';

/*
 * Kamstrup compact frames (CI 0x79) send only the data of their records. The DIF/VIF chain
 * ("format") comes from an earlier full frame (CI 0x78) of the same meter: its
 * CRC-16/EN-13757 is the format signature, the first two bytes after CI 0x79
 * (little-endian). The next two bytes are the CRC of the full frame the compact one stands
 * for, i.e. of expandCompactFrame(format, data). Both were checked against the corpus.
 */

/**
 * The format of a full frame's payload: the DIF, DIFE, VIF and VIFE bytes of all its
 * records in order, without their data, fillers or manufacturer data.
 */
export function recordFormat(payload: Uint8Array): Uint8Array {
  const format = new Uint8Array(payload.length);
  let length = 0;
  let i = 0;
  while (i < payload.length) {
    const dif = payload[i]!;
    if ((dif & 0x0f) === CODING_SPECIAL) {
      if (dif === DIF_IDLE_FILLER || dif === DIF_GLOBAL_READOUT) {
        i++;
        continue;
      }
      break;
    }
    const di = readDataInformation(payload, i);
    const vi = readValueInformation(payload, di.end);
    format.set(payload.subarray(i, vi.end), length);
    length += vi.end - i;
    i = dataEnd(di.coding, payload, vi.end, payload.length, i);
  }
  return format.slice(0, length);
}

/** Walks a format over the data of a compact frame, handing each record to `visit`. */
function walk(
  format: Uint8Array,
  data: Uint8Array,
  visit: (di: DataInformation, vi: ValueInformation, headerStart: number, dataEnd: number) => void,
): void {
  let f = 0;
  let d = 0;
  while (f < format.length) {
    const dif = format[f]!;
    if ((dif & 0x0f) === CODING_SPECIAL) {
      if (dif === DIF_IDLE_FILLER) {
        f++;
        continue;
      }
      throw invalidRecord(`a format holds records only, not DIF 0x${dif.toString(16)}`, f);
    }
    const di = readDataInformation(format, f);
    const vi = readValueInformation(format, di.end);
    const end = dataEnd(di.coding, data, d, data.length, d);
    visit(di, vi, f, end);
    f = vi.end;
    d = end;
  }
  // An encrypted compact frame (CI 0x73, 0x7B) pads its data to the AES block with 2F fillers.
  while (d < data.length && data[d] === DIF_IDLE_FILLER) d++;
  if (d !== data.length) {
    throw new WmbusError(
      'LENGTH_MISMATCH',
      `the format describes ${d} bytes of data, the compact frame has ${data.length}`,
      d,
    );
  }
}

/**
 * The records of a compact frame: `format` from recordFormat() of the meter's full frame,
 * `data` the compact payload after its signature and CRC (the 4 bytes after CI 0x79).
 * Each record's `raw` is its header from the format followed by its data; `offset` is the
 * offset of its data in `data`.
 */
export function parseCompactRecords(format: Uint8Array, data: Uint8Array): DataRecord[] {
  const records: DataRecord[] = [];
  let d = 0;
  walk(format, data, (di, vi, headerStart, end) => {
    const raw = new Uint8Array(vi.end - headerStart + end - d);
    raw.set(format.subarray(headerStart, vi.end));
    raw.set(data.subarray(d, end), vi.end - headerStart);
    records.push(buildRecord(di, vi, data, d, end, raw, d));
    d = end;
  });
  return records;
}

/** The full-frame payload a compact frame stands for: each record's header, then its data. */
export function expandCompactFrame(format: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(format.length + data.length);
  let o = 0;
  let d = 0;
  walk(format, data, (_di, vi, headerStart, end) => {
    out.set(format.subarray(headerStart, vi.end), o);
    o += vi.end - headerStart;
    out.set(data.subarray(d, end), o);
    o += end - d;
    d = end;
  });
  return out.subarray(0, o);
}
