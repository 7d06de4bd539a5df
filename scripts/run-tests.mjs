// `npm test`: typecheck, lint and every package's tests through turbo, then one
// closing line `N passed, N failed` summed over all packages' vitest reports.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'examples']
  .filter((dir) => existsSync(join(root, dir)))
  .flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(root, dir, e.name, 'package.json')))
      .map((e) => join(dir, e.name)),
  );

// Stale reports would be counted again; turbo restores fresh ones for cached runs.
for (const ws of workspaces) rmSync(join(root, ws, '.reports'), { recursive: true, force: true });

const turbo = spawnSync(
  'npx',
  ['turbo', 'run', 'typecheck', 'lint', 'test', '--continue', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const ws of workspaces) {
  const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const file = join(root, ws, '.reports', 'vitest.json');
  if (!existsSync(file)) {
    missing.push(ws);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A file that fails to load has no failed test, only a failed suite: count it.
  failed += report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed'),
  ).length;
}
if (missing.length > 0) {
  console.error(`no test report from: ${missing.join(', ')} (its tests did not run)`);
  failed += missing.length;
}

console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(turbo.status !== 0 || failed > 0 ? 1 : 0);
