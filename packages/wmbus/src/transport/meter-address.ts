import { decodeManufacturer } from '../manufacturer.js';
import type { MeterAddress } from '../types.js';

const HEX = '0123456789ABCDEF';

/** The identification number as printed: 4 bytes sent least significant first, shown as 8 hex (BCD) digits. */
export function readIdentification(bytes: Uint8Array, offset: number): string {
  let id = '';
  for (let i = offset + 3; i >= offset; i--) {
    const b = bytes[i]!;
    id += HEX[b >> 4]! + HEX[b & 0x0f]!;
  }
  return id;
}

/** M(2) ID(4) Ver Type as in the link layer: `offset` points at M. */
export function readLinkAddress(bytes: Uint8Array, offset: number): MeterAddress {
  return {
    manufacturer: decodeManufacturer(bytes[offset]! | (bytes[offset + 1]! << 8)),
    id: readIdentification(bytes, offset + 2),
    version: bytes[offset + 6]!,
    deviceType: bytes[offset + 7]!,
  };
}

/** ID(4) M(2) Ver Type as in the TPL long header: `offset` points at ID. */
export function readLongHeaderAddress(bytes: Uint8Array, offset: number): MeterAddress {
  return {
    manufacturer: decodeManufacturer(bytes[offset + 4]! | (bytes[offset + 5]! << 8)),
    id: readIdentification(bytes, offset),
    version: bytes[offset + 6]!,
    deviceType: bytes[offset + 7]!,
  };
}
