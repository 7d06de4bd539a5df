import { defineConfig } from 'tsup';

// ESM only: widgets load in browsers as modules; there is no CommonJS consumer.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  platform: 'browser',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
});
