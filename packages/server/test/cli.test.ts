import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

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
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(
      `starts with the defaults on free ports, answers /health and stops cleanly on ${signal}`,
      SLOW,
      async () => {
        const child = run(['start', '--port', '0', '--mqtt-port', '0'], { ZW_LOG_LEVEL: 'warn' });
        const { out, exited } = collect(child);
        await waitFor(() => /Ctrl-C/.test(out.stdout), 'the start banner');
        const url = /API\s+(http:\/\/\S+)/.exec(out.stdout)?.[1];
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(out.stdout).toMatch(/embedded DynamoDB at http:\/\/127\.0\.0\.1:\d+ \(in memory\)/);
        expect(out.stdout).toMatch(/MQTT\s+mqtts:\/\/127\.0\.0\.1:\d+ /);
        expect(out.stdout).toContain(`CA         in memory; GET it from ${url}/v1/iot/ca.pem`);
        const ca = await fetch(`${url}/v1/iot/ca.pem`);
        expect(await ca.text()).toContain('-----BEGIN CERTIFICATE-----');

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

  it('keeps the CA under --data-dir and names its file in the banner', SLOW, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zw-cli-'));
    dirs.push(dataDir);
    const child = run(['start', '--port', '0', '--mqtt-port', '0', '--data-dir', dataDir], {
      ZW_LOG_LEVEL: 'warn',
    });
    const { out, exited } = collect(child);
    await waitFor(() => /Ctrl-C/.test(out.stdout), 'the start banner');
    const caFile = join(dataDir, 'pki', 'ca-certificate.pem');
    expect(out.stdout).toContain(`CA         ${caFile}`);
    expect(await readFile(caFile, 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

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
    expect(out.stderr).toContain('--mqtt-port');
  });
});
