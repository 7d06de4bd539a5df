import { WmbusError } from './wmbus-error.js';

/**
 * The manufacturer field (EN 13757-3 / the FLAG association's list): three
 * letters A–Z, five bits each, as a 16-bit little-endian number.
 */
export function decodeManufacturer(value: number): string {
  const letters = [(value >> 10) & 0x1f, (value >> 5) & 0x1f, value & 0x1f];
  if (letters.some((l) => l < 1 || l > 26)) {
    // Some meters use codes outside A–Z; show them as is rather than invent letters.
    return `@${(value & 0xffff).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return String.fromCharCode(...letters.map((l) => l + 64));
}

export function encodeManufacturer(code: string): number {
  if (!/^[A-Z]{3}$/.test(code)) {
    throw new WmbusError(
      'INVALID_MANUFACTURER',
      `manufacturer must be three letters A-Z, got '${code}'`,
    );
  }
  return (
    ((code.charCodeAt(0) - 64) << 10) | ((code.charCodeAt(1) - 64) << 5) | (code.charCodeAt(2) - 64)
  );
}
