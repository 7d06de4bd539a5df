import type { FrameFormatOptions } from '../link/frame-format.js';
import type { OpenedFrame, SecurityInfo } from '../types.js';
import { aesCbcDecrypt, aesCtr } from './aes.js';
import type { AuthenticationLayer } from './authentication-layer.js';
import { isCompactFrameCi } from './ci-field.js';
import {
  ELL_ENCRYPTION_AES_CTR,
  ELL_ENCRYPTION_NONE,
  ellCounterBlock,
  payloadCrcMatches,
  type ExtendedLinkLayer,
} from './extended-link-layer.js';
import { walkHeaders, type Walk } from './header-walk.js';
import {
  aflMacMatches,
  deriveMode7Keys,
  mode5Iv,
  requireAesKey,
  startsWithFillers,
} from './tpl-security.js';
import { transportError } from './transport-error.js';
import {
  encryptedBlocksOf,
  securityModeOf,
  statusFlags,
  type TransportHeader,
} from './transport-header.js';

export interface OpenFrameOptions extends FrameFormatOptions {
  /** The meter's AES-128 key (16 bytes); null or absent when none is known. */
  key?: Uint8Array | null;
}

/** How many encrypted layers we opened and checked, and how many we had to take as they came. */
export interface Tally {
  security: SecurityInfo;
  checked: number;
  unchecked: number;
}

/** A layer announced encryption but its bytes are already plaintext (a receiver decrypted them). */
function markAlreadyDecrypted(tally: Tally): void {
  tally.security.alreadyDecrypted = true;
  tally.unchecked++;
}

/** Bytes with a little-endian 16-bit number at `at`. */
function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

/**
 * End at which the PayloadCRC at `crcOffset` matches: the end of the bytes, or
 * the end L declares when a receiver appended bytes; -1 when neither matches.
 */
export function payloadCrcEnd(
  bytes: Uint8Array,
  crcOffset: number,
  end: number,
  declaredEnd: number,
): number {
  if (payloadCrcMatches(bytes, crcOffset, end)) return end;
  if (declaredEnd < end && payloadCrcMatches(bytes, crcOffset, declaredEnd)) return declaredEnd;
  return -1;
}

export function openExtendedLinkLayer(
  walk: Walk,
  ell: ExtendedLinkLayer,
  link: Uint8Array,
  key: Uint8Array | null,
  tally: Tally,
): Walk {
  const { bytes, end, declaredEnd } = walk;
  const crcOffset = ell.payloadOffset;
  tally.security.ellEncrypted = ell.encryption !== ELL_ENCRYPTION_NONE;
  const plainEnd = payloadCrcEnd(bytes, crcOffset, end, declaredEnd);
  const asSent = (): Walk => ({
    bytes,
    pos: crcOffset + 2,
    end: plainEnd,
    declaredEnd: Math.min(declaredEnd, plainEnd),
  });

  if (ell.encryption === ELL_ENCRYPTION_NONE) {
    if (plainEnd < 0) {
      throw transportError(
        'CRC_MISMATCH',
        `ELL PayloadCRC at offset ${crcOffset} does not match`,
        crcOffset,
      );
    }
    return asSent();
  }
  if (ell.encryption === ELL_ENCRYPTION_AES_CTR && key !== null) {
    requireAesKey(key);
    const counter =
      ell.addressOffset >= 0
        ? ellCounterBlock(bytes, ell.addressOffset, ell, bytes)
        : ellCounterBlock(link, 2, ell, bytes);
    const plain = aesCtr(key, counter, bytes.subarray(crcOffset, end));
    // CTR keeps offsets: the appended bytes decrypt to noise after the frame's own bytes.
    const plainDeclared = declaredEnd - crcOffset;
    const decryptedEnd = payloadCrcEnd(plain, 0, plain.length, plainDeclared);
    if (decryptedEnd >= 0) {
      tally.checked++;
      return {
        bytes: plain,
        pos: 2,
        end: decryptedEnd,
        declaredEnd: Math.min(plainDeclared, decryptedEnd),
      };
    }
    if (plainEnd >= 0) {
      markAlreadyDecrypted(tally);
      return asSent();
    }
    throw transportError(
      'DECRYPTION_FAILED',
      'ELL AES-CTR: the PayloadCRC does not match after decryption (wrong key?)',
      crcOffset,
    );
  }
  if (plainEnd >= 0) {
    markAlreadyDecrypted(tally);
    return asSent();
  }
  if (ell.encryption === ELL_ENCRYPTION_AES_CTR) {
    throw transportError(
      'KEY_REQUIRED',
      'the ELL payload is AES-CTR encrypted and no key was given',
      crcOffset,
    );
  }
  throw transportError(
    'UNSUPPORTED_SECURITY_MODE',
    `ELL encryption ${ell.encryption} (SN bits 31..29) is reserved`,
    ell.sessionOffset,
  );
}

/** The meter's M(2) ID(4) Ver Type in link-layer order: from the TPL long header, else the link layer; null for none. */
function meterAddressBytes(
  bytes: Uint8Array,
  tpl: TransportHeader,
  link: Uint8Array | null,
): Uint8Array | null {
  const a = tpl.addressOffset;
  if (a < 0) return link === null ? null : link.subarray(2, 10);
  const out = new Uint8Array(8);
  out[0] = bytes[a + 4]!;
  out[1] = bytes[a + 5]!;
  out.set(bytes.subarray(a, a + 4), 2);
  out[6] = bytes[a + 6]!;
  out[7] = bytes[a + 7]!;
  return out;
}

function openMode5(
  walk: Walk,
  tpl: TransportHeader,
  blocks: number,
  address: Uint8Array | null,
  key: Uint8Array | null,
  tally: Tally,
): Uint8Array {
  const { bytes, end } = walk;
  const start = tpl.payloadOffset;
  const asSent = bytes.subarray(start, end);
  if (blocks === 0) return asSent;
  const plain = startsWithFillers(bytes, start, end);
  if (key === null) {
    if (plain) {
      markAlreadyDecrypted(tally);
      return asSent;
    }
    throw transportError(
      'KEY_REQUIRED',
      `security mode 5 with ${blocks} encrypted blocks and no key`,
      start,
    );
  }
  requireAesKey(key);
  const encryptedEnd = start + 16 * blocks;
  if (encryptedEnd > end || address === null) {
    if (plain) {
      markAlreadyDecrypted(tally);
      return asSent;
    }
    throw address === null
      ? transportError(
          'DECRYPTION_FAILED',
          'security mode 5 needs the meter address for its IV; the frame has none',
          start,
        )
      : transportError(
          'LENGTH_MISMATCH',
          `security mode 5 announces ${blocks} encrypted blocks, ${end - start} bytes follow the header`,
          start,
        );
  }
  const out = new Uint8Array(end - start);
  aesCbcDecrypt(
    key,
    mode5Iv(address, tpl.accessNumber!),
    bytes.subarray(start, encryptedEnd),
    out.subarray(0, encryptedEnd - start),
  );
  out.set(bytes.subarray(encryptedEnd, end), encryptedEnd - start);
  if (startsWithFillers(out, 0, out.length)) {
    tally.checked++;
    return out;
  }
  if (plain) {
    markAlreadyDecrypted(tally);
    return asSent;
  }
  throw transportError(
    'DECRYPTION_FAILED',
    'security mode 5: no 2F2F after decryption (wrong key?)',
    start,
  );
}

/** KDF selection in CFE bits 5..4: 1 is the AES-CMAC KDF of OMS. */
function kdfSelectionOf(cfe: number): number {
  return (cfe >> 4) & 0x03;
}

function openMode7(
  walk: Walk,
  tpl: TransportHeader,
  tplOffset: number,
  blocks: number,
  afl: AuthenticationLayer | null,
  address: Uint8Array | null,
  key: Uint8Array | null,
  tally: Tally,
): Uint8Array {
  const { bytes, end, declaredEnd } = walk;
  const start = tpl.payloadOffset;
  const plain = startsWithFillers(bytes, start, end);
  const asSent = (): Uint8Array => {
    if (blocks > 0) markAlreadyDecrypted(tally);
    return bytes.subarray(start, end);
  };
  if (key === null) {
    if (plain || blocks === 0) return asSent();
    throw transportError(
      'KEY_REQUIRED',
      `security mode 7 with ${blocks} encrypted blocks and no key`,
      start,
    );
  }
  requireAesKey(key);
  if (afl === null || afl.mcrOffset < 0 || address === null) {
    if (plain || blocks === 0) return asSent();
    throw transportError(
      'DECRYPTION_FAILED',
      afl === null || afl.mcrOffset < 0
        ? 'security mode 7 derives its keys from the AFL message counter; the frame has none'
        : 'security mode 7 derives its keys from the meter id; the frame has none',
      start,
    );
  }
  if (kdfSelectionOf(tpl.configurationExtension!) !== 1) {
    if (plain || blocks === 0) return asSent();
    throw transportError(
      'UNSUPPORTED_SECURITY_MODE',
      `security mode 7 with KDF selection ${kdfSelectionOf(tpl.configurationExtension!)}`,
      start - 1,
    );
  }
  const keys = deriveMode7Keys(
    key,
    bytes.subarray(afl.mcrOffset, afl.mcrOffset + 4),
    address.subarray(2, 6),
  );
  let messageEnd = end;
  if (afl.macLength > 0) {
    let valid = aflMacMatches(keys.mac, bytes, afl, tplOffset, end);
    if (!valid && declaredEnd < end && declaredEnd >= start) {
      valid = aflMacMatches(keys.mac, bytes, afl, tplOffset, declaredEnd);
      if (valid) messageEnd = declaredEnd;
    }
    if (!valid) {
      if (plain) return asSent();
      throw transportError(
        'MAC_INVALID',
        'the AFL MAC does not match (wrong key or altered frame)',
        afl.macOffset,
      );
    }
  }
  if (blocks === 0) {
    if (afl.macLength > 0) tally.checked++;
    return bytes.subarray(start, messageEnd);
  }
  const encryptedEnd = start + 16 * blocks;
  if (encryptedEnd > messageEnd) {
    throw transportError(
      'LENGTH_MISMATCH',
      `security mode 7 announces ${blocks} encrypted blocks, ${messageEnd - start} bytes follow the header`,
      start,
    );
  }
  const out = new Uint8Array(messageEnd - start);
  aesCbcDecrypt(
    keys.encryption,
    new Uint8Array(16),
    bytes.subarray(start, encryptedEnd),
    out.subarray(0, encryptedEnd - start),
  );
  out.set(bytes.subarray(encryptedEnd, messageEnd), encryptedEnd - start);
  if (startsWithFillers(out, 0, out.length)) {
    tally.checked++;
    return out;
  }
  if (plain && afl.macLength === 0) return asSent();
  throw transportError('DECRYPTION_FAILED', 'security mode 7: no 2F2F after decryption', start);
}

/**
 * Security modes this codec knows to be encryption but does not undo: DES (2,
 * 3), AES-CTR, -GCM, -CCM (8, 9, 10) and TLS (13). A payload that starts with
 * 2F2F was decrypted on the way and is handed on as it is. The other modes
 * (1, 4, 15 manufacturer's or specific usage; 6, 11, 12, 14, 16–31 reserved,
 * which Diehl meters use) pass through for drivers to read.
 */
const UNSUPPORTED_MODES = new Set([2, 3, 8, 9, 10, 13]);

/**
 * Takes a frame apart: link layer (format A/B CRCs or a wired long frame),
 * ELL, AFL and TPL, undoing and checking ELL AES-CTR and TPL security modes 5
 * and 7 with `key`. Returns the plaintext application payload; when nothing
 * had to be decrypted, `payload` is a view into `frame` (no copy).
 *
 * A payload announced as encrypted that is already plaintext (receivers that
 * decrypt before forwarding: 2F2F in front, or a matching ELL PayloadCRC) is
 * handed on with `security.alreadyDecrypted`. Manufacturer-specific CIs
 * (0xA0–0xB7) and security modes reserved or left to manufacturers end the
 * walk with the payload as sent, `security.verified` false: drivers read them.
 *
 * Throws only `WmbusError`, whatever the bytes.
 */
export function openFrame(frame: Uint8Array, options: OpenFrameOptions = {}): OpenedFrame {
  const key = options.key ?? null;
  const security: SecurityInfo = {
    mode: 0,
    ellEncrypted: false,
    encryptedBlocks: 0,
    verified: false,
    alreadyDecrypted: false,
  };
  const tally: Tally = { security, checked: 0, unchecked: 0 };
  const head = walkHeaders(frame, options, (walk, ell, link) =>
    openExtendedLinkLayer(walk, ell, link, key, tally),
  );
  const { walk, afl, tpl } = head;
  const { bytes, pos, end } = walk;
  const payloadCi = head.payloadCi;
  let payload: Uint8Array;
  let compact: OpenedFrame['compact'];

  if (tpl === null) {
    // A manufacturer-specific CI: the layout after it is the driver's to read.
    payload = bytes.subarray(pos + 1, end);
  } else {
    payload = bytes.subarray(tpl.payloadOffset, end);
    let tplEncrypted = false;
    if (tpl.configuration !== null) {
      const mode = securityModeOf(tpl.configuration);
      const blocks = encryptedBlocksOf(tpl.configuration);
      security.mode = mode;
      security.encryptedBlocks = mode === 0 ? 0 : blocks;
      tplEncrypted = (mode === 5 || mode === 7) && blocks > 0;
      if (mode === 5) {
        payload = openMode5(
          walk,
          tpl,
          blocks,
          meterAddressBytes(bytes, tpl, head.linkBytes),
          key,
          tally,
        );
      } else if (mode === 7) {
        const address = meterAddressBytes(bytes, tpl, head.linkBytes);
        payload = openMode7(walk, tpl, pos, blocks, afl, address, key, tally);
      } else if (mode !== 0) {
        if (startsWithFillers(bytes, tpl.payloadOffset, end) && blocks > 0) {
          markAlreadyDecrypted(tally);
        } else if (UNSUPPORTED_MODES.has(mode)) {
          throw transportError(
            'UNSUPPORTED_SECURITY_MODE',
            `TPL security mode ${mode} is not supported`,
            pos,
          );
        } else {
          // Manufacturer-specific or reserved: the layout is the manufacturer's, the driver's to read.
          tally.unchecked++;
        }
      }
    }
    if (isCompactFrameCi(payloadCi)) {
      const skip = tplEncrypted && startsWithFillers(payload, 0, payload.length) ? 2 : 0;
      if (payload.length < skip + 4) {
        throw transportError(
          'FRAME_TOO_SHORT',
          'a compact frame starts with its format signature and data CRC (4 bytes)',
          tpl.payloadOffset,
        );
      }
      compact = { signature: readU16(payload, skip), dataCrc: readU16(payload, skip + 2) };
      // What follows the signature and CRC is the data; the format comes from an earlier full frame.
      payload = payload.subarray(skip + 4);
    }
  }

  if (afl !== null && afl.messageCounter !== null) security.messageCounter = afl.messageCounter;
  security.verified = tally.checked > 0 && tally.unchecked === 0;

  const opened: OpenedFrame = {
    medium: head.medium,
    control: head.control,
    link: head.link,
    meter: head.meter,
    ciChain: head.ciChain,
    accessNumber: head.accessNumber,
    status: tpl !== null && tpl.status !== null ? statusFlags(tpl.status) : null,
    configuration: tpl?.configuration ?? null,
    security,
    payloadCi,
    payload,
  };
  if (compact !== undefined) opened.compact = compact;
  return opened;
}
