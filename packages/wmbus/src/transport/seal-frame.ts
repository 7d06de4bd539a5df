import { addCrcs, type FrameFormat } from '../link/frame-format.js';
import { encodeManufacturer } from '../manufacturer.js';
import type { MeterAddress } from '../types.js';
import { aesCbcEncrypt, aesCmac } from './aes.js';
import {
  FCL_MAC_PRESENT,
  FCL_MCL_PRESENT,
  FCL_MCR_PRESENT,
  MCL_CMAC_8,
} from './authentication-layer.js';
import { CI_AFL, CI_ELL_SHORT, isManufacturerSpecificCi, tplHeaderOf } from './ci-field.js';
import { deriveMode7Keys, mode5Iv, requireAesKey, startsWithFillers } from './tpl-security.js';
import { transportError } from './transport-error.js';

/** What a meter puts into a frame; `openFrame` of the sealed frame gives it back. */
export interface SealFrameInput {
  /** C field; default 0x44 (SND-NR). */
  control?: number;
  /** The meter: the link-layer address, and the TPL long header's when the CI has one. */
  meter: MeterAddress;
  /** The link-layer address when it is not the meter's (a radio adapter); needs a long header. */
  link?: MeterAddress;
  /**
   * CI of the payload: a TPL CI (default 0x7A short header; 0x72 long header;
   * 0x78 no header, mode 0 only), or 0xA0–0xB7 for a manufacturer's layout (mode 0).
   */
  ci?: number;
  accessNumber: number;
  /** Raw status byte; default 0. */
  status?: number;
  /** Configuration-field bits besides mode and block count (bits 15..13, 3..0); default 0. */
  configurationFlags?: number;
  mode: 0 | 5 | 7;
  /** AES-128 key, for modes 5 and 7. */
  key?: Uint8Array | null;
  /** Mode 7: the AFL message counter (MCR). */
  messageCounter?: number;
  /** A short ELL (CI 0x8C) in front, as OMS meters with mode 7 send it: its CC; ACC is the TPL's. */
  ell?: { communicationControl: number };
  /**
   * The application payload. Modes 5 and 7 encrypt it whole: 2F2F is put in
   * front unless it is there, and 2F fillers pad it to whole blocks, as meters do.
   */
  payload: Uint8Array;
  /** Link CRCs of frame format A or B; default none (as gateways forward frames). */
  crc?: FrameFormat | 'none';
}

/** The plaintext modes 5 and 7 encrypt: 2F2F in front, 2F fillers up to whole 16-byte blocks. */
export function encryptablePayload(payload: Uint8Array): Uint8Array {
  const head = startsWithFillers(payload, 0, payload.length) ? 0 : 2;
  const length = Math.max(16, Math.ceil((payload.length + head) / 16) * 16);
  const out = new Uint8Array(length).fill(0x2f);
  out.set(payload, head);
  return out;
}

function checkInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw transportError('INVALID_ARGUMENT', `${name} must be an integer 0..${max}, got ${value}`);
  }
  return value;
}

function manufacturerCode(code: string): number {
  // '@XXXX' is how decodeManufacturer shows codes outside A–Z; take them back as they are.
  const raw = /^@([0-9A-F]{4})$/.exec(code);
  return raw ? parseInt(raw[1]!, 16) : encodeManufacturer(code);
}

/** M(2) ID(4) Ver Type in link-layer order. */
function addressBytes(address: MeterAddress): Uint8Array {
  if (!/^[0-9A-Fa-f]{8}$/.test(address.id)) {
    throw transportError('INVALID_HEX', `a meter id is 8 hex digits, got '${address.id}'`);
  }
  const m = manufacturerCode(address.manufacturer);
  const out = new Uint8Array(8);
  out[0] = m & 0xff;
  out[1] = m >> 8;
  for (let i = 0; i < 4; i++) out[2 + i] = parseInt(address.id.slice(6 - 2 * i, 8 - 2 * i), 16);
  out[6] = checkInteger('version', address.version, 0xff);
  out[7] = checkInteger('deviceType', address.deviceType, 0xff);
  return out;
}

/** Wireless L field for a frame of `n` bytes without CRCs. */
function lengthField(n: number, crc: FrameFormat | 'none'): number {
  if (crc !== 'B') return n - 1;
  // Format B counts its CRCs: one up to L 127, two beyond (then L is at least 130).
  return n + 1 <= 127 ? n + 1 : n + 3;
}

/**
 * Builds a wireless M-Bus frame from an address, TPL header fields and a
 * plaintext payload, encrypting it with security mode 5 or 7: the encode
 * direction of `openFrame`, for simulators and test vectors.
 */
export function sealFrame(input: SealFrameInput): Uint8Array {
  const { mode } = input;
  const ci = input.ci ?? 0x7a;
  const crc = input.crc ?? 'none';
  const manufacturerSpecific = isManufacturerSpecificCi(ci);
  const header = manufacturerSpecific ? 'none' : tplHeaderOf(ci);
  if (header === undefined) throw transportError('INVALID_ARGUMENT', `CI ${ci} is not a TPL CI`);
  if (mode !== 0 && mode !== 5 && mode !== 7) {
    throw transportError('INVALID_ARGUMENT', `security mode ${String(mode)} cannot be sealed`);
  }
  if (mode !== 0 && header === 'none') {
    throw transportError(
      'INVALID_ARGUMENT',
      `CI ${ci.toString(16)} has no configuration field for mode ${mode}`,
    );
  }
  if (input.link !== undefined && header !== 'long') {
    throw transportError(
      'INVALID_ARGUMENT',
      'a link address of its own needs a long header to name the meter',
    );
  }
  const meter = addressBytes(input.meter);
  const link = input.link === undefined ? meter : addressBytes(input.link);
  const acc = checkInteger('accessNumber', input.accessNumber, 0xff);
  const status = checkInteger('status', input.status ?? 0, 0xff);
  const flags = checkInteger('configurationFlags', input.configurationFlags ?? 0, 0xffff) & 0xe00f;
  const key = mode === 0 ? null : requireAesKey(input.key ?? new Uint8Array(0));
  const counter =
    mode === 7 ? checkInteger('messageCounter', input.messageCounter ?? -1, 0xffffffff) : null;

  const body = mode === 0 ? input.payload : encryptablePayload(input.payload);
  const blocks = mode === 0 ? 0 : body.length / 16;
  if (blocks > 15) {
    throw transportError(
      'INVALID_ARGUMENT',
      `${body.length} bytes to encrypt; the configuration field counts at most 15 blocks`,
    );
  }

  // TPL: CI, header, payload (encrypted below).
  const tplHeaderLength =
    header === 'none' ? 0 : (header === 'long' ? 8 : 0) + 4 + (mode === 7 ? 1 : 0);
  const tpl = new Uint8Array(1 + tplHeaderLength + body.length);
  tpl[0] = ci;
  let at = 1;
  if (header === 'long') {
    tpl.set(meter.subarray(2, 6), 1); // ID
    tpl.set(meter.subarray(0, 2), 5); // M
    tpl[7] = meter[6]!;
    tpl[8] = meter[7]!;
    at = 9;
  }
  if (header !== 'none') {
    const configuration = flags | (mode << 8) | (blocks << 4);
    tpl[at++] = acc;
    tpl[at++] = status;
    tpl[at++] = configuration & 0xff;
    tpl[at++] = configuration >> 8;
    if (mode === 7) tpl[at++] = 0x10; // CFE: KDF selection 1, the AES-CMAC KDF
  }
  let afl: Uint8Array | null = null;
  if (mode === 5) {
    tpl.set(aesCbcEncrypt(key!, mode5Iv(meter, acc), body), at);
  } else if (mode === 7) {
    const mcr = new Uint8Array(4);
    new DataView(mcr.buffer).setUint32(0, counter!, true);
    const keys = deriveMode7Keys(key!, mcr, meter.subarray(2, 6));
    tpl.set(aesCbcEncrypt(keys.encryption, new Uint8Array(16), body), at);
    // AFL: AFLL FCL(2) MCL MCR(4) MAC(8); the MAC covers MCL, MCR and the TPL to the end.
    afl = new Uint8Array(17);
    const fcl = FCL_MCL_PRESENT | FCL_MCR_PRESENT | FCL_MAC_PRESENT;
    afl[0] = CI_AFL;
    afl[1] = afl.length - 2;
    afl[2] = fcl & 0xff;
    afl[3] = fcl >> 8;
    afl[4] = MCL_CMAC_8;
    afl.set(mcr, 5);
    afl.set(aesCmac(keys.mac, afl.subarray(4, 9), tpl).subarray(0, 8), 9);
  } else {
    tpl.set(body, at);
  }

  const ell =
    input.ell === undefined
      ? null
      : Uint8Array.of(
          CI_ELL_SHORT,
          checkInteger('ell.communicationControl', input.ell.communicationControl, 0xff),
          acc,
        );
  const n = 10 + (ell?.length ?? 0) + (afl?.length ?? 0) + tpl.length;
  const l = lengthField(n, crc);
  if (l > 0xff) {
    throw transportError('INVALID_ARGUMENT', `a frame of ${n} bytes does not fit the L field`);
  }
  const frame = new Uint8Array(n);
  frame[0] = l;
  frame[1] = checkInteger('control', input.control ?? 0x44, 0xff);
  frame.set(link, 2);
  let to = 10;
  for (const part of [ell, afl, tpl]) {
    if (part === null) continue;
    frame.set(part, to);
    to += part.length;
  }
  return crc === 'none' ? frame : addCrcs(frame, crc);
}
