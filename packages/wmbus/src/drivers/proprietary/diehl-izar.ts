/**
 * Diehl / Sappel IZAR water meters speaking PRIOS (manufacturers SAP, DME,
 * HYD; manufacturer-specific CI 0xA1–0xA3).
 *
 * Payload after the CI: four plain bytes, then a block scrambled with a
 * keystream from a 32-bit linear feedback shift register.
 *
 *   p[0]  bits 0–3: radio interval, 2^(n+2) seconds
 *   p[1]  bits 0–4: remaining battery life in half years
 *   p[2..3]        (alarm/status bits, not decoded)
 *   p[4..]         scrambled:
 *     d[0]      0x4B: tells that the key was right
 *     d[1..4]   total volume, litres (uint32 LE)
 *     d[5..8]   volume at the last set date (H0), litres
 *     d[9..10]  that set date, date type G
 *
 * Scrambling: the register starts as key XOR three big-endian 32-bit words
 * of the telegram (from the first byte after L: M M A A, A A ver type,
 * CI p0 p1 p2). For every byte it is clocked 8 times, shifting left and
 * feeding back the parity of the bits under the mask 0x80000806; the low
 * byte of the register is XORed with the data byte. The keys are the
 * default keys published for these meters; a 4-byte key given to the
 * decoder is tried first.
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { WmbusError } from '../../wmbus-error.js';
import { requireLength, u32le } from '../support/bytes.js';
import { dateTypeG } from '../support/dates.js';
import { linkBytes } from '../support/link-bytes.js';

export const PRIOS_DEFAULT_KEYS: readonly number[] = [0xdfd109e8, 0xb71f0ae8];

const FEEDBACK_MASK = 0x80000806;
const CHECK_BYTE = 0x4b;
const PLAIN_BYTES = 4;
/** Check byte, two volumes, one date. */
const SCRAMBLED_MIN = 11;

function parity32(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

function be32(b: Uint8Array, offset: number): number {
  return (
    ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0
  );
}

/** XORs `data` with the PRIOS keystream for the given register start value. */
export function priosKeystreamXor(start: number, data: Uint8Array): Uint8Array {
  let s = start >>> 0;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    for (let bit = 0; bit < 8; bit++) s = ((s << 1) | parity32(s & FEEDBACK_MASK)) >>> 0;
    out[i] = data[i]! ^ (s & 0xff);
  }
  return out;
}

/** Undoes the PRIOS scrambling; throws DECRYPTION_FAILED when no key yields the check byte. */
export function descramblePrios(
  link: MeterAddress,
  ci: number,
  payload: Uint8Array,
  extraKey: Uint8Array | null = null,
): Uint8Array {
  requireLength(payload, PLAIN_BYTES + SCRAMBLED_MIN, 'an IZAR PRIOS telegram');
  const header = new Uint8Array(12);
  header.set(linkBytes(link), 0);
  header[8] = ci & 0xff;
  header.set(payload.subarray(0, 3), 9);
  const mix = be32(header, 0) ^ be32(header, 4) ^ be32(header, 8);
  const keys = [...PRIOS_DEFAULT_KEYS];
  if (extraKey !== null && extraKey.length === 4) keys.unshift(be32(extraKey, 0));
  const scrambled = payload.subarray(PLAIN_BYTES);
  for (const key of keys) {
    const plain = priosKeystreamXor((key ^ mix) >>> 0, scrambled);
    if (plain[0] === CHECK_BYTE) return plain;
  }
  throw new WmbusError('DECRYPTION_FAILED', 'no PRIOS key gives the check byte 0x4B');
}

const IZAR_MANUFACTURERS = new Set(['SAP', 'DME', 'HYD']);

export const diehlIzarDriver: Driver = {
  name: 'diehl-izar-prios',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return IZAR_MANUFACTURERS.has(meter.manufacturer) && payloadCi >= 0xa1 && payloadCi <= 0xa3;
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const { frame } = input;
    const p = frame.payload;
    const d = descramblePrios(frame.link, frame.payloadCi, p, input.key);
    return {
      totalVolume: { value: u32le(d, 1) / 1000, unit: 'm3' },
      targetVolume: { value: u32le(d, 5) / 1000, unit: 'm3' },
      targetDate: { value: dateTypeG(d[9]!, d[10]!), unit: '' },
      remainingBatteryLife: { value: (p[1]! & 0x1f) / 2, unit: 'year' },
      transmitPeriod: { value: 2 ** ((p[0]! & 0x0f) + 2), unit: 's' },
    };
  },
};
