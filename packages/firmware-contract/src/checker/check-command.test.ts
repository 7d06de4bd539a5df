import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, type CommandIo } from '../cli-io.js';
import type { CheckReport } from './check-report.js';
import { runCheckCommand } from './check-command.js';
import { goodCapture, THING } from './checker-test-kit.js';

function io(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const value: CommandIo = {
    stdout: (text) => (out.stdout += text),
    stderr: (text) => (out.stderr += text),
    cwd,
    signal: new AbortController().signal,
  };
  return { io: value, out };
}

describe('zw-contract check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zw-check-'));
    await writeFile(join(dir, 'good.jsonl'), goodCapture().text());
    const broken = goodCapture();
    broken.batch(undefined, { gatewaySeq: undefined as unknown as number });
    await writeFile(join(dir, 'broken.jsonl'), broken.text());
    await writeFile(join(dir, 'empty.jsonl'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 0 on a conforming capture, paths relative to cwd', async () => {
    const { io: cmd, out } = io(dir);
    expect(await runCheckCommand(['--capture', 'good.jsonl'], cmd)).toBe(EXIT.ok);
    expect(out.stdout).toContain(`Conformance of ${THING}`);
    expect(out.stdout).toMatch(/0 failed, .*CONFORMS/);
    expect(out.stderr).toBe('');
  });

  it('exits 1 on a failing capture and names the clause and line', async () => {
    const { io: cmd, out } = io(dir);
    expect(await runCheckCommand(['--capture', join(dir, 'broken.jsonl')], cmd)).toBe(EXIT.failed);
    expect(out.stdout).toMatch(/^6\.1 {3}FAIL /m);
    expect(out.stdout).toContain(
      "- line 11, $aws/rules/zw_ingest/zw/v1/gw/gw-test-0001/telegrams: /gatewaySeq: must have required property 'gatewaySeq'",
    );
  });

  it('prints the report as JSON with --json', async () => {
    const { io: cmd, out } = io(dir);
    expect(await runCheckCommand(['--capture', 'broken.jsonl', '--json'], cmd)).toBe(EXIT.failed);
    const report = JSON.parse(out.stdout) as CheckReport;
    expect(report).toMatchObject({ ok: false, source: 'capture', thingName: THING });
    expect(report.clauses.find((c) => c.clause === '6.1')).toMatchObject({
      status: 'fail',
      findings: [expect.objectContaining({ line: 11 })],
    });
  });

  it('exits 2 on input it cannot judge: a missing file, an empty one, an unknown thing', async () => {
    let run = io(dir);
    expect(await runCheckCommand(['--capture', 'missing.jsonl'], run.io)).toBe(EXIT.usage);
    expect(run.out.stderr).toContain('cannot read --capture missing.jsonl: ENOENT');
    run = io(dir);
    expect(await runCheckCommand(['--capture', 'empty.jsonl'], run.io)).toBe(EXIT.usage);
    expect(run.out.stdout).toContain('the capture holds no lines');
    run = io(dir);
    expect(await runCheckCommand(['--capture', 'good.jsonl', '--thing', 'gw-x'], run.io)).toBe(
      EXIT.usage,
    );
    expect(run.out.stdout).toContain('no publish of gw-x');
  });

  it('exits 2 on bad usage and 0 on --help', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give --capture FILE, or --url/],
      [['--capture', 'good.jsonl', '--url', 'mqtts://x:8883'], /not both/],
      [['--capture', 'good.jsonl', '--observe', '5'], /--observe only apply to a live check/],
      [['--url', 'mqtts://localhost:8883', '--thing', 'gw'], /needs --cert, --key, --ca/],
      [
        [
          '--url',
          'mqtt://localhost:1883',
          '--thing',
          'gw',
          '--cert',
          'c',
          '--key',
          'k',
          '--ca',
          'a',
        ],
        /--url must be mqtts/,
      ],
      [
        [
          '--url',
          'mqtts://localhost:1',
          '--thing',
          'gw',
          '--cert',
          'c',
          '--key',
          'k',
          '--ca',
          'a',
          '--observe',
          'soon',
        ],
        /--observe takes a number of seconds/,
      ],
      [
        ['--url', 'mqtts://localhost:1', '--thing', 'gw', '--cert', 'c', '--key', 'k', '--ca', 'a'],
        /cannot read --ca a/,
      ],
      [['--capture'], /argument missing/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['extra'], /Unexpected argument 'extra'/],
    ];
    for (const [argv, message] of cases) {
      const run = io(dir);
      expect(await runCheckCommand(argv, run.io), argv.join(' ')).toBe(EXIT.usage);
      expect(run.out.stderr).toMatch(message);
      expect(run.out.stderr).toContain('Usage: zw-contract check');
    }
    const help = io(dir);
    expect(await runCheckCommand(['--help'], help.io)).toBe(EXIT.ok);
    expect(help.out.stdout).toContain('--no-config-change');
  });

  it('exits 2 when the monitor cannot reach the broker', async () => {
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, name), 'x');
    const run = io(dir);
    const argv = ['--url', 'mqtts://127.0.0.1:1', '--thing', 'gw-test-0001'];
    argv.push('--cert', 'cert.pem', '--key', 'key.pem', '--ca', 'ca.pem', '--timeout', '2');
    expect(await runCheckCommand(argv, run.io)).toBe(EXIT.usage);
    expect(run.out.stderr).toMatch(/the monitor could not connect to mqtts:\/\/127\.0\.0\.1:1/);
  });
});
