/**
 * CI fields of messages from a meter (EN 13757-7:2018 table 2). The CI names
 * the layer that follows and, for the transport layer, its header.
 */

export type TplHeaderKind = 'none' | 'short' | 'long';

export const CI_ELL_SHORT = 0x8c; // CC ACC
export const CI_ELL_SESSION = 0x8d; // CC ACC SN PayloadCRC
export const CI_ELL_ADDRESS = 0x8e; // CC ACC M A
export const CI_ELL_ADDRESS_SESSION = 0x8f; // CC ACC M A SN PayloadCRC
export const CI_AFL = 0x90;

export function isEllCi(ci: number): boolean {
  return ci >= CI_ELL_SHORT && ci <= CI_ELL_ADDRESS_SESSION;
}

/** 0xA0–0xB7: layouts of the manufacturer's own (EN 13757-3 clause 13); drivers read them. */
export function isManufacturerSpecificCi(ci: number): boolean {
  return ci >= 0xa0 && ci <= 0xb7;
}

/** Compact M-Bus frames (format signature and data CRC in front of bare data), by header. */
export function isCompactFrameCi(ci: number): boolean {
  return ci === 0x73 || ci === 0x79 || ci === 0x7b;
}

/** The TPL header a CI of a meter's message carries, or undefined for CIs this codec does not read. */
export function tplHeaderOf(ci: number): TplHeaderKind | undefined {
  switch (ci) {
    case 0x66: // response of selected application
    case 0x69: // M-Bus format frame
    case 0x70: // application error
    case 0x71: // alarm
    case 0x78: // full M-Bus frame
    case 0x79: // compact M-Bus frame
    case 0x89: // network management data
      return 'none';
    case 0x67:
    case 0x6a:
    case 0x6e:
    case 0x74:
    case 0x7a:
    case 0x7b:
    case 0x7d: // DLMS/COSEM
    case 0x7f: // OBIS value descriptors
    case 0x88:
    case 0x8a: // transport layer without application layer
      return 'short';
    case 0x68:
    case 0x6b:
    case 0x6f:
    case 0x72:
    case 0x73:
    case 0x75:
    case 0x7c:
    case 0x7e:
    case 0x87:
    case 0x8b:
      return 'long';
    default:
      return undefined;
  }
}
