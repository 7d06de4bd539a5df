import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors.js';

/**
 * Current scrypt cost: N = 2^15, r = 8, p = 1 is OWASP's scrypt baseline and
 * takes about 32 MiB and tens of milliseconds per hash. Raise it here; stored
 * hashes keep their own parameters, and needsRehash tells when to upgrade one
 * at the next successful login.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * Bounds for parameters read back from a stored value. Stored hashes are ours,
 * but a corrupted or planted one must not make a login allocate gigabytes.
 */
const LIMITS = {
  maxN: 2 ** 20,
  maxR: 32,
  maxP: 16,
  /** 128 * N * r * p: memory and work together, 8 times the current baseline. */
  maxWork: 256 * 1024 * 1024,
  minKey: 16,
  maxKey: 64,
} as const;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '');
}

// scrypt needs 128 * N * r * p bytes plus a little; Node's default maxmem (32 MiB)
// is exactly the baseline's need and would refuse it.
function derive(plain: string, salt: Buffer, params: ScryptParams, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      plain,
      salt,
      keyLength,
      { ...params, maxmem: 128 * params.N * params.r * params.p + 16 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/**
 * Refuses input no person types as a password. The upper bound keeps a request
 * from buying seconds of CPU; NFC makes the same password typed on different
 * keyboards hash the same.
 */
function normalise(plain: string): string {
  if (typeof plain !== 'string' || plain.length === 0) {
    throw new DomainError('VALIDATION_FAILED', 'the password is empty', {
      details: { field: 'password', reason: 'empty' },
    });
  }
  if (plain.length > PASSWORD_MAX_LENGTH) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `the password is longer than ${PASSWORD_MAX_LENGTH} characters`,
      { details: { field: 'password', reason: 'too-long', maxLength: PASSWORD_MAX_LENGTH } },
    );
  }
  return plain.normalize('NFC');
}

const B64 = '[A-Za-z0-9+/]+';
const STORED = new RegExp(`^scrypt\\$(\\d{1,8})\\$(\\d{1,3})\\$(\\d{1,3})\\$(${B64})\\$(${B64})$`);

function parse(stored: unknown): ParsedHash | null {
  if (typeof stored !== 'string') return null;
  const m = STORED.exec(stored);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  // Node decodes sloppy base64 leniently; only what format() would write is ours.
  if (b64(salt) !== m[4] || b64(hash) !== m[5]) return null;
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > LIMITS.maxN || r < 1 || r > LIMITS.maxR || p < 1 || p > LIMITS.maxP) {
    return null;
  }
  if (128 * N * r * p > LIMITS.maxWork) return null;
  if (salt.length < 8 || hash.length < LIMITS.minKey || hash.length > LIMITS.maxKey) return null;
  return { N, r, p, salt, hash };
}

function format({ N, r, p, salt, hash }: ParsedHash): string {
  return `scrypt$${N}$${r}$${p}$${b64(salt)}$${b64(hash)}`;
}

/**
 * A hash nothing matches: its "hash" is random bytes, not derived from any
 * password. Made at load so the first unknown-user login costs the same as
 * every later one.
 */
const DUMMY: ParsedHash = {
  ...SCRYPT_PARAMS,
  salt: randomBytes(SALT_BYTES),
  hash: randomBytes(KEY_BYTES),
};

/** Hashes a password into `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`. */
export async function hashPassword(plain: string): Promise<string> {
  const normalised = normalise(plain);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(normalised, salt, SCRYPT_PARAMS, KEY_BYTES);
  return format({ ...SCRYPT_PARAMS, salt, hash });
}

/**
 * True when the password matches. A stored value that cannot be read is a
 * mismatch, not a crash: the login answers as for a wrong password and the
 * broken record is found by needsRehash or by an operator, not by the user.
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  const normalised = normalise(plain);
  const parsed = parse(stored) ?? DUMMY;
  const candidate = await derive(normalised, parsed.salt, parsed, parsed.hash.length);
  const equal = timingSafeEqual(candidate, parsed.hash);
  return equal && parsed !== DUMMY;
}

/** True when the stored hash is unreadable or weaker than SCRYPT_PARAMS. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  return (
    parsed.N < SCRYPT_PARAMS.N ||
    parsed.r < SCRYPT_PARAMS.r ||
    parsed.p < SCRYPT_PARAMS.p ||
    parsed.hash.length < KEY_BYTES ||
    parsed.salt.length < SALT_BYTES
  );
}

/**
 * For a login whose email matches no user: spends the same scrypt work as a
 * real check and answers false, so response time does not tell which emails
 * have accounts. Input checks are the same as verifyPassword's, for the same
 * reason.
 */
export async function verifyPasswordOfUnknownUser(plain: string): Promise<false> {
  await verifyPassword(plain, '');
  return false;
}
