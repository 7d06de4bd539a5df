import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DOMAIN = fileURLToPath(new URL('../src/domain', import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('src/domain', () => {
  it('imports nothing but itself (and typebox for types)', async () => {
    const offending: string[] = [];
    for (const file of await sources(DOMAIN)) {
      const text = await readFile(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const allowed = spec!.startsWith('./') || spec!.startsWith('../') || spec === 'typebox';
        const escapes = spec!.startsWith('../') && !join(file, '..', spec!).startsWith(DOMAIN);
        if (!allowed || escapes) offending.push(`${relative(DOMAIN, file)}: ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
