import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The stored form of a high-entropy bearer secret (API keys, refresh tokens):
 * SHA-256, base64url. A plain digest is right here, unlike for passwords: the
 * secret is 256 random bits, so there is no dictionary to try and a slow hash
 * would add nothing but latency to every call. It only has to make a leaked
 * table useless, and for a secret this long it does.
 */
export function hashSecret(secret: string): string {
  return digest(secret).toString('base64url');
}

/** Whether a presented secret is the one stored as `secretHash`, in constant time. */
export function secretMatches(secret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, 'base64url');
  const actual = digest(secret);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
