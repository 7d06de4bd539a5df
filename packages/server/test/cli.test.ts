import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

function collect(child: ChildProcessWithoutNullStreams) {
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { out, exited };
}

async function waitFor(predicate: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Each test starts a Node process with tsx; on a loaded 2-core machine that alone takes seconds.
const SLOW = { timeout: 60_000 };

describe('zw-server', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(
      `starts with no configuration, answers /health and stops cleanly on ${signal}`,
      SLOW,
      async () => {
        const child = run(['start', '--port', '0'], { ZW_LOG_LEVEL: 'warn' });
        const { out, exited } = collect(child);
        await waitFor(() => /API docs/.test(out.stdout), 'the start banner');
        const url = /API\s+(http:\/\/\S+)/.exec(out.stdout)?.[1];
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(out.stdout).toMatch(/embedded DynamoDB at http:\/\/127\.0\.0\.1:\d+ \(in memory\)/);

        const health = await fetch(`${url}/health`);
        expect(health.status).toBe(200);
        expect(
          ((await health.json()) as { checks: { table: { status: string } } }).checks.table.status,
        ).toBe('ok');

        child.kill(signal);
        expect(await exited).toBe(0);
        expect(out.stdout).toContain('Zählwerk stopped.');
        await expect(fetch(`${url}/health`)).rejects.toThrow();
      },
    );
  }

  it('refuses bad configuration with exit code 2 and says what is wrong', SLOW, async () => {
    const child = run(['start', '--port', 'abc'], { ZW_TABLE: 'x' });
    const { out, exited } = collect(child);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('--port: must be integer');
    expect(out.stderr).toContain('ZW_TABLE');
  });

  it('prints the OpenAPI document', SLOW, async () => {
    const child = run(['openapi']);
    const { out, exited } = collect(child);
    expect(await exited).toBe(0);
    const doc = JSON.parse(out.stdout);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/health'].get.operationId).toBe('getHealth');
  });

  it('answers an unknown command with usage and exit code 2', SLOW, async () => {
    const { out, exited } = collect(run(['serve']));
    expect(await exited).toBe(2);
    expect(out.stderr).toContain("unknown command 'serve'");
    expect(out.stderr).toContain('--data-dir');
  });
});
