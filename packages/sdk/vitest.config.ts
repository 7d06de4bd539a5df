import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The examples import the package by name: test them against this source, not a stale build.
    alias: { '@zaehlwerk/sdk': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    globalSetup: ['./test/demo-platform.ts'],
    // Starting a platform (embedded DynamoDB, broker, demo seed) takes seconds on a busy machine.
    hookTimeout: 60_000,
  },
});
