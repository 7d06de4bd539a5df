import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCorpus } from './corpus.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const SLOW = { timeout: 60_000 };

function run(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
    child.stdin.end(stdin);
  });
}

const corpus = readCorpus();
const plain =
  corpus.find((c) => c.id.startsWith('multical21') && c.encryption === 'none') ??
  corpus.find((c) => c.encryption === 'none' && c.header.link.startsWith('wireless'))!;
const encrypted = corpus.find((c) => c.encryption === 'mode5' && c.payload_ciphertext === true)!;

describe('zw-wmbus decode', () => {
  it('prints one JSON object for a telegram', SLOW, async () => {
    const { code, stdout } = await run(['decode', encrypted.telegram_hex, '--key', encrypted.key!]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      manufacturer: encrypted.header.manufacturer,
      id: encrypted.header.dll_id,
      security: { mode: 5, verified: true },
    });
    expect(out.records.length).toBeGreaterThan(0);
    expect(out.records[0]).toEqual(
      expect.objectContaining({
        quantity: expect.any(String),
        unit: expect.any(String),
        storage: expect.any(Number),
      }),
    );
    expect(typeof out.values).toBe('object');
  });

  it('answers a wrong key with a typed error and exit code 2', SLOW, async () => {
    const { code, stdout } = await run([
      'decode',
      encrypted.telegram_hex,
      '--key',
      '0F'.repeat(16),
    ]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'DECRYPTION_FAILED', message: expect.any(String) },
    });
  });

  it('streams JSON lines in order, one result or error per input', SLOW, async () => {
    const lines = [
      JSON.stringify({ telegram: plain.telegram_hex, key: null }),
      'not json',
      JSON.stringify({ telegram: encrypted.telegram_hex, key: encrypted.key }),
      JSON.stringify({ telegram: '00', key: null }),
    ].join('\n');
    const { code, stdout } = await run(['decode', '--jsonl'], lines + '\n');
    expect(code).toBe(0);
    const out = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(out[0].id).toBe(plain.header.dll_id);
    expect(out[1].error.code).toBe('INVALID_INPUT');
    expect(out[2].security.verified).toBe(true);
    expect(out[3].error.code).toBe('FRAME_TOO_SHORT');
  });
});
