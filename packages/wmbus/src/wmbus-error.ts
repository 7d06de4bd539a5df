/** Stable codes of every failure the codec reports; callers branch on them. */
export const WMBUS_ERROR_CODES = [
  'INVALID_HEX',
  'FRAME_TOO_SHORT',
  'LENGTH_MISMATCH',
  'CRC_MISMATCH',
  'INVALID_MANUFACTURER',
  'UNSUPPORTED_CI',
  'KEY_REQUIRED',
  'DECRYPTION_FAILED',
  'MAC_INVALID',
  'INVALID_RECORD',
  'UNSUPPORTED_SECURITY_MODE',
  'INVALID_ARGUMENT',
  'UNSUPPORTED_FRAGMENT',
  'UNKNOWN_FORMAT',
  'INVALID_KEY',
  'INVALID_INPUT',
] as const;

export type WmbusErrorCode = (typeof WMBUS_ERROR_CODES)[number];

/** The one error class the codec throws. */
export class WmbusError extends Error {
  override readonly name = 'WmbusError';
  constructor(
    readonly code: WmbusErrorCode,
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

export function isWmbusError(err: unknown): err is WmbusError {
  return err instanceof Error && err.name === 'WmbusError' && 'code' in err;
}
