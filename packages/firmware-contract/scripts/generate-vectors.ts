/**
 * Writes vectors/v1/*.json from src/vectors/build-vectors.ts and removes JSON
 * files the builder no longer produces (README.md stays). Run it with
 * `npm run vectors -w @zaehlwerk/firmware-contract` after changing the
 * definitions or the codec; vectors.test.ts fails until the files match.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVectors, serializeVectorFile } from '../src/vectors/build-vectors.js';

const dir = fileURLToPath(new URL('../vectors/v1/', import.meta.url));
const files = buildVectors();
const wanted = new Set(files.map((f) => f.file));

mkdirSync(dir, { recursive: true });
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !wanted.has(name)) {
    rmSync(join(dir, name));
    console.log(`removed ${name}`);
  }
}
for (const { file, document } of files) {
  writeFileSync(join(dir, file), serializeVectorFile(document));
}
console.log(`wrote ${files.length} files to vectors/v1/`);
