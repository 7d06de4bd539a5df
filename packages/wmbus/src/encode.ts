import { encodeRecords, type RecordSpec } from './application/encode-records.js';
import { hexToBytes } from './hex.js';
import type { FrameFormat } from './link/frame-format.js';
import { sealFrame } from './transport/seal-frame.js';
import type { MeterAddress } from './types.js';

export interface EncodeInput {
  meter: MeterAddress;
  /** C field; 0x44 (SND-NR, a meter's periodic telegram) by default. */
  control?: number;
  /** TPL CI: 0x7A short header (default), 0x72 long header, 0x78 no header (mode 0 only). */
  ci?: number;
  accessNumber: number;
  /** Raw TPL status byte; 0 by default. */
  status?: number;
  records: readonly RecordSpec[];
  security:
    | { mode: 0 }
    | { mode: 5; key: Uint8Array | string }
    | { mode: 7; key: Uint8Array | string; messageCounter: number };
  /** Link CRCs of frame format A or B; none by default, as gateways forward frames. */
  crc?: FrameFormat | 'none';
}

/**
 * Builds a valid frame from records, the way a meter does: the records are
 * encoded, then sealed (encrypted in modes 5 and 7, with the MAC in mode 7).
 * The gateway simulator and the test vectors use this, so both speak exactly
 * what the decoder reads.
 */
export function encode(input: EncodeInput): Uint8Array {
  const payload = encodeRecords(input.records);
  const { security } = input;
  const key =
    security.mode === 0
      ? null
      : typeof security.key === 'string'
        ? hexToBytes(security.key)
        : security.key;
  return sealFrame({
    meter: input.meter,
    ...(input.control === undefined ? {} : { control: input.control }),
    ...(input.ci === undefined ? {} : { ci: input.ci }),
    accessNumber: input.accessNumber,
    ...(input.status === undefined ? {} : { status: input.status }),
    mode: security.mode,
    key,
    ...(security.mode === 7 ? { messageCounter: security.messageCounter } : {}),
    payload,
    crc: input.crc ?? 'none',
  });
}
