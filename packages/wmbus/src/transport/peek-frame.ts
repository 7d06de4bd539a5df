import type { CrcState, FrameFormat } from '../link/frame-format.js';
import { hexToBytes } from '../hex.js';
import type { MeterAddress } from '../types.js';
import { CC_BITS_CHANGED_ON_THE_WAY, ELL_ENCRYPTION_AES_CTR } from './extended-link-layer.js';
import { walkHeaders, type EllOpener, type HeaderWalk } from './header-walk.js';
import { openExtendedLinkLayer, payloadCrcEnd, type Tally } from './open-frame.js';
import { securityModeOf } from './transport-header.js';

export interface PeekFrameOptions {
  /** Whether the frame still holds its link-layer CRCs; 'auto' (default) reads it from L. */
  crc?: 'auto' | CrcState;
  /** Frame format as the gateway reports it; 'auto' (default) as openFrame decides. */
  frameFormat?: 'auto' | FrameFormat;
}

/** What a frame tells before its key is known. */
export interface PeekedFrame {
  medium: 'wireless' | 'wired';
  /** The link layer's address (for wired frames: the primary address as id). */
  link: MeterAddress;
  /**
   * The meter whose key opens the frame, as openFrame and decode name it: the
   * TPL long header's address when there is one, else the link address.
   */
  meter: MeterAddress;
  /** The TPL header's access number, else the ELL's; null for neither. */
  accessNumber: number | null;
  /** TPL security mode (bits 12..8 of the configuration field); 0 without a TPL header. */
  securityMode: number;
  /** Mode 7: the AFL message counter (MCR), sent in clear. Unverified until the MAC is checked. */
  messageCounter?: number;
  /**
   * The ELL encrypts the rest (AES-CTR) and no key was at hand: the TPL header
   * could not be read, so `meter` is the link address and `securityMode` 0.
   */
  sealed: boolean;
  /** Every CI field walked, in order. */
  ciChain: number[];
  /**
   * The frame without link-layer CRCs, cut where its L field ends it: one
   * radio transmission gives the same bytes whichever gateway forwarded it,
   * with CRCs or without, with bytes of its own appended or not, heard
   * directly or through a repeater (the ELL's hop-count and repeated-access
   * bits are cleared, as they are for the ELL's AES-CTR counter). Identity
   * only: decode the frame as received.
   */
  canonical: Uint8Array;
}

/**
 * An ELL whose AES-CTR ciphertext is still closed ends the peek there; any
 * other ELL is walked as openFrame walks it without a key (PayloadCRC checked,
 * a payload a receiver already decrypted read on).
 */
const peekEll: EllOpener = (walk, ell, link) => {
  if (
    ell.encryption === ELL_ENCRYPTION_AES_CTR &&
    payloadCrcEnd(walk.bytes, ell.payloadOffset, walk.end, walk.declaredEnd) < 0
  ) {
    return null;
  }
  const scratch: Tally = {
    security: {
      mode: 0,
      ellEncrypted: false,
      encryptedBlocks: 0,
      verified: false,
      alreadyDecrypted: false,
    },
    checked: 0,
    unchecked: 0,
  };
  return openExtendedLinkLayer(walk, ell, link, null, scratch);
};

/** The ELL stands right after L C M A (offset 10); its CC follows its CI. */
const ELL_CC_OFFSET = 11;

function canonicalBytes(head: HeaderWalk): Uint8Array {
  const out = head.linkFrame.slice();
  if (head.ell !== null && head.medium === 'wireless') {
    out[ELL_CC_OFFSET] = out[ELL_CC_OFFSET]! & ~CC_BITS_CHANGED_ON_THE_WAY;
  }
  return out;
}

/**
 * Reads what a frame tells without its key: whose key it needs, its access
 * number, security mode and (mode 7) message counter, and the canonical bytes
 * that identify the radio transmission. The same header walk as openFrame, so
 * `meter` and `accessNumber` are what decode() reports once the key opens it.
 *
 * Throws only `WmbusError`, whatever the bytes.
 */
export function peekFrame(frame: Uint8Array | string, options: PeekFrameOptions = {}): PeekedFrame {
  const bytes = typeof frame === 'string' ? hexToBytes(frame) : frame;
  const head = walkHeaders(
    bytes,
    { crc: options.crc ?? 'auto', format: options.frameFormat ?? 'auto' },
    peekEll,
  );
  const configuration = head.tpl?.configuration ?? null;
  const peeked: PeekedFrame = {
    medium: head.medium,
    link: head.link,
    meter: head.meter,
    accessNumber: head.accessNumber,
    securityMode: configuration === null ? 0 : securityModeOf(configuration),
    sealed: head.sealed,
    ciChain: head.ciChain,
    canonical: canonicalBytes(head),
  };
  const counter = head.afl?.messageCounter ?? null;
  if (counter !== null) peeked.messageCounter = counter;
  return peeked;
}
