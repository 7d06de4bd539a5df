import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the zw-wmbus bin (Node only); index.ts the library.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  target: 'es2022',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
});
