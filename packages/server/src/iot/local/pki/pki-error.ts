/**
 * Stable codes of the local certificate authority. Callers (the emulator's
 * provisioning topics, the registry, HTTP routes) branch on the code, never on
 * the message, so a code keeps its meaning once published.
 */
export const PKI_ERROR_CODES = [
  /** The CSR is not a parsable PKCS#10 request in PEM. */
  'CSR_INVALID',
  /** The CSR's self-signature does not match its content: tampered or corrupt. */
  'CSR_SIGNATURE_INVALID',
  /** RSA key shorter than 2048 bits. */
  'KEY_TOO_WEAK',
  /** Any key other than RSA ≥ 2048 or EC P-256/P-384 (e.g. P-521, secp256k1, Ed25519). */
  'KEY_UNSUPPORTED',
  /** The CSR names a CN that differs from the thing name it is signed for. */
  'CN_MISMATCH',
  'THING_NAME_INVALID',
  'PARTNER_ID_INVALID',
  'MONITOR_NAME_INVALID',
  'INGEST_WORKER_NAME_INVALID',
  'VALIDITY_INVALID',
  'HOSTNAME_INVALID',
  /** Only one of the CA's two files exists; regenerating would orphan every issued certificate. */
  'CA_STORE_INCOMPLETE',
  /** The CA's files cannot be read as a CA certificate and its matching private key. */
  'CA_STORE_INVALID',
  /** The CA's private key file can be read by group or others. */
  'CA_STORE_INSECURE',
  /** The CA's own validity has ended: it can sign nothing a verifier would accept. */
  'CA_EXPIRED',
] as const;

export type PkiErrorCode = (typeof PKI_ERROR_CODES)[number];

export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

export function isPkiError(err: unknown): err is PkiError {
  // By name, not instanceof: two bundled copies of this module must still agree.
  return err instanceof Error && err.name === 'PkiError' && 'code' in err;
}
