import { WmbusError } from '../wmbus-error.js';

/**
 * The long frame of wired M-Bus (EN 13757-2): 68 L L 68 C A CI … CS 16.
 * L counts C through the last data byte; CS is their sum modulo 256.
 */
export interface WiredLongFrame {
  control: number;
  /** Primary address (0–250 for meters). */
  address: number;
  /** Offset of the CI field. */
  ciOffset: number;
  /** End of the user data: the offset of the checksum. */
  end: number;
}

const START = 0x68;
const STOP = 0x16;
/** 68 L L 68 and CS 16 around the L bytes. */
const OVERHEAD = 6;

/**
 * Whether `frame` has the shape of a wired long frame: both start bytes, L
 * twice, L + 6 bytes in all. (A wireless frame would need L 0x68, C equal to
 * the manufacturer's low byte, 0x68 as its high byte and C + 6 bytes to pass.)
 */
export function isWiredLongFrame(frame: Uint8Array): boolean {
  const n = frame.length;
  return (
    n >= OVERHEAD + 3 &&
    frame[0] === START &&
    frame[3] === START &&
    frame[1] === frame[2] &&
    n === frame[1]! + OVERHEAD
  );
}

/**
 * Reads a wired long frame and checks its stop byte (`LENGTH_MISMATCH` at its
 * offset) and its checksum (`CRC_MISMATCH` at the checksum's offset).
 */
export function readWiredLongFrame(frame: Uint8Array): WiredLongFrame {
  if (!isWiredLongFrame(frame)) {
    throw new WmbusError(
      'LENGTH_MISMATCH',
      'not a wired M-Bus long frame (68 L L 68 … 16 with L + 6 bytes)',
      0,
    );
  }
  if (frame[frame.length - 1] !== STOP) {
    throw new WmbusError(
      'LENGTH_MISMATCH',
      `no stop byte 16 where L puts the end of the frame (offset ${frame.length - 1})`,
      frame.length - 1,
    );
  }
  const end = frame.length - 2;
  let sum = 0;
  for (let i = 4; i < end; i++) sum += frame[i]!;
  if ((sum & 0xff) !== frame[end]) {
    throw new WmbusError(
      'CRC_MISMATCH',
      `checksum at offset ${end} is ${frame[end]}, expected ${sum & 0xff}`,
      end,
    );
  }
  return { control: frame[4]!, address: frame[5]!, ciOffset: 6, end };
}

/** Wraps C, A and the user data (CI …) into a long frame, for tests and simulators. */
export function wrapWiredLongFrame(
  control: number,
  address: number,
  userData: Uint8Array,
): Uint8Array {
  const l = userData.length + 2;
  if (userData.length < 1 || l > 0xff) {
    throw new WmbusError(
      'LENGTH_MISMATCH',
      `user data of ${userData.length} bytes does not fit a long frame`,
    );
  }
  const out = new Uint8Array(l + OVERHEAD);
  out[0] = START;
  out[1] = l;
  out[2] = l;
  out[3] = START;
  out[4] = control & 0xff;
  out[5] = address & 0xff;
  out.set(userData, 6);
  let sum = 0;
  for (let i = 4; i < out.length - 2; i++) sum += out[i]!;
  out[out.length - 2] = sum & 0xff;
  out[out.length - 1] = STOP;
  return out;
}
