import { crc16En13757 } from '../crc.js';
import { transportError } from './transport-error.js';
import {
  CI_ELL_ADDRESS,
  CI_ELL_ADDRESS_SESSION,
  CI_ELL_SESSION,
  CI_ELL_SHORT,
} from './ci-field.js';

/**
 * The Extended Link Layer (EN 13757-4): CI 0x8C CC ACC; 0x8D CC ACC SN;
 * 0x8E CC ACC M A; 0x8F CC ACC M A SN. With a session number (0x8D, 0x8F) a
 * 2-byte PayloadCRC follows, over the rest of the frame; SN bits 31..29 say
 * whether it and the rest are AES-128-CTR encrypted.
 */
export interface ExtendedLinkLayer {
  ci: number;
  communicationControl: number;
  accessNumber: number;
  /** Offset of the ELL's own M field (0x8E, 0x8F), else -1. */
  addressOffset: number;
  /** Offset of SN (0x8D, 0x8F), else -1. */
  sessionOffset: number;
  /** SN bits 31..29: 0 none, 1 AES-128-CTR, others reserved. 0 without SN. */
  encryption: number;
  /** Offset of the PayloadCRC when there is an SN, else of the next CI. */
  payloadOffset: number;
}

export const ELL_ENCRYPTION_NONE = 0;
export const ELL_ENCRYPTION_AES_CTR = 1;

/** CC bits a repeater may change (H hop count, R repeated access): left out of the counter block. */
export const CC_BITS_CHANGED_ON_THE_WAY = 0x10 | 0x02;

export function readExtendedLinkLayer(
  bytes: Uint8Array,
  pos: number,
  end: number,
): ExtendedLinkLayer {
  const ci = bytes[pos]!;
  const hasAddress = ci === CI_ELL_ADDRESS || ci === CI_ELL_ADDRESS_SESSION;
  const hasSession = ci === CI_ELL_SESSION || ci === CI_ELL_ADDRESS_SESSION;
  if (ci < CI_ELL_SHORT || ci > CI_ELL_ADDRESS_SESSION) {
    throw transportError('UNSUPPORTED_CI', `CI ${ci} is not an ELL`, pos);
  }
  const length = 3 + (hasAddress ? 8 : 0) + (hasSession ? 4 + 2 : 0);
  if (pos + length > end) {
    throw transportError(
      'FRAME_TOO_SHORT',
      `ELL CI ${ci.toString(16)} needs ${length} bytes at offset ${pos}, the frame ends at ${end}`,
      pos,
    );
  }
  const sessionOffset = hasSession ? pos + 3 + (hasAddress ? 8 : 0) : -1;
  return {
    ci,
    communicationControl: bytes[pos + 1]!,
    accessNumber: bytes[pos + 2]!,
    addressOffset: hasAddress ? pos + 3 : -1,
    sessionOffset,
    encryption: hasSession ? bytes[sessionOffset + 3]! >> 5 : ELL_ENCRYPTION_NONE,
    payloadOffset: hasSession ? sessionOffset + 4 : pos + 3 + (hasAddress ? 8 : 0),
  };
}

/**
 * The initial counter block of ELL AES-CTR: M(2) A(6) CC SN(4) FN(2)=0 BC=0,
 * M and A from the ELL when it has them, else from the link layer. CC without
 * the bits a repeater changes, so that repeated frames still decrypt.
 */
export function ellCounterBlock(
  address: Uint8Array,
  addressOffset: number,
  ell: ExtendedLinkLayer,
  bytes: Uint8Array,
): Uint8Array {
  const block = new Uint8Array(16);
  block.set(address.subarray(addressOffset, addressOffset + 8), 0);
  block[8] = ell.communicationControl & ~CC_BITS_CHANGED_ON_THE_WAY;
  block.set(bytes.subarray(ell.sessionOffset, ell.sessionOffset + 4), 9);
  return block;
}

/** Whether the 2 bytes at `crcOffset` (little-endian) are the PayloadCRC of bytes crcOffset + 2 … end. */
export function payloadCrcMatches(bytes: Uint8Array, crcOffset: number, end: number): boolean {
  if (end < crcOffset + 2) return false;
  const sent = bytes[crcOffset]! | (bytes[crcOffset + 1]! << 8);
  return crc16En13757(bytes, crcOffset + 2, end) === sent;
}
