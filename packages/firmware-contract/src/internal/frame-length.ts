import { hexToBytes, parseLinkHeader } from '@zaehlwerk/wmbus';

/**
 * Whether a frame's L field fits its length, for the CRC state the gateway
 * states (EN 13757-4 frame formats A and B). The codec keeps its own length
 * rules internal, so the contract states the arithmetic it promises vendors.
 */

const BLOCK = 16;

/**
 * Bytes a receiver may leave after the frame. Real meters count L short (the
 * shared corpus has frames 4 bytes longer than L says), and the gateway must
 * forward them as received, so a little slack is not a contract violation.
 * The codec tolerates the same amount.
 */
export const TOLERATED_TRAILING_BYTES = 16;

type Format = 'A' | 'B';
type Crc = 'present' | 'stripped';

/** CRCs of a frame with this L: format A one per 10-byte first block and per 16 data bytes. */
function crcCount(l: number, format: Format): number {
  if (format === 'A') return 1 + Math.ceil((l - 9) / BLOCK);
  return l <= 127 ? 1 : 2;
}

/** Whether L can be a frame of this format at all (C M A need 9 bytes; B counts its CRCs). */
function plausibleL(l: number, format: Format): boolean {
  return format === 'A' ? l >= 9 : l >= 11 && (l <= 127 || l >= 130);
}

/** Bytes of the whole frame, L included, that its L field announces. */
export function expectedFrameLength(l: number, format: Format, crc: Crc): number {
  // Format A's L leaves CRCs out; format B's L counts them.
  if (format === 'A') return crc === 'present' ? l + 1 + 2 * crcCount(l, 'A') : l + 1;
  return crc === 'present' ? l + 1 : l + 1 - 2 * crcCount(l, 'B');
}

/**
 * Checks a frame given as hex (already known to be even-length hex of at least
 * 10 bytes). Returns null when it fits, or the reason it does not.
 */
export function frameLengthProblem(hex: string, crc: Crc, format?: Format): string | null {
  let bytes: Uint8Array;
  let l: number;
  try {
    bytes = hexToBytes(hex);
    l = parseLinkHeader(bytes).length;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  // Without a stated format the frame is taken as format A (what modes S and T
  // always use, and most C receivers deliver): a stripped format-A frame has
  // exactly the length of a format-B frame with CRCs, so guessing would let a
  // wrong crc statement pass unnoticed.
  const f: Format = format ?? 'A';
  if (!plausibleL(l, f)) return `L field ${l} is impossible for a format-${f} frame`;
  const expected = expectedFrameLength(l, f, crc);
  const extra = bytes.length - expected;
  if (extra >= 0 && extra <= TOLERATED_TRAILING_BYTES) return null;
  return (
    `L field ${l} does not fit a frame of ${bytes.length} bytes with CRCs ${crc}: ` +
    `format ${f} needs ${expected} bytes (at most ${TOLERATED_TRAILING_BYTES} more tolerated)`
  );
}
