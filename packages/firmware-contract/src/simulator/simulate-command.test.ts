import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaptureLine } from '../capture.js';
import { EXIT, type CommandIo } from '../cli-io.js';
import { parseMetersCsv } from './meters-csv.js';
import { runSimulateCommand } from './simulate-command.js';
import { validateLine } from './simulator-test-kit.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'zw-simulate-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function simulate(argv: string[], signal = new AbortController().signal) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd,
    signal,
  };
  const code = await runSimulateCommand(argv, io);
  return { code, stdout, stderr };
}

describe('zw-contract simulate', () => {
  it('prints its options with --help', async () => {
    const { code, stdout } = await simulate(['--help']);
    expect(code).toBe(EXIT.ok);
    for (const flag of [
      '--offline',
      '--url',
      '--capture',
      '--keys-out',
      '--state',
      '--servername',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it.each([
    [[], /either --offline or --url/],
    [['--offline'], /--batches or --duration/],
    [['--offline', '--url', 'mqtts://localhost:8883', '--batches', '1'], /either/],
    [['--offline', '--batches', '0'], /--batches must be a whole number/],
    [['--offline', '--batches', '2', '--meters', 'many'], /--meters/],
    [['--offline', '--batches', '2', '--upload-interval', '2'], /--upload-interval/],
    [['--offline', '--batches', '2', '--start', 'yesterday'], /--start/],
    [['--offline', '--batches', '2', '--frames-per-second', '50'], /at most 10/],
    [['--offline', '--batches', '2', '--outage', '10'], /--outage/],
    [['--offline', '--batches', '2', '--thing', 'a/b'], /--thing/],
    [['--offline', '--batches', '2', '--cert', 'c.pem'], /--cert goes with --url/],
    [['--offline', '--batches', '2', '--frobnicate'], /frobnicate/],
    [['--url', 'mqtt://localhost:1883'], /mqtts/],
    [['--url', 'mqtts://localhost:8883', '--start', '2025-01-01T00:00:00Z'], /--start/],
    [['--url', 'mqtts://localhost:8883', '--cert', 'c.pem', '--key', 'k.pem'], /--ca/],
    [
      ['--url', 'mqtts://localhost:8883', '--cert', 'missing.pem', '--key', 'k', '--ca', 'c'],
      /cannot read --cert/,
    ],
  ])('refuses %j with a usage error', async (argv, message) => {
    const { code, stderr } = await simulate(argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(message);
  });

  it('writes a capture and the keys, relative to its folder, the same for the same seed', async () => {
    const argv = ['--offline', '--meters', '12', '--batches', '4', '--seed', '3'];
    const first = await simulate([...argv, '--capture', 'a.jsonl', '--keys-out', 'keys.csv']);
    expect(first.code).toBe(EXIT.ok);
    expect(first.stdout).toMatch(/4 batches acknowledged/);
    await simulate([...argv, '--capture', 'b.jsonl']);
    const capture = await readFile(join(cwd, 'a.jsonl'), 'utf8');
    expect(await readFile(join(cwd, 'b.jsonl'), 'utf8')).toBe(capture);
    const lines = capture.trimEnd().split('\n');
    for (const text of lines) {
      const parsed = parseCaptureLine(text);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(validateLine(parsed.value) ?? { ok: true }).toMatchObject({ ok: true });
    }
    const keys = parseMetersCsv(await readFile(join(cwd, 'keys.csv'), 'utf8'));
    expect(keys).toHaveLength(12);
  });

  it('keeps its gatewaySeq in --state, and replays after --outage', async () => {
    const argv = ['--offline', '--batches', '3', '--state', 'gw.json'];
    await simulate([...argv, '--capture', 's1.jsonl']);
    await simulate([...argv, '--capture', 's2.jsonl', '--outage', '60:600']);
    const seqs = async (file: string) =>
      (await readFile(join(cwd, file), 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { topic: string; payload: { gatewaySeq?: number } })
        .filter((l) => l.topic.endsWith('/telegrams'))
        .map((l) => l.payload);
    expect((await seqs('s1.jsonl')).map((b) => b.gatewaySeq)).toEqual([0, 1, 2]);
    const second = await seqs('s2.jsonl');
    expect(second.map((b) => b.gatewaySeq)).toEqual([3, 4, 5]);
    expect(JSON.stringify(second)).toContain('"replayed":true');
  });

  it('stops on its signal and still writes its files', async () => {
    const controller = new AbortController();
    controller.abort();
    const { code, stdout } = await simulate(
      ['--offline', '--duration', '86400', '--capture', 'stopped.jsonl'],
      controller.signal,
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/stopped by signal/);
    await expect(readFile(join(cwd, 'stopped.jsonl'), 'utf8')).resolves.toBe('');
  });

  it('reports a state file of another gateway as a failure', async () => {
    await writeFile(
      join(cwd, 'other.json'),
      JSON.stringify({
        format: 'zw-contract-simulator-state/1',
        thingName: 'someone-else',
        seqReservedThrough: 5,
        unacked: [],
      }),
    );
    const { code, stderr } = await simulate([
      '--offline',
      '--batches',
      '1',
      '--state',
      'other.json',
    ]);
    expect(code).toBe(EXIT.failed);
    expect(stderr).toMatch(/someone-else/);
  });
});
