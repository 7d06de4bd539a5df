import { defineConfig } from 'tsup';

export default defineConfig({
  // index.ts is the portable library (browsers too); simulator.ts and
  // checker.ts are the Node-only entry points behind the zw-contract bin
  // (cli.ts), published so the platform's tests can drive them in-process.
  entry: ['src/index.ts', 'src/simulator.ts', 'src/checker.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  target: 'es2022',
  dts: { entry: ['src/index.ts', 'src/simulator.ts', 'src/checker.ts'] },
  sourcemap: true,
  clean: true,
});
