import { decodeManufacturer } from '@zaehlwerk/wmbus';

export interface SecondaryAddress {
  manufacturer: string;
  meterId: string;
  version: number;
  deviceType: number;
}

/**
 * Reads a wireless M-Bus address written as 16 hex digits (8 bytes) in the
 * order the link layer sends it (EN 13757-4, the M and A fields after L and C;
 * the same order OMS tools print as "address"):
 *
 *   bytes 0-1  manufacturer, 16 bit little endian (EN 13757-3 letter code)
 *   bytes 2-5  identification number, 8 BCD digits, least significant byte first
 *   byte  6    version
 *   byte  7    device type
 *
 * So `2D2C785634120104` is KAM, 12345678, version 0x01, device type 0x04
 * (heat). The wired M-Bus secondary
 * address (EN 13757-3 selection) puts the id first instead; it is not accepted
 * here, and such input normally fails the manufacturer or BCD check below.
 *
 * Returns a reason (without the input) when the digits do not form an address.
 */
export function parseSecondaryAddress(hex: string): SecondaryAddress | { reason: string } {
  if (!/^[0-9A-Fa-f]{16}$/.test(hex)) {
    return { reason: 'a secondary address is 16 hex digits' };
  }
  const bytes = Buffer.from(hex, 'hex');
  const manufacturer = decodeManufacturer(bytes[0]! | (bytes[1]! << 8));
  if (manufacturer.startsWith('@')) {
    return {
      reason:
        'the secondary address does not start with a manufacturer code (expected link-layer order: manufacturer, id, version, device type, little endian)',
    };
  }
  const meterId = Buffer.from(bytes.subarray(2, 6)).reverse().toString('hex');
  if (!/^[0-9]{8}$/.test(meterId)) {
    return { reason: 'the identification number in the secondary address is not BCD' };
  }
  return { manufacturer, meterId, version: bytes[6]!, deviceType: bytes[7]! };
}
