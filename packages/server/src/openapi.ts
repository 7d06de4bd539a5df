import { buildApp } from './app.js';
import type { StorageCheck } from './domain/ports.js';

/** Recursively sorts object keys so that the emitted document diffs cleanly. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * The API's OpenAPI document, built from the route schemas without any
 * storage: the app is only made ready, never asked to serve.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const offline: StorageCheck = { status: 'unavailable', table: '-', reason: 'offline' };
  const app = await buildApp({ storage: { check: async () => offline } });
  try {
    await app.ready();
    return sortKeys(app.swagger()) as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
