/**
 * Apator NA-1 water meter radio (manufacturer APA, version 0x14, device type
 * 0x07 water, manufacturer-specific CI 0xA0/0xA1), AES-128 encrypted.
 *
 * Payload after the CI:
 *   p[0]      access number
 *   p[1]      frame flags; bit 0: the meter clock runs on summer time
 *   p[2..17]  one AES-128-CBC block; IV = M(2) A(6) of the link layer followed
 *             by the access number eight times (as in security mode 5)
 *
 * Plaintext:
 *   d[0]       0x2F (check byte: a wrong key shows here)
 *   d[1..4]    total volume in litres, nibble-shuffled: bits 0–3 of d[1]
 *              are the lowest hex digit, d[2], d[3], d[4] the following
 *              digit pairs (the upper nibble of d[1] is not part of it)
 *   d[5..8]    meter clock: seconds since 2000-01-01 00:00 (uint32 LE)
 *   d[9], d[10] bits 2–7: age of the historic value in hours (14 bits)
 *   d[10] bits 0–1, d[11], d[12]: total minus the historic value, litres
 *              (18 bits, d[10] the lowest two)
 *   d[13..15]  status; bit 7 of d[15]: minimum flow at the historic value
 *
 * The historic value's time is the meter time minus its age.
 */
import { cbc } from '@noble/ciphers/aes.js';
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { WmbusError } from '../../wmbus-error.js';
import { requireLength, u32le } from '../support/bytes.js';
import { datetimeFromSeconds2000 } from '../support/dates.js';
import { linkBytes } from '../support/link-bytes.js';

const CHECK_BYTE = 0x2f;

export function decryptNa1(input: DriverInput): Uint8Array {
  const { frame, key } = input;
  const p = frame.payload;
  requireLength(p, 18, 'an Apator NA-1 telegram');
  if (key === null) {
    throw new WmbusError(
      'KEY_REQUIRED',
      'Apator NA-1 telegrams are AES encrypted (often with an all-zero key)',
    );
  }
  if (key.length !== 16) {
    throw new WmbusError('DECRYPTION_FAILED', `an AES-128 key has 16 bytes, got ${key.length}`);
  }
  const iv = new Uint8Array(16);
  iv.set(linkBytes(frame.link), 0);
  iv.fill(p[0]!, 8);
  const plain = cbc(key, iv, { disablePadding: true }).decrypt(p.subarray(2, 18));
  if (plain[0] !== CHECK_BYTE) {
    throw new WmbusError(
      'DECRYPTION_FAILED',
      'wrong key: the decrypted block does not start with 0x2F',
    );
  }
  return plain;
}

export const apatorNa1Driver: Driver = {
  name: 'apator-na1',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return (
      meter.manufacturer === 'APA' &&
      meter.version === 0x14 &&
      meter.deviceType === 0x07 &&
      (payloadCi === 0xa0 || payloadCi === 0xa1)
    );
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const d = decryptNa1(input);
    const total = (d[1]! & 0x0f) + d[2]! * 0x10 + d[3]! * 0x1000 + d[4]! * 0x100000;
    const seconds = u32le(d, 5);
    const age = d[9]! | ((d[10]! >> 2) << 8);
    const delta = (d[10]! & 0x03) | (d[11]! << 2) | (d[12]! << 10);
    return {
      totalVolume: { value: total / 1000, unit: 'm3' },
      meterDateTime: { value: datetimeFromSeconds2000(seconds), unit: '' },
      historicVolume: { value: (total - delta) / 1000, unit: 'm3' },
      historicAge: { value: age, unit: 'h' },
      historicDateTime: { value: datetimeFromSeconds2000(seconds - age * 3600), unit: '' },
      summerTime: { value: (input.frame.payload[1]! & 0x01) !== 0, unit: '' },
      historicMinimumFlow: { value: (d[15]! & 0x80) !== 0, unit: '' },
    };
  },
};
