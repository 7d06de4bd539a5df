/**
 * Readers for the bytes of manufacturer layouts. Two kinds, for two kinds of caller: the
 * `u8`…`u32le` family throws FRAME_TOO_SHORT past the end (proprietary payloads, where a
 * short frame is an error), the `…At` family gives null (manufacturer data behind records,
 * where a short block is a value the meter did not send).
 */
import { readBcd, readSigned, readUnsigned } from '../../application/data-field.js';
import { WmbusError } from '../../wmbus-error.js';

/** Throws FRAME_TOO_SHORT unless `bytes` holds at least `length` bytes. */
export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length < length) {
    throw new WmbusError(
      'FRAME_TOO_SHORT',
      `${what} needs ${length} bytes after the CI field, got ${bytes.length}`,
    );
  }
}

export function u8(b: Uint8Array, offset: number): number {
  const v = b[offset];
  if (v === undefined) {
    throw new WmbusError('FRAME_TOO_SHORT', `no byte at offset ${offset}`, offset);
  }
  return v;
}

export function u16le(b: Uint8Array, offset: number): number {
  return u8(b, offset) | (u8(b, offset + 1) << 8);
}

export function u24le(b: Uint8Array, offset: number): number {
  return u16le(b, offset) | (u8(b, offset + 2) << 16);
}

export function u32le(b: Uint8Array, offset: number): number {
  return (u24le(b, offset) | (u8(b, offset + 3) << 24)) >>> 0;
}

/** Unsigned little-endian integer of `length` bytes at `offset`, or null past the end. */
export function uintAt(bytes: Uint8Array, offset: number, length: number): number | null {
  return offset + length > bytes.length ? null : readUnsigned(bytes, offset, length);
}

/** Signed (two's complement) little-endian integer at `offset`, or null past the end. */
export function intAt(bytes: Uint8Array, offset: number, length: number): number | null {
  return offset + length > bytes.length ? null : readSigned(bytes, offset, length);
}

/** BCD of `length` bytes at `offset`, scaled; null for the meter's "no value" (non-decimal digits). */
export function bcdAt(
  bytes: Uint8Array,
  offset: number,
  length: number,
  scale: number,
): number | null {
  if (offset + length > bytes.length) return null;
  const v = readBcd(bytes, offset, length);
  return Number.isNaN(v) ? null : v * scale;
}

/** Milli-units to units without binary noise: 1234 → 1.234. */
export function milli(raw: number): number {
  return raw / 1000;
}
