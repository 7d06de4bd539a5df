// Writes openapi.json from the route schemas; test/openapi-drift.test.ts fails when it is stale.
import { writeFile } from 'node:fs/promises';
import { openApiDocument } from '../src/openapi.js';

const target = new URL('../openapi.json', import.meta.url);
await writeFile(target, JSON.stringify(await openApiDocument(), null, 2) + '\n');
console.log(`wrote ${target.pathname.split('/').slice(-2).join('/')}`);
