import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PkiError } from './pki-error.js';

/** The CA as it rests on disk: two PEM files, so operators can inspect them with openssl. */
export interface CaFiles {
  certificatePem: string;
  privateKeyPem: string;
}

export const CA_CERTIFICATE_FILE = 'ca-certificate.pem';
export const CA_PRIVATE_KEY_FILE = 'ca-private-key.pem';

/** Returns the stored CA, or null when `dir` holds none yet. */
export async function readCaFiles(dir: string): Promise<CaFiles | null> {
  const certificatePath = join(dir, CA_CERTIFICATE_FILE);
  const keyPath = join(dir, CA_PRIVATE_KEY_FILE);
  const [certificatePem, privateKeyPem] = await Promise.all([
    readIfPresent(certificatePath),
    readIfPresent(keyPath),
  ]);
  if (certificatePem === null && privateKeyPem === null) return null;
  if (certificatePem === null || privateKeyPem === null) {
    // Never regenerate over half a CA: every gateway certificate it issued would be orphaned.
    const [present, missing] =
      certificatePem === null ? [keyPath, certificatePath] : [certificatePath, keyPath];
    throw new PkiError(
      'CA_STORE_INCOMPLETE',
      `${present} exists but ${missing} does not. Restore it, or remove both to start a new CA ` +
        '(certificates issued by the old one will then be refused).',
    );
  }
  await assertPrivate(keyPath);
  return { certificatePem, privateKeyPem };
}

export async function writeCaFiles(dir: string, files: CaFiles): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // `wx` fails rather than overwrite: a CA key is never replaced behind an operator's back.
  // The key goes first, so a crash in between leaves a state readCaFiles reports.
  await writeFile(join(dir, CA_PRIVATE_KEY_FILE), files.privateKeyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, CA_CERTIFICATE_FILE), files.certificatePem, {
    mode: 0o644,
    flag: 'wx',
  });
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Like ssh with its keys: refuse a CA key that others on the machine can read. */
async function assertPrivate(keyPath: string): Promise<void> {
  if (process.platform === 'win32') return; // POSIX modes mean nothing there.
  const { mode } = await stat(keyPath);
  if ((mode & 0o077) !== 0) {
    throw new PkiError(
      'CA_STORE_INSECURE',
      `${keyPath} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it.`,
    );
  }
}
