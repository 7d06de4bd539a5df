import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/openapi.js';

describe('openapi.json', () => {
  it('is what the route schemas emit (run `npm run openapi -w @zaehlwerk/server` after a change)', async () => {
    const committed = JSON.parse(
      await readFile(new URL('../openapi.json', import.meta.url), 'utf8'),
    );
    expect(await openApiDocument()).toEqual(committed);
  });

  it('names components after their $id and gives every operation an operationId', async () => {
    const doc = (await openApiDocument()) as {
      components: { schemas: Record<string, unknown> };
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ErrorResponse', 'Health']),
    );
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      }
    }
  });
});
