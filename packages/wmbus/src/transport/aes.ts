import { cbc, cmac, ctr } from '@noble/ciphers/aes.js';

/**
 * The AES-128 primitives the security modes need, in one place, so that a
 * faster backend (node:crypto) can replace @noble/ciphers here alone if a
 * benchmark ever shows it wins. Nothing is cached between calls.
 */

/** AES-128-CBC decryption without padding; `data` is a whole number of blocks. Writes into `out` (same length) when given. */
export function aesCbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  out?: Uint8Array,
): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).decrypt(data, out);
}

/** AES-128-CBC encryption without padding; `data` is a whole number of blocks. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

/**
 * AES-128-CTR with a 16-byte initial counter block, incremented as one
 * big-endian number per block. Encryption and decryption are the same.
 */
export function aesCtr(
  key: Uint8Array,
  counter: Uint8Array,
  data: Uint8Array,
  out?: Uint8Array,
): Uint8Array {
  return ctr(key, counter).encrypt(data, out);
}

/** AES-CMAC (RFC 4493) over the concatenation of `parts`, without copying them together. */
export function aesCmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = cmac.create(key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}
