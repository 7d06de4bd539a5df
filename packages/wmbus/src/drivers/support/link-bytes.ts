import type { MeterAddress } from '../../types.js';
import { WmbusError } from '../../wmbus-error.js';

/**
 * The link-layer bytes M(2) A(4) version type, as sent, from the parsed address: the
 * proprietary layouts build their IVs and keystreams from them.
 */
export function linkBytes(link: MeterAddress): Uint8Array {
  let m: number;
  const odd = /^@([0-9A-Fa-f]{4})$/.exec(link.manufacturer);
  if (odd) {
    m = parseInt(odd[1]!, 16);
  } else if (/^[A-Z]{3}$/.test(link.manufacturer)) {
    const c = link.manufacturer;
    m = ((c.charCodeAt(0) - 64) << 10) | ((c.charCodeAt(1) - 64) << 5) | (c.charCodeAt(2) - 64);
  } else {
    throw new WmbusError(
      'INVALID_MANUFACTURER',
      `cannot encode manufacturer '${link.manufacturer}'`,
    );
  }
  if (!/^[0-9A-Fa-f]{8}$/.test(link.id)) {
    throw new WmbusError(
      'DECRYPTION_FAILED',
      `keys and IVs need the 8-digit address, got '${link.id}'`,
    );
  }
  const out = new Uint8Array(8);
  out[0] = m & 0xff;
  out[1] = (m >> 8) & 0xff;
  for (let i = 0; i < 4; i++) out[2 + i] = parseInt(link.id.slice(6 - 2 * i, 8 - 2 * i), 16);
  out[6] = link.version & 0xff;
  out[7] = link.deviceType & 0xff;
  return out;
}
