import { WmbusError } from './wmbus-error.js';

/** Parses hex (upper or lower case; spaces, `_` and `|` separators allowed) into bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[\s_|]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new WmbusError('INVALID_HEX', 'not an even number of hexadecimal digits');
  }
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Upper-case hex, as meters' ids and keys are usually written. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out.toUpperCase();
}
