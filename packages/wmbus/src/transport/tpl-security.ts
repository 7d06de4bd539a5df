import { aesCmac } from './aes.js';
import type { AuthenticationLayer } from './authentication-layer.js';
import { transportError } from './transport-error.js';

/**
 * Pieces of the TPL security modes (EN 13757-7, OMS Vol. 2):
 * mode 5, AES-128-CBC with IV = M A ACC×8 and a static key;
 * mode 7, AES-128-CBC with IV 0 under a key derived per message (KDF with
 * AES-CMAC) and an AES-CMAC in the AFL.
 */

export const AES_KEY_LENGTH = 16;

/** Every decrypted payload starts with these two filler bytes; they are the check of modes 5 and 7. */
export function startsWithFillers(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start >= 2 && bytes[start] === 0x2f && bytes[start + 1] === 0x2f;
}

export function requireAesKey(key: Uint8Array): Uint8Array {
  if (key.length !== AES_KEY_LENGTH) {
    throw transportError('INVALID_KEY', `AES-128 needs a key of 16 bytes, got ${key.length}`);
  }
  return key;
}

/** Mode 5 IV: the meter's M(2) ID(4) Ver Type in link-layer order, then the access number 8 times. */
export function mode5Iv(meterAddress: Uint8Array, accessNumber: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(meterAddress.subarray(0, 8), 0);
  iv.fill(accessNumber, 8);
  return iv;
}

/** KDF direction constants (DC) of meter → collector messages. */
const DC_ENCRYPTION = 0x00;
const DC_MAC = 0x01;

/**
 * Mode 7 KDF (KDF-A): K = AES-CMAC(key, DC ‖ MCR ‖ ID ‖ 07×7), DC 0x00 for
 * Kenc and 0x01 for Kmac; MCR and ID as sent (little-endian).
 */
export function deriveMode7Keys(
  key: Uint8Array,
  messageCounter: Uint8Array,
  identification: Uint8Array,
): { encryption: Uint8Array; mac: Uint8Array } {
  const input = new Uint8Array(16).fill(0x07);
  input.set(messageCounter.subarray(0, 4), 1);
  input.set(identification.subarray(0, 4), 5);
  input[0] = DC_ENCRYPTION;
  const encryption = aesCmac(key, input);
  input[0] = DC_MAC;
  const mac = aesCmac(key, input);
  return { encryption, mac };
}

/**
 * The AFL MAC: the first bytes of AES-CMAC(Kmac, MCL ‖ MCR ‖ [ML] ‖ the
 * message from the TPL's CI to its end).
 */
export function computeAflMac(
  kmac: Uint8Array,
  bytes: Uint8Array,
  afl: AuthenticationLayer,
  tplOffset: number,
  end: number,
): Uint8Array {
  const parts: Uint8Array[] = [];
  if (afl.mclOffset >= 0) parts.push(bytes.subarray(afl.mclOffset, afl.mclOffset + 1));
  if (afl.mcrOffset >= 0) parts.push(bytes.subarray(afl.mcrOffset, afl.mcrOffset + 4));
  if (afl.mlOffset >= 0) parts.push(bytes.subarray(afl.mlOffset, afl.mlOffset + 2));
  parts.push(bytes.subarray(tplOffset, end));
  return aesCmac(kmac, ...parts);
}

export function aflMacMatches(
  kmac: Uint8Array,
  bytes: Uint8Array,
  afl: AuthenticationLayer,
  tplOffset: number,
  end: number,
): boolean {
  const mac = computeAflMac(kmac, bytes, afl, tplOffset, end);
  // Compare every byte, so that the time taken tells nothing about how much of a forged MAC was right.
  let diff = 0;
  for (let i = 0; i < afl.macLength; i++) diff |= mac[i]! ^ bytes[afl.macOffset + i]!;
  return diff === 0;
}
