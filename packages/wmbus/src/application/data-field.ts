/**
 * The number codings of a record's data (EN 13757-3 Annex A), little-endian as sent:
 * type B integers (two's complement), type C/D unsigned integers, type A BCD and
 * type H 32-bit reals.
 */

const TWO_32 = 0x1_0000_0000;

/** Unsigned little-endian integer of 1–8 bytes; exact up to 6 bytes, rounded beyond 2^53. */
export function readUnsigned(bytes: Uint8Array, offset: number, length: number): number {
  if (length > 4) {
    return readUnsigned(bytes, offset, 4) + readUnsigned(bytes, offset + 4, length - 4) * TWO_32;
  }
  let value = 0;
  for (let i = length - 1; i >= 0; i--) value = value * 256 + bytes[offset + i]!;
  return value;
}

/** Signed (two's complement) little-endian integer of 1–8 bytes. */
export function readSigned(bytes: Uint8Array, offset: number, length: number): number {
  if (length > 4) {
    // Sign from the high part: 2^64 − 1 − 2^64 would round to 0 in doubles.
    return readUnsigned(bytes, offset, 4) + readSigned(bytes, offset + 4, length - 4) * TWO_32;
  }
  const value = readUnsigned(bytes, offset, length);
  return (bytes[offset + length - 1]! & 0x80) === 0 ? value : value - 2 ** (8 * length);
}

/**
 * BCD of `length` bytes, least significant byte first. A nibble F in the most significant
 * digit makes the rest negative; any other nibble above 9 makes the value undefined (NaN),
 * which is how meters flag errors in BCD registers.
 */
export function readBcd(bytes: Uint8Array, offset: number, length: number): number {
  let value = 0;
  let sign = 1;
  for (let i = length - 1; i >= 0; i--) {
    const byte = bytes[offset + i]!;
    let high = byte >> 4;
    if (i === length - 1 && high === 0x0f) {
      sign = -1;
      high = 0;
    }
    const low = byte & 0x0f;
    if (high > 9 || low > 9) return Number.NaN;
    value = value * 100 + high * 10 + low;
  }
  return sign * value;
}

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE 754 single precision, little-endian. */
export function readReal32(bytes: Uint8Array, offset: number): number {
  scratch.setUint8(0, bytes[offset]!);
  scratch.setUint8(1, bytes[offset + 1]!);
  scratch.setUint8(2, bytes[offset + 2]!);
  scratch.setUint8(3, bytes[offset + 3]!);
  return scratch.getFloat32(0, true);
}

/** Exact powers of ten: 10^0 … 10^22 are all representable as doubles. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, n) => Number(`1e${n}`));

/**
 * raw × 10^exponent, correctly rounded: a negative exponent divides by an exact power of ten,
 * so 1234 × 10^-3 gives 1.234 and not 1.2340000000000002.
 */
export function scaleByPowerOfTen(raw: number, exponent: number): number {
  if (exponent === 0) return raw;
  if (exponent > 0) return exponent < 23 ? raw * POW10[exponent]! : raw * 10 ** exponent;
  return exponent > -23 ? raw / POW10[-exponent]! : raw / 10 ** -exponent;
}
