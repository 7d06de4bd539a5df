import { bytesToHex } from './hex.js';
import { decodeManufacturer } from './manufacturer.js';
import { WmbusError } from './wmbus-error.js';

/** The first block of a wireless M-Bus frame (EN 13757-4): L C M A. */
export interface LinkHeader {
  /** L field: bytes after it, not counting CRCs. */
  length: number;
  /** C field: function of the frame (0x44 SND-NR, 0x46 SND-IR, …). */
  control: number;
  manufacturer: string;
  /** Identification number as printed on the meter: 8 digits (BCD, sent least significant byte first). */
  id: string;
  version: number;
  /** Device type (EN 13757-3 table: 0x04 heat, 0x07 water, 0x08 heat cost allocator, …). */
  deviceType: number;
}

export const LINK_HEADER_LENGTH = 10;

/** Reads L, C, M and A from a frame whose CRCs are already removed (or from the first block of one). */
export function parseLinkHeader(frame: Uint8Array): LinkHeader {
  if (frame.length < LINK_HEADER_LENGTH) {
    throw new WmbusError(
      'FRAME_TOO_SHORT',
      `a frame has at least ${LINK_HEADER_LENGTH} bytes, got ${frame.length}`,
    );
  }
  return {
    length: frame[0]!,
    control: frame[1]!,
    manufacturer: decodeManufacturer(frame[2]! | (frame[3]! << 8)),
    id: bytesToHex(frame.subarray(4, 8).slice().reverse()),
    version: frame[8]!,
    deviceType: frame[9]!,
  };
}
