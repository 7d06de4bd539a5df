import { execFile } from 'node:child_process';
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import { build as tsup, type Options } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';

const run = promisify(execFile);
const packageDir = new URL('../', import.meta.url);
// Inside the package, so that the build's imports (openapi-fetch, ...) resolve as they would installed.
const workDir = new URL('node_modules/.cache/zw-sdk-build-test/', packageDir);
const installed = new URL('node_modules/@zaehlwerk/sdk/', workDir);

/** `import`/`export … from` and `require` specifiers of a bundle. */
function specifiersOf(code: string): string[] {
  const found = [
    ...code.matchAll(/\b(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return [...new Set(found)].sort();
}

/**
 * The package as it is published: built with its own tsup config (into a
 * folder of its own, so that a stale or concurrent `dist` does not matter)
 * and installed by name, so that its `exports` map is what resolves.
 */
describe('the published build', () => {
  beforeAll(async () => {
    await rm(workDir, { recursive: true, force: true });
    const config = tsupConfig as Options;
    await tsup({
      ...config,
      config: false,
      outDir: new URL('dist/', installed).pathname,
      sourcemap: false,
      silent: true,
    });
    await cp(new URL('package.json', packageDir), new URL('package.json', installed));
  }, 120_000);
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it('has ESM, CJS and type declarations for both', async () => {
    const files = await readdir(new URL('dist/', installed));
    expect(files).toEqual(
      expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']),
    );
  });

  it('imports nothing of Node in the ESM build, only its two dependencies', async () => {
    const code = await readFile(new URL('dist/index.js', installed), 'utf8');
    expect(specifiersOf(code)).toEqual(['eventsource-parser', 'openapi-fetch']);
    expect(code).not.toMatch(/\bnode:/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).not.toMatch(/\bprocess\./);
  });

  it('bundles for the browser with its dependencies and no Node built-in', async () => {
    // esbuild fails on a Node built-in for platform browser; its output must not name one either.
    const result = await esbuild({
      entryPoints: [new URL('src/index.ts', packageDir).pathname],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bnode:/);
    expect(specifiersOf(code)).toEqual([]);
  });

  it('loads with require (CJS) and with import (ESM) in a plain node process, by its name', async () => {
    const script = `
      const sdk = require('@zaehlwerk/sdk');
      const zw = sdk.createClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'zwk_x' });
      const error = new sdk.ZaehlwerkError({ status: 0, code: 'TIMEOUT', message: 'x' });
      zw.get('/health', { retries: 0 }).catch((failure) => {
        console.log(JSON.stringify({
          exports: Object.keys(sdk).sort(),
          methods: ['get', 'post', 'paginate', 'live', 'login'].map((m) => typeof zw[m]),
          branded: sdk.isZaehlwerkError(error),
          failure: failure.code,
        }));
      });
    `;
    const cjs = await run(process.execPath, ['-e', script], { cwd: workDir });
    expect(JSON.parse(cjs.stdout)).toEqual({
      exports: [
        'DEFAULT_WEBHOOK_TOLERANCE_SECONDS',
        'WEBHOOK_SIGNATURE_HEADER',
        'ZaehlwerkError',
        'createClient',
        'isZaehlwerkError',
        'verifyWebhook',
      ],
      methods: ['function', 'function', 'function', 'function', 'function'],
      branded: true,
      // Port 1 is one fetch refuses to use: the call fails without a request.
      failure: 'NETWORK_ERROR',
    });

    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import * as sdk from '@zaehlwerk/sdk'; console.log(Object.keys(sdk).sort().join(','));",
      ],
      { cwd: workDir },
    );
    expect(esm.stdout.trim()).toBe(
      'DEFAULT_WEBHOOK_TOLERANCE_SECONDS,WEBHOOK_SIGNATURE_HEADER,ZaehlwerkError,createClient,' +
        'isZaehlwerkError,verifyWebhook',
    );
  });
});
