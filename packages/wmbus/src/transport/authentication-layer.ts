import { transportError } from './transport-error.js';

/**
 * The Authentication and Fragmentation Layer (EN 13757-7 clause 6), CI 0x90:
 * AFLL, FCL(2), then as FCL announces MCL, KI(2), MCR(4), MAC, ML(2).
 */
export interface AuthenticationLayer {
  fragmentControl: number;
  /** Message control (AT in bits 3..0), or null. */
  messageControl: number | null;
  keyInformation: number | null;
  /** MCR: the 32-bit message counter, or null. */
  messageCounter: number | null;
  /** Offsets into the frame for the MAC input and the KDF: -1 when absent. */
  mclOffset: number;
  mcrOffset: number;
  mlOffset: number;
  macOffset: number;
  /** 0 when the AFL carries no MAC. */
  macLength: number;
  /** Offset after the AFL: the next CI. */
  end: number;
}

export const FCL_MORE_FRAGMENTS = 0x4000;
export const FCL_MCL_PRESENT = 0x2000;
export const FCL_ML_PRESENT = 0x1000;
export const FCL_MCR_PRESENT = 0x0800;
export const FCL_MAC_PRESENT = 0x0400;
export const FCL_KI_PRESENT = 0x0200;

/** MCL value OMS meters send: MCR present (bit 5), AT = 5, an 8-byte AES-CMAC. */
export const MCL_CMAC_8 = 0x25;

export function readAuthenticationLayer(
  bytes: Uint8Array,
  pos: number,
  end: number,
): AuthenticationLayer {
  if (pos + 4 > end) {
    throw transportError('FRAME_TOO_SHORT', `the AFL at offset ${pos} is cut off`, pos);
  }
  const afll = bytes[pos + 1]!;
  const aflEnd = pos + 2 + afll;
  if (afll < 2 || aflEnd > end) {
    throw transportError(
      'FRAME_TOO_SHORT',
      `AFL length ${afll} at offset ${pos} does not fit the frame`,
      pos + 1,
    );
  }
  const fcl = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
  if (fcl & FCL_MORE_FRAGMENTS) {
    throw transportError(
      'UNSUPPORTED_FRAGMENT',
      `AFL fragment ${fcl & 0xff} of a message that continues in later frames`,
      pos + 2,
    );
  }
  let p = pos + 4;
  const take = (size: number): number => {
    const at = p;
    p += size;
    return at;
  };
  const mclOffset = fcl & FCL_MCL_PRESENT ? take(1) : -1;
  const kiOffset = fcl & FCL_KI_PRESENT ? take(2) : -1;
  const mcrOffset = fcl & FCL_MCR_PRESENT ? take(4) : -1;
  // The MAC takes what AFLL leaves after the other fields (its size also follows from MCL's AT).
  const macLength = fcl & FCL_MAC_PRESENT ? aflEnd - p - (fcl & FCL_ML_PRESENT ? 2 : 0) : 0;
  if (macLength < 0 || macLength > 16 || (fcl & FCL_MAC_PRESENT && macLength === 0)) {
    throw transportError(
      'FRAME_TOO_SHORT',
      `AFL length ${afll} at offset ${pos} leaves no room for the fields FCL ${fcl.toString(16)} announces`,
      pos + 1,
    );
  }
  const macOffset = macLength > 0 ? take(macLength) : -1;
  const mlOffset = fcl & FCL_ML_PRESENT ? take(2) : -1;
  if (p > aflEnd) {
    throw transportError(
      'FRAME_TOO_SHORT',
      `AFL length ${afll} at offset ${pos} leaves no room for the fields FCL ${fcl.toString(16)} announces`,
      pos + 1,
    );
  }
  return {
    fragmentControl: fcl,
    messageControl: mclOffset >= 0 ? bytes[mclOffset]! : null,
    keyInformation: kiOffset >= 0 ? bytes[kiOffset]! | (bytes[kiOffset + 1]! << 8) : null,
    messageCounter:
      mcrOffset >= 0
        ? (bytes[mcrOffset]! |
            (bytes[mcrOffset + 1]! << 8) |
            (bytes[mcrOffset + 2]! << 16) |
            (bytes[mcrOffset + 3]! << 24)) >>>
          0
        : null,
    mclOffset,
    mcrOffset,
    mlOffset,
    macOffset,
    macLength,
    end: aflEnd,
  };
}
