import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { keyErrorReason } from './key-errors.js';
import { leakedKeys, render } from './key-test-kit.js';
import { MASTER_KEY_FILE, openLocalMasterKey } from './local-master-key.js';

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zw-mk-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const ctx = { partnerId: 'p1', purpose: 'meter-key' };
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

async function reasonOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return keyErrorReason(err) ?? `not a key error: ${String(err)}`;
  }
  return 'resolved';
}

describe('LocalMasterKey in memory', () => {
  it('unwraps what it wrapped, with the context in any order', async () => {
    const mk = await openLocalMasterKey();
    const plain = bytes(32, 7);
    const wrapped = await mk.wrap(plain, ctx);
    expect(wrapped.masterKeyId).toBe(mk.keyId());
    expect(await mk.unwrap(wrapped, { purpose: 'meter-key', partnerId: 'p1' })).toEqual(plain);
    expect(mk.path).toBeNull();
  });

  it('refuses a blob moved to another context or altered', async () => {
    const mk = await openLocalMasterKey();
    const wrapped = await mk.wrap(bytes(32, 1), ctx);
    expect(await reasonOf(mk.unwrap(wrapped, { ...ctx, partnerId: 'p2' }))).toBe('unwrap-failed');
    expect(await reasonOf(mk.unwrap(wrapped, { partnerId: 'p1' }))).toBe('unwrap-failed');
    const altered = Uint8Array.from(wrapped.blob);
    altered[20] = altered[20]! ^ 1;
    expect(await reasonOf(mk.unwrap({ ...wrapped, blob: altered }, ctx))).toBe('unwrap-failed');
    expect(await reasonOf(mk.unwrap({ ...wrapped, masterKeyId: 'nope' }, ctx))).toBe(
      'master-key-unknown',
    );
  });

  it('generates distinct data keys that unwrap to themselves', async () => {
    const mk = await openLocalMasterKey();
    const a = await mk.generateDataKey(ctx);
    const b = await mk.generateDataKey(ctx);
    expect(a.plain).toHaveLength(32);
    expect(a.plain).not.toEqual(b.plain);
    expect(await mk.unwrap(a.wrapped, ctx)).toEqual(a.plain);
  });
});

describe('LocalMasterKey in a data dir', () => {
  it('creates the key file on first use, private to its owner, and reuses it', async () => {
    const dir = await dataDir();
    const first = await openLocalMasterKey({ dataDir: dir });
    const path = join(dir, 'keys', MASTER_KEY_FILE);
    expect(first.path).toBe(path);
    if (process.platform !== 'win32') {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'keys'))).mode & 0o077).toBe(0);
    }
    const wrapped = await first.wrap(bytes(32, 3), ctx);
    const again = await openLocalMasterKey({ dataDir: dir });
    expect(again.keyId()).toBe(first.keyId());
    expect(await again.unwrap(wrapped, ctx)).toEqual(bytes(32, 3));
  });

  it('ends up with one key when two processes start on a fresh dir at once', async () => {
    const dir = await dataDir();
    const [a, b] = await Promise.all([
      openLocalMasterKey({ dataDir: dir }),
      openLocalMasterKey({ dataDir: dir }),
    ]);
    expect(a.keyId()).toBe(b.keyId());
  });

  it.skipIf(process.platform === 'win32')('refuses a key file others can read', async () => {
    const dir = await dataDir();
    const mk = await openLocalMasterKey({ dataDir: dir });
    await chmod(mk.path!, 0o644);
    expect(await reasonOf(openLocalMasterKey({ dataDir: dir }))).toBe('key-file-unusable');
  });

  it('refuses a damaged file without quoting its keys', async () => {
    const dir = await dataDir();
    const mk = await openLocalMasterKey({ dataDir: dir });
    const file = JSON.parse(await readFile(mk.path!, 'utf8')) as {
      keys: { key: string }[];
    };
    const material = file.keys[0]!.key;
    file.keys[0]!.key = material.slice(0, 20);
    await writeFile(mk.path!, JSON.stringify(file), { mode: 0o600 });
    let message = '';
    try {
      await openLocalMasterKey({ dataDir: dir });
    } catch (err) {
      expect(keyErrorReason(err)).toBe('key-file-unusable');
      message = inspect(err, { depth: 5 });
    }
    expect(message).toContain('keys[0].key');
    expect(message).not.toContain(material.slice(0, 20));
  });

  it('rotates: old blobs open until their key is retired, then fail clearly', async () => {
    const dir = await dataDir();
    const mk = await openLocalMasterKey({ dataDir: dir });
    const k1 = mk.keyId();
    const old = await mk.wrap(bytes(32, 1), ctx);
    const k2 = await mk.rotate();
    expect(k2).not.toBe(k1);
    expect(mk.keyId()).toBe(k2);
    expect(mk.keyIds()).toEqual([k2, k1]);
    const fresh = await mk.wrap(bytes(32, 2), ctx);
    expect(fresh.masterKeyId).toBe(k2);
    expect(await mk.unwrap(old, ctx)).toEqual(bytes(32, 1));

    await expect(mk.retire(k2)).rejects.toThrow(/is current; rotate first/);
    await mk.retire(k1);
    const reopened = await openLocalMasterKey({ dataDir: dir });
    for (const ring of [mk, reopened]) {
      await expect(ring.unwrap(old, ctx)).rejects.toThrow(/retired/);
      expect(await ring.unwrap(fresh, ctx)).toEqual(bytes(32, 2));
    }
    expect(await readFile(mk.path!, 'utf8')).toContain(k1);
  });

  it('lets another process pick up a rotation without a restart', async () => {
    const dir = await dataDir();
    const server = await openLocalMasterKey({ dataDir: dir });
    const cli = await openLocalMasterKey({ dataDir: dir });
    const k1 = server.keyId();
    const k2 = await cli.rotate();
    const byCli = await cli.wrap(bytes(32, 9), ctx);
    expect(await server.unwrap(byCli, ctx)).toEqual(bytes(32, 9));
    await cli.retire(k1);
    // The server must not keep wrapping under a key that is gone from the file.
    expect((await server.wrap(bytes(32, 4), ctx)).masterKeyId).toBe(k2);
  });

  it('never shows key material in JSON, inspect or errors', async () => {
    const dir = await dataDir();
    const mk = await openLocalMasterKey({ dataDir: dir });
    await mk.rotate();
    const file = JSON.parse(await readFile(mk.path!, 'utf8')) as { keys: { key: string }[] };
    const secrets = file.keys.map((k) => new Uint8Array(Buffer.from(k.key, 'base64')));
    const wrapped = await mk.wrap(bytes(32, 5), ctx);
    let error: unknown;
    try {
      await mk.unwrap(wrapped, { partnerId: 'other' });
    } catch (err) {
      error = err;
    }
    expect(keyErrorReason(error)).toBe('unwrap-failed');
    const shown = render(mk, error);
    expect(shown).toContain(mk.keyId());
    expect(leakedKeys(shown, secrets)).toEqual([]);
    expect(leakedKeys(render(secrets[0]), secrets)).not.toEqual([]);
  });
});
