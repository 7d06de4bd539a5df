#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { decode, type DecodedTelegram } from './decode.js';
import { bytesToHex } from './hex.js';
import { emptyDecoderState, type DecoderState } from './types.js';
import { isWmbusError } from './wmbus-error.js';

const USAGE = `Usage:
  zw-wmbus decode [--key HEX] HEX      decode one telegram, print one JSON object
  zw-wmbus decode --jsonl              read {"telegram":"HEX","key":"HEX"|null} lines on stdin,
                                       write one JSON line per input, in order
Exit code 0 on success; on failure one JSON object {"error":{"code","message"}} and exit code 2.
`;

/** The CLI's JSON view of a telegram: plain JSON types only, raw bytes as hex. */
function telegramJson(t: DecodedTelegram): Record<string, unknown> {
  return {
    manufacturer: t.manufacturer,
    id: t.id,
    version: t.version,
    deviceType: t.deviceType,
    deviceTypeName: t.deviceTypeName,
    accessNumber: t.accessNumber,
    status: t.status,
    security: t.security,
    records: t.records.map((r) => ({
      quantity: r.quantity,
      unit: r.unit,
      value: r.value,
      storage: r.storage,
      tariff: r.tariff,
      subunit: r.subunit,
      function: r.function,
      ...(r.modifiers.length > 0 ? { modifiers: r.modifiers } : {}),
      raw: bytesToHex(r.raw),
    })),
    values: t.values,
    driver: t.driver,
    ...(t.manufacturerData ? { manufacturerData: t.manufacturerData } : {}),
  };
}

function errorJson(err: unknown): { error: { code: string; message: string } } {
  if (isWmbusError(err)) return { error: { code: err.code, message: err.message } };
  return {
    error: { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) },
  };
}

function decodeLine(line: string, state: DecoderState): { out: unknown; state: DecoderState } {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    return { out: { error: { code: 'INVALID_INPUT', message: 'line is not JSON' } }, state };
  }
  const { telegram, key } = (input ?? {}) as { telegram?: unknown; key?: unknown };
  if (
    typeof telegram !== 'string' ||
    (key !== undefined && key !== null && typeof key !== 'string')
  ) {
    const message = 'expected {"telegram": "HEX", "key": "HEX" | null}';
    return { out: { error: { code: 'INVALID_INPUT', message } }, state };
  }
  try {
    const result = decode(telegram, { key: key ?? null, state });
    return { out: telegramJson(result.telegram), state: result.state };
  } catch (err) {
    return { out: errorJson(err), state };
  }
}

async function decodeJsonl(): Promise<number> {
  let state = emptyDecoderState();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const result = decodeLine(line, state);
    state = result.state;
    // Respect back-pressure so that millions of lines stream in constant memory.
    if (!process.stdout.write(JSON.stringify(result.out) + '\n')) {
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
  return 0;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'decode') {
    process.stderr.write(
      command === undefined || command === 'help' || command === '--help'
        ? USAGE
        : `unknown command '${command}'\n${USAGE}`,
    );
    return command === 'help' || command === '--help' ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { key: { type: 'string' }, jsonl: { type: 'boolean' } },
    });
  } catch (err) {
    process.stdout.write(
      JSON.stringify({ error: { code: 'INVALID_INPUT', message: (err as Error).message } }) + '\n',
    );
    return 2;
  }
  if (parsed.values.jsonl) return decodeJsonl();
  const hex = parsed.positionals[0];
  if (hex === undefined || parsed.positionals.length > 1) {
    process.stdout.write(
      JSON.stringify({
        error: { code: 'INVALID_INPUT', message: 'give exactly one telegram as hex' },
      }) + '\n',
    );
    return 2;
  }
  try {
    const { telegram } = decode(hex, { key: parsed.values.key ?? null });
    process.stdout.write(JSON.stringify(telegramJson(telegram), null, 2) + '\n');
    return 0;
  } catch (err) {
    process.stdout.write(JSON.stringify(errorJson(err)) + '\n');
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stdout.write(JSON.stringify(errorJson(err)) + '\n');
    process.exitCode = 2;
  },
);
