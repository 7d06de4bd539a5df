import { createHash } from 'node:crypto';

/**
 * AWS IoT names a certificate by the SHA-256 of its DER encoding in lower-case
 * hex (64 characters); the registry, policies' `principal()` and the events all
 * use that id, so the emulator does the same.
 */
export function certificateIdOf(der: ArrayBuffer | Uint8Array): string {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  return createHash('sha256').update(bytes).digest('hex');
}
