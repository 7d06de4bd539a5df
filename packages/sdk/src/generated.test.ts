import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateSchemaSource } from '../scripts/schema-source.mjs';

describe('src/generated/schema.d.ts', () => {
  it("is what openapi-typescript makes of the server's openapi.json (run `npm run generate`)", async () => {
    const committed = await readFile(new URL('./generated/schema.d.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await generateSchemaSource());
  });
});
