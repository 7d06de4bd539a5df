import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { keyError } from './key-errors.js';
import {
  canonicalContext,
  type DataKey,
  type MasterKey,
  type WrapContext,
  type WrappedKey,
} from './master-key.js';

/** The file name under `<dataDir>/keys/`. */
export const MASTER_KEY_FILE = 'master-keys.json';
const FORMAT = 'zw-master-keys/1';
const BLOB_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

interface FileKey {
  id: string;
  createdAt: string;
  /** base64 of 32 random bytes; absent once retired. */
  key?: string;
  retiredAt?: string;
}

interface KeyFile {
  format: typeof FORMAT;
  current: string;
  keys: FileKey[];
}

interface Ring {
  current: string;
  /** Usable keys by id. */
  usable: Map<string, KeyObject>;
  retired: Set<string>;
  /** Kept to write back; the material in it is only ever serialised to the file. */
  file: KeyFile;
}

export interface LocalMasterKeyOptions {
  /**
   * The server's data directory: keys live in `<dataDir>/keys/master-keys.json`,
   * created on first use (directory 700, file 600). Without it the keys live in
   * memory and die with the process, which suits tests and throwaway demos only.
   */
  dataDir?: string;
}

/**
 * Master keys in a local JSON file (or in memory): AES-256-GCM, the wrap
 * context as additional data.
 *
 * One process should rotate and retire at a time (the server, or a CLI while
 * the server is stopped); writes are atomic renames without a lock. Other
 * processes reading the same file notice a change before they wrap and when
 * they meet an unknown key id, so a rotation needs no restart.
 */
export class LocalMasterKey implements MasterKey {
  readonly path: string | null;
  #ring: Ring;
  #stamp: string | null;

  private constructor(path: string | null, ring: Ring, stamp: string | null) {
    this.path = path;
    this.#ring = ring;
    this.#stamp = stamp;
  }

  static async open(options: LocalMasterKeyOptions = {}): Promise<LocalMasterKey> {
    if (options.dataDir === undefined) {
      return new LocalMasterKey(null, toRing(newFile()), null);
    }
    const dir = join(options.dataDir, 'keys');
    const path = join(dir, MASTER_KEY_FILE);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await createIfAbsent(path, newFile());
    const { ring, stamp } = await load(path);
    return new LocalMasterKey(path, ring, stamp);
  }

  keyId(): string {
    return this.#ring.current;
  }

  accepts(masterKeyId: string): boolean {
    return this.#ring.usable.has(masterKeyId);
  }

  /** Ids that still unwrap, current first. */
  keyIds(): string[] {
    const others = [...this.#ring.usable.keys()].filter((id) => id !== this.#ring.current);
    return [this.#ring.current, ...others];
  }

  async generateDataKey(context: WrapContext): Promise<DataKey> {
    const plain = new Uint8Array(randomBytes(KEY_BYTES));
    return { plain, wrapped: await this.wrap(plain, context) };
  }

  async wrap(plain: Uint8Array, context: WrapContext): Promise<WrappedKey> {
    // Another process may have rotated and retired the key we hold as current;
    // a blob wrapped under it now could never be opened there.
    await this.#reloadIfChanged();
    const id = this.#ring.current;
    const key = this.#ring.usable.get(id)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(canonicalContext(context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const blob = Buffer.concat([Buffer.of(BLOB_VERSION), iv, body, cipher.getAuthTag()]);
    return { masterKeyId: id, blob: new Uint8Array(blob) };
  }

  async unwrap(wrapped: WrappedKey, context: WrapContext): Promise<Uint8Array> {
    const { masterKeyId: id, blob } = wrapped;
    if (!this.#ring.usable.has(id)) await this.#reloadIfChanged();
    const key = this.#ring.usable.get(id);
    if (key === undefined) {
      throw keyError(
        'master-key-unknown',
        this.#ring.retired.has(id)
          ? `master key ${id} is retired; blobs under it had to be rewrapped before it was retired`
          : `master key ${id} is not in this key ring`,
        { masterKeyId: id },
      );
    }
    if (blob.length <= 1 + IV_BYTES + TAG_BYTES || blob[0] !== BLOB_VERSION) {
      throw keyError('unwrap-failed', `wrapped key under ${id} is not a local-key blob`, {
        masterKeyId: id,
      });
    }
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(canonicalContext(context));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    try {
      const body = blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES);
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch {
      throw keyError(
        'unwrap-failed',
        `master key ${id} refused the wrapped key: it was wrapped for another context or altered`,
        { masterKeyId: id },
      );
    }
  }

  /**
   * A new random key becomes current and is written to the file before this
   * resolves. Blobs under the previous keys keep opening.
   */
  async rotate(): Promise<string> {
    await this.#reloadIfChanged();
    const entry = newKey();
    const file: KeyFile = {
      ...this.#ring.file,
      current: entry.id,
      keys: [...this.#ring.file.keys, entry],
    };
    await this.#commit(file);
    return entry.id;
  }

  /**
   * Deletes a key's material (its id stays, so errors can say "retired").
   * Run `rotateAll` first: blobs still under it will no longer open.
   */
  async retire(keyId: string): Promise<void> {
    await this.#reloadIfChanged();
    if (keyId === this.#ring.current) {
      // An operator's mistake, not a state of the keys: nothing to map to a code.
      throw new RangeError(`master key ${keyId} is current; rotate first`);
    }
    if (!this.#ring.usable.has(keyId)) {
      throw keyError('master-key-unknown', `master key ${keyId} is not in this key ring`, {
        masterKeyId: keyId,
      });
    }
    const retiredAt = new Date().toISOString();
    const keys = this.#ring.file.keys.map((k) =>
      k.id === keyId ? { id: k.id, createdAt: k.createdAt, retiredAt } : k,
    );
    await this.#commit({ ...this.#ring.file, keys });
  }

  toJSON(): unknown {
    return { type: 'LocalMasterKey', path: this.path, current: this.#ring.current };
  }

  [inspect.custom](): string {
    return `LocalMasterKey { current: '${this.#ring.current}', keys: ${this.#ring.usable.size}, path: ${this.path === null ? 'memory' : `'${this.path}'`} }`;
  }

  async #commit(file: KeyFile): Promise<void> {
    if (this.path !== null) {
      const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, serialise(file), { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.path);
      this.#stamp = await stampOf(this.path);
    }
    this.#ring = toRing(file);
  }

  async #reloadIfChanged(): Promise<void> {
    if (this.path === null) return;
    if ((await stampOf(this.path)) === this.#stamp) return;
    const { ring, stamp } = await load(this.path);
    this.#ring = ring;
    this.#stamp = stamp;
  }
}

/** Shorthand for `LocalMasterKey.open`. */
export function openLocalMasterKey(options: LocalMasterKeyOptions = {}): Promise<LocalMasterKey> {
  return LocalMasterKey.open(options);
}

function newKey(): FileKey {
  const createdAt = new Date().toISOString();
  // The date makes the age visible in blobs and logs; the random part keeps ids
  // unique when two are made the same day.
  const id = `local-${createdAt.slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
  return { id, createdAt, key: randomBytes(KEY_BYTES).toString('base64') };
}

function newFile(): KeyFile {
  const first = newKey();
  return { format: FORMAT, current: first.id, keys: [first] };
}

function serialise(file: KeyFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

async function createIfAbsent(path: string, file: KeyFile): Promise<void> {
  // Written aside and linked into place: two processes starting on a fresh data
  // dir must end up with one file, and nobody may read a half-written one.
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, serialise(file), { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
}

async function stampOf(path: string): Promise<string> {
  const s = await stat(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

async function load(path: string): Promise<{ ring: Ring; stamp: string }> {
  const s = await stat(path);
  // As ssh does with private keys: a key file others can read is refused, not used.
  if (process.platform !== 'win32' && (s.mode & 0o077) !== 0) {
    throw keyError(
      'key-file-unusable',
      `${path} is accessible to group or others (mode ${(s.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  const stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw keyError('key-file-unusable', `${path} is not valid JSON`);
  }
  return { ring: toRing(checkFile(parsed, path)), stamp };
}

function checkFile(value: unknown, path: string): KeyFile {
  const fail = (what: string): never => {
    throw keyError('key-file-unusable', `${path}: ${what}`);
  };
  const file = value as Partial<KeyFile> | null;
  if (file === null || typeof file !== 'object') return fail('not an object');
  if (file.format !== FORMAT) fail(`format must be '${FORMAT}'`);
  if (!Array.isArray(file.keys)) return fail('keys must be an array');
  const ids = new Set<string>();
  file.keys.forEach((k: Partial<FileKey>, i) => {
    if (typeof k.id !== 'string' || k.id === '') fail(`keys[${i}].id must be a non-empty string`);
    if (ids.has(k.id!)) fail(`keys[${i}].id is a duplicate`);
    ids.add(k.id!);
    if (k.key === undefined) {
      if (typeof k.retiredAt !== 'string') fail(`keys[${i}] has neither key nor retiredAt`);
    } else if (typeof k.key !== 'string' || Buffer.from(k.key, 'base64').length !== KEY_BYTES) {
      // Never quote the value: it is key material.
      fail(`keys[${i}].key must be ${KEY_BYTES} bytes in base64`);
    }
  });
  const current = file.keys.find((k) => k.id === file.current);
  if (current?.key === undefined) fail('current must name a key that is not retired');
  return file as KeyFile;
}

function toRing(file: KeyFile): Ring {
  const usable = new Map<string, KeyObject>();
  const retired = new Set<string>();
  for (const k of file.keys) {
    if (k.key === undefined) retired.add(k.id);
    else usable.set(k.id, createSecretKey(Buffer.from(k.key, 'base64')));
  }
  return { current: file.current, usable, retired, file };
}
