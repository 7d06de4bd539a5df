import { unwrapFrame, type FrameFormatOptions } from '../link/frame-format.js';
import { isWiredLongFrame, readWiredLongFrame } from '../link/wired-frame.js';
import type { MeterAddress } from '../types.js';
import { readAuthenticationLayer, type AuthenticationLayer } from './authentication-layer.js';
import { CI_AFL, isEllCi, isManufacturerSpecificCi } from './ci-field.js';
import { readExtendedLinkLayer, type ExtendedLinkLayer } from './extended-link-layer.js';
import { readLinkAddress, readLongHeaderAddress } from './meter-address.js';
import { transportError } from './transport-error.js';
import { readTransportHeader, type TransportHeader } from './transport-header.js';

/**
 * The bytes the walk reads. They change once: when the ELL decrypts, the walk
 * goes on in the plaintext, which starts at the PayloadCRC.
 */
export interface Walk {
  bytes: Uint8Array;
  pos: number;
  /** End of the bytes received (receivers may append some). */
  end: number;
  /** End of the frame as its L field says; <= end. */
  declaredEnd: number;
}

/**
 * Opens an ELL that has a session number (its PayloadCRC, and AES-CTR when
 * announced): returns the walk to go on with, or null when the rest is
 * ciphertext the caller leaves closed.
 */
export type EllOpener = (walk: Walk, ell: ExtendedLinkLayer, link: Uint8Array) => Walk | null;

/** What the walk over the clear headers found: link layer, ELL, AFL and TPL header. */
export interface HeaderWalk {
  medium: 'wireless' | 'wired';
  control: number;
  /** The wireless link layer's bytes without CRCs (L C M A at 0..10), or null for wired frames. */
  linkBytes: Uint8Array | null;
  /**
   * The frame without link-layer CRCs, cut where its L field ends it: the same
   * bytes whether a receiver forwarded it with CRCs or without, or appended
   * bytes of its own. A wired frame as it is.
   */
  linkFrame: Uint8Array;
  /** Where the walk stopped: at the payload's CI, or at the ELL's ciphertext when `sealed`. */
  walk: Walk;
  ciChain: number[];
  ell: ExtendedLinkLayer | null;
  afl: AuthenticationLayer | null;
  /** The ELL opener left the rest closed: no payload CI, no TPL header was read. */
  sealed: boolean;
  /** CI of the application payload (-1 when sealed). */
  payloadCi: number;
  /** The TPL header; null without one (manufacturer-specific CI, sealed). */
  tpl: TransportHeader | null;
  /** The link address (wired: the primary address as id, the rest from the long header). */
  link: MeterAddress;
  /** The meter the key belongs to: the TPL long header's address when there is one, else the link's. */
  meter: MeterAddress;
  /** The TPL header's access number, else the ELL's; null for neither. */
  accessNumber: number | null;
}

/**
 * Walks the clear headers of a frame: link layer (CRCs checked and removed, or
 * a wired long frame), the ELL and AFL (each at most once and in this order),
 * then the CI of the payload and its TPL header. An ELL with a session number
 * is handed to `openEll`, which decides whether and how the walk goes on.
 * Shared by openFrame (which then undoes the TPL's security) and peekFrame
 * (which reads what needs no key), so both see the same headers.
 *
 * Throws only `WmbusError`.
 */
export function walkHeaders(
  frame: Uint8Array,
  options: FrameFormatOptions,
  openEll: EllOpener,
): HeaderWalk {
  let medium: HeaderWalk['medium'];
  let control: number;
  let linkBytes: Uint8Array | null;
  let linkFrame: Uint8Array;
  let primaryAddress = 0;
  let walk: Walk;

  if (isWiredLongFrame(frame)) {
    const wired = readWiredLongFrame(frame);
    medium = 'wired';
    control = wired.control;
    primaryAddress = wired.address;
    linkBytes = null;
    linkFrame = frame;
    walk = { bytes: frame, pos: wired.ciOffset, end: wired.end, declaredEnd: wired.end };
  } else {
    const unwrapped = unwrapFrame(frame, options);
    const bytes = unwrapped.bytes;
    const declaredEnd = Math.min(unwrapped.declaredLength, bytes.length);
    medium = 'wireless';
    control = bytes[1]!;
    linkBytes = bytes;
    linkFrame = bytes.subarray(0, declaredEnd);
    walk = { bytes, pos: 10, end: bytes.length, declaredEnd };
  }

  const ciChain: number[] = [];
  let ell: ExtendedLinkLayer | null = null;
  let afl: AuthenticationLayer | null = null;
  let sealed = false;

  for (;;) {
    if (walk.pos >= walk.end) {
      throw transportError('FRAME_TOO_SHORT', `no CI field at offset ${walk.pos}`, walk.pos);
    }
    const ci = walk.bytes[walk.pos]!;
    ciChain.push(ci);
    if (isEllCi(ci)) {
      if (linkBytes === null || ciChain.length > 1) {
        throw transportError(
          'UNSUPPORTED_CI',
          `ELL CI ${ci.toString(16)} where none may stand`,
          walk.pos,
        );
      }
      ell = readExtendedLinkLayer(walk.bytes, walk.pos, walk.end);
      if (ell.sessionOffset < 0) {
        walk.pos = ell.payloadOffset;
        continue;
      }
      const next = openEll(walk, ell, linkBytes);
      if (next === null) {
        sealed = true;
        break;
      }
      walk = next;
      continue;
    }
    if (ci === CI_AFL) {
      if (afl !== null) throw transportError('UNSUPPORTED_CI', 'a second AFL', walk.pos);
      afl = readAuthenticationLayer(walk.bytes, walk.pos, walk.end);
      walk.pos = afl.end;
      continue;
    }
    break;
  }

  let payloadCi = -1;
  let tpl: TransportHeader | null = null;
  let longHeader: MeterAddress | null = null;
  if (!sealed) {
    payloadCi = walk.bytes[walk.pos]!;
    if (!isManufacturerSpecificCi(payloadCi)) {
      tpl = readTransportHeader(walk.bytes, walk.pos, walk.end);
      if (tpl.addressOffset >= 0) {
        longHeader = readLongHeaderAddress(walk.bytes, tpl.addressOffset);
      }
    }
  }

  let link: MeterAddress;
  if (linkBytes !== null) {
    link = readLinkAddress(linkBytes, 2);
  } else {
    // Wired M-Bus has no M or A in its link layer: the primary address stands in for the id.
    link = {
      manufacturer: longHeader?.manufacturer ?? '',
      id: String(primaryAddress),
      version: longHeader?.version ?? 0,
      deviceType: longHeader?.deviceType ?? 0,
    };
  }

  return {
    medium,
    control,
    linkBytes,
    linkFrame,
    walk,
    ciChain,
    ell,
    afl,
    sealed,
    payloadCi,
    tpl,
    link,
    meter: longHeader ?? {
      manufacturer: link.manufacturer,
      id: link.id,
      version: link.version,
      deviceType: link.deviceType,
    },
    accessNumber: tpl?.accessNumber ?? ell?.accessNumber ?? null,
  };
}
