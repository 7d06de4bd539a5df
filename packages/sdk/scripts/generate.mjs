// Generates src/generated/schema.d.ts from the server's committed OpenAPI document.
// Needs no running server. src/generated.test.ts fails when the committed file is stale.
import { writeFile } from 'node:fs/promises';
import { generateSchemaSource } from './schema-source.mjs';

const target = new URL('../src/generated/schema.d.ts', import.meta.url);
await writeFile(target, await generateSchemaSource());
console.log('wrote src/generated/schema.d.ts');
