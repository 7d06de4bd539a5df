import { createHash } from 'node:crypto';

/** Bytes of SHA-256 kept: 128 bits, as many as an AES block; 22 characters in base64url. */
const DIGEST_BYTES = 16;

/**
 * The stable identity of one radio transmission: SHA-256 over the frame's
 * canonical bytes (peekFrame: link CRCs removed, cut at L), the first 16
 * bytes, base64url without padding. Every gateway that heard the
 * transmission, and every resend of a batch, gives the same 22 characters;
 * any other transmission of the meter differs at least in its access number
 * or, in mode 7, its message counter.
 */
export function frameDigest(canonical: Uint8Array): string {
  return createHash('sha256')
    .update(canonical)
    .digest()
    .subarray(0, DIGEST_BYTES)
    .toString('base64url');
}
