import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  verifyPassword,
  verifyPasswordOfUnknownUser,
} from './password-hash.js';

const PASSWORD = 'correct horse battery staple';

describe('password hashing', () => {
  it('writes a self-describing scrypt string with the current parameters', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(stored).not.toContain(PASSWORD);
    expect(needsRehash(stored)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword(PASSWORD)).not.toBe(await hashPassword(PASSWORD));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword(`${PASSWORD} `, stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
  });

  it('treats composed and decomposed umlauts as the same password', async () => {
    const stored = await hashPassword('Zähler\u00e4');
    expect(await verifyPassword('Za\u0308hlera\u0308', stored)).toBe(true);
  });

  it('answers false, without throwing, for a stored value it cannot read', async () => {
    const stored = await hashPassword(PASSWORD);
    const [, , , , salt, hash] = stored.split('$');
    const broken = [
      '',
      'not a hash',
      'bcrypt$2b$10$abc',
      stored.slice(0, -10),
      `scrypt$30000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // would allocate gigabytes
      `scrypt$${2 ** 20}$32$16$${salt}$${hash}`, // each in bounds, together 64 GiB
      `scrypt$32768$8$1$${salt}$`,
      `${stored}$extra`,
    ];
    for (const value of broken) expect(await verifyPassword(PASSWORD, value), value).toBe(false);
    expect(await verifyPassword(PASSWORD, undefined as unknown as string)).toBe(false);
  });

  it('verifies hashes made with other (older) parameters and asks for a rehash', async () => {
    // Made with N = 2^14, r = 8, p = 1 by an earlier release.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.alloc(16, 7);
    const hash = scryptSync(PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    const old = `scrypt$16384$8$1$${b64(salt)}$${b64(hash)}`;
    expect(await verifyPassword(PASSWORD, old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash('garbage')).toBe(true);
  });

  it('refuses empty and absurdly long passwords with VALIDATION_FAILED, without echoing them', async () => {
    const long = 'x'.repeat(PASSWORD_MAX_LENGTH) + 'SECRET-TAIL';
    for (const plain of ['', long]) {
      const errors = [
        await hashPassword(plain).catch((e: unknown) => e),
        await verifyPassword(plain, 'scrypt$1$1$1$a$b').catch((e: unknown) => e),
        await verifyPasswordOfUnknownUser(plain).catch((e: unknown) => e),
      ];
      for (const err of errors) {
        expect(err).toMatchObject({ name: 'DomainError', code: 'VALIDATION_FAILED' });
        if (plain) {
          const dump = JSON.stringify({ m: (err as Error).message, d: (err as never)['details'] });
          expect(dump).not.toContain('SECRET-TAIL');
        }
      }
    }
    expect(await hashPassword('x'.repeat(PASSWORD_MAX_LENGTH))).toMatch(/^scrypt\$/);
  });

  it('the unknown-user check always answers false', async () => {
    expect(await verifyPasswordOfUnknownUser(PASSWORD)).toBe(false);
  });
});
