import { crc16En13757 } from '../crc.js';
import { WmbusError } from '../wmbus-error.js';

/**
 * Frame formats A and B of EN 13757-4 and their link-layer CRCs.
 *
 * Format A: the first block is L C M A (10 bytes) + CRC; the data follows in
 * blocks of 16 bytes + CRC, the last one shorter. L counts the bytes after it
 * without the CRCs.
 *
 * Format B: the first block (10 bytes) has no CRC of its own; the second block
 * runs up to byte 126 (CI plus at most 115 data bytes) and ends in a CRC over
 * blocks 1 and 2; longer frames have a third block with its own CRC. L counts
 * the bytes after it including the CRCs.
 *
 * Receivers differ: some forward frames with CRCs, most strip them (wmbusmeters
 * writes telegrams stripped, with L unchanged). The L field never changes here.
 */

export type FrameFormat = 'A' | 'B';
export type CrcState = 'present' | 'stripped';

export interface FrameFormatOptions {
  /** Whether the frame still holds its CRCs; 'auto' reads it from the L field. Default 'auto'. */
  crc?: 'auto' | CrcState;
  /**
   * 'auto' (default) takes format A, or format B when its CRCs are already stripped.
   * A format-B frame that still holds its CRCs has as many bytes as a stripped
   * format-A frame, so it needs `format: 'B'`.
   */
  format?: 'auto' | FrameFormat;
}

export interface FrameLayout {
  format: FrameFormat;
  crc: CrcState;
}

export interface UnwrappedFrame extends FrameLayout {
  /** L C M A CI … without CRCs (the input itself when it had none; L as received). */
  bytes: Uint8Array;
  /**
   * Bytes the L field announces once CRCs are removed, L included. `bytes` can
   * be longer: bytes a receiver appended, or a meter that counts L wrong.
   */
  declaredLength: number;
}

const FIRST_BLOCK = 10;
const BLOCK = 16;
/** Format B: blocks 1 and 2 together, CRC included, when a third block follows. */
const B_BLOCKS_1_2 = 128;
/** Format B frames with L up to this value have one CRC. */
const B_MAX_L_ONE_CRC = 127;

/**
 * Bytes after the frame that are tolerated and handed on: some receivers append
 * RSSI or a timestamp, and some meters count L short (the corpus has frames
 * 1 and 4 bytes longer than L says). More than this is not one frame.
 */
export const TOLERATED_TRAILING_BYTES = 16;

function crcCountA(l: number): number {
  return 1 + Math.ceil((l - 9) / BLOCK);
}

function validB(l: number): boolean {
  // 9 bytes C M A and a CRC at least; with L 128 or 129 a third block could hold no data.
  return l >= 11 && (l <= B_MAX_L_ONE_CRC || l >= B_BLOCKS_1_2 + 2);
}

function crcCountB(l: number): number {
  return l <= B_MAX_L_ONE_CRC ? 1 : 2;
}

/** Bytes of a frame with CRCs, L included, for its L field. */
export function lengthWithCrcs(l: number, format: FrameFormat): number {
  return format === 'A' ? l + 1 + 2 * crcCountA(l) : l + 1;
}

/** Bytes of a frame without CRCs, L included, for its L field. */
export function lengthWithoutCrcs(l: number, format: FrameFormat): number {
  return format === 'A' ? l + 1 : l + 1 - 2 * crcCountB(l);
}

function validL(l: number, format: FrameFormat): boolean {
  return format === 'A' ? l >= 9 : validB(l);
}

function readCrc(frame: Uint8Array, at: number): number {
  return (frame[at]! << 8) | frame[at + 1]!;
}

/** The blocks of a frame with CRCs: [start, end) of the data each CRC covers, the CRC right after. */
function forEachBlock(
  l: number,
  format: FrameFormat,
  visit: (start: number, end: number) => boolean,
): boolean {
  if (format === 'A') {
    if (!visit(0, FIRST_BLOCK)) return false;
    let at = FIRST_BLOCK + 2;
    for (let left = l - 9; left > 0; left -= BLOCK) {
      const size = Math.min(BLOCK, left);
      if (!visit(at, at + size)) return false;
      at += size + 2;
    }
    return true;
  }
  if (l <= B_MAX_L_ONE_CRC) return visit(0, l - 1);
  return visit(0, B_BLOCKS_1_2 - 2) && visit(B_BLOCKS_1_2, l - 1);
}

function crcsValid(frame: Uint8Array, format: FrameFormat): boolean {
  return forEachBlock(
    frame[0]!,
    format,
    (start, end) => crc16En13757(frame, start, end) === readCrc(frame, end),
  );
}

function tooShort(n: number): WmbusError {
  return new WmbusError('FRAME_TOO_SHORT', `a frame has at least ${FIRST_BLOCK} bytes, got ${n}`);
}

function lengthMismatch(n: number, l: number, what: string): WmbusError {
  return new WmbusError(
    'LENGTH_MISMATCH',
    `L field ${l} does not fit a frame of ${n} bytes ${what}`,
    0,
  );
}

/** Whether `frame` is a frame of `format` that still holds its CRCs (length from L, then the CRCs). */
function fitsWithCrcs(frame: Uint8Array, format: FrameFormat, checkCrcs: boolean): boolean {
  const l = frame[0]!;
  if (!validL(l, format)) return false;
  const len = lengthWithCrcs(l, format);
  const trailing = frame.length - len;
  if (trailing < 0 || trailing > TOLERATED_TRAILING_BYTES) return false;
  return !checkCrcs || crcsValid(frame, format);
}

function fitsWithoutCrcs(frame: Uint8Array, format: FrameFormat, exact: boolean): boolean {
  const l = frame[0]!;
  if (!validL(l, format)) return false;
  const trailing = frame.length - lengthWithoutCrcs(l, format);
  return exact ? trailing === 0 : trailing >= 0 && trailing <= TOLERATED_TRAILING_BYTES;
}

/**
 * Tells from the L field whether `frame` still holds its CRCs, and its format.
 * With `crc: 'auto'` a frame is taken to hold CRCs when its length is exactly
 * L + 1 + 2·blocks (format A), or longer and every CRC checks (bytes appended
 * by the receiver); otherwise it is taken as stripped.
 */
export function detectFrameFormat(
  frame: Uint8Array,
  options: FrameFormatOptions = {},
): FrameLayout {
  const crc = options.crc ?? 'auto';
  const format = options.format ?? 'auto';
  const n = frame.length;
  if (n < FIRST_BLOCK) throw tooShort(n);
  const l = frame[0]!;
  const formats: FrameFormat[] = format === 'auto' ? ['A', 'B'] : [format];

  if (crc !== 'stripped') {
    for (const f of formats) {
      if (f === 'B' && format === 'auto' && crc === 'auto') continue; // see FrameFormatOptions.format
      const exact = validL(l, f) && n === lengthWithCrcs(l, f);
      if (fitsWithCrcs(frame, f, !exact || (crc === 'present' && formats.length > 1))) {
        return { format: f, crc: 'present' };
      }
    }
    if (crc === 'present') {
      // Nothing checks: report the CRC of the likeliest reading rather than a vague mismatch.
      for (const f of formats) {
        if (fitsWithCrcs(frame, f, false)) return { format: f, crc: 'present' };
      }
      throw lengthMismatch(n, l, 'with CRCs');
    }
  }
  for (const f of formats) {
    // A stripped format-B frame is shorter than L + 1; in 'auto' only an exact fit counts,
    // lest a truncated format-A frame pass for one.
    if (fitsWithoutCrcs(frame, f, f === 'B' && format === 'auto')) {
      return { format: f, crc: 'stripped' };
    }
  }
  throw lengthMismatch(n, l, crc === 'stripped' ? 'without CRCs' : 'with or without CRCs');
}

/**
 * Checks every CRC of a frame that holds them and returns the frame without
 * them (a new array; L unchanged; bytes after the last block dropped).
 * Throws `CRC_MISMATCH` with the offset of the first bad CRC.
 */
export function checkAndRemoveCrcs(frame: Uint8Array, format: FrameFormat): Uint8Array {
  if (frame.length < FIRST_BLOCK) throw tooShort(frame.length);
  const l = frame[0]!;
  if (!validL(l, format) || frame.length < lengthWithCrcs(l, format)) {
    throw lengthMismatch(frame.length, l, `with format-${format} CRCs`);
  }
  const out = new Uint8Array(lengthWithoutCrcs(l, format));
  let to = 0;
  forEachBlock(l, format, (start, end) => {
    const expected = crc16En13757(frame, start, end);
    if (expected !== readCrc(frame, end)) {
      throw new WmbusError(
        'CRC_MISMATCH',
        `CRC at offset ${end} is ${readCrc(frame, end).toString(16).padStart(4, '0')}, expected ${expected.toString(16).padStart(4, '0')}`,
        end,
      );
    }
    out.set(frame.subarray(start, end), to);
    to += end - start;
    return true;
  });
  return out;
}

/**
 * Adds the CRCs of `format` to a frame without them (the encode direction).
 * L must already be as the format counts it: format A the bytes after L,
 * format B the bytes after L plus 2 per CRC.
 */
export function addCrcs(frame: Uint8Array, format: FrameFormat): Uint8Array {
  if (frame.length < FIRST_BLOCK) throw tooShort(frame.length);
  const l = frame[0]!;
  if (!validL(l, format) || frame.length !== lengthWithoutCrcs(l, format)) {
    throw lengthMismatch(frame.length, l, `without format-${format} CRCs`);
  }
  const out = new Uint8Array(lengthWithCrcs(l, format));
  let from = 0;
  forEachBlock(l, format, (start, end) => {
    out.set(frame.subarray(from, from + end - start), start);
    from += end - start;
    const crc = crc16En13757(out, start, end);
    out[end] = crc >> 8;
    out[end + 1] = crc & 0xff;
    return true;
  });
  return out;
}

/** Detects the layout of `frame` and removes its CRCs if it has them. */
export function unwrapFrame(frame: Uint8Array, options: FrameFormatOptions = {}): UnwrappedFrame {
  const layout = detectFrameFormat(frame, options);
  const l = frame[0]!;
  const declaredLength = lengthWithoutCrcs(l, layout.format);
  const bytes = layout.crc === 'present' ? checkAndRemoveCrcs(frame, layout.format) : frame;
  // No object spread here: it costs more than the rest of this function on a hot path.
  return { format: layout.format, crc: layout.crc, bytes, declaredLength };
}
