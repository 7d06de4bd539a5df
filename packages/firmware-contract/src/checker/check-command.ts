import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, type CommandIo } from '../cli-io.js';
import { checkCapture } from './check-capture.js';
import { checkLive } from './check-live.js';
import { CLAUSES } from './clauses.js';
import type { CheckReport } from './check-report.js';
import { formatReport } from './format-report.js';

export const CHECK_USAGE = `Usage: zw-contract check --capture FILE [--thing NAME] [--json]
       zw-contract check --url mqtts://HOST:PORT --thing NAME --cert FILE --key FILE --ca FILE
                         [--servername NAME] [--observe SECONDS] [--timeout SECONDS]
                         [--no-disconnect] [--no-config-change] [--json]

Judges a gateway against the firmware contract v1 (docs/firmware-contract.md), clause by
clause: pass, fail (with the message and what was expected) or not observed.

  --capture FILE        a capture file (JSON lines: topic, payload, qos, receivedAt, ...)
  --thing NAME          the gateway's thing name (for a capture: inferred from its topics)
  --url URL             live: the broker (the IoT Core emulator), as the cloud side
  --cert, --key FILE    live: the monitor's certificate and key (PEM)
  --ca FILE             live: the CA the broker's certificate chains to (PEM)
  --servername NAME     live: TLS server name (SNI); default the URL's host, or localhost
  --observe SECONDS     live: watch this long before the active checks (default 60)
  --timeout SECONDS     live: how long each answer may take (default 30)
  --no-disconnect       live: do not cut the gateway's connection (2.5, 7.3 not observed)
  --no-config-change    live: do not change its desired configuration (11.4, 11.5)
  --json                print the report as JSON instead of text
  --help                show this text

Exit status: 0 every clause observed passed, 1 a clause failed, 2 usage or input error
(unreadable file or lines, nothing to judge).

Clauses judged (those marked live only when watching a gateway through a broker):
${CLAUSES.map((c) => `  ${c.id.padEnd(5)} ${c.title}${c.offline ? '' : ' (live)'}`).join('\n')}
`;

const OPTIONS = {
  capture: { type: 'string' },
  url: { type: 'string' },
  thing: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  servername: { type: 'string' },
  observe: { type: 'string' },
  timeout: { type: 'string' },
  // node:util parseArgs of Node 20 has no allowNegative: the negations are options of their own.
  'no-disconnect': { type: 'boolean' },
  'no-config-change': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const LIVE_ONLY = [
  'url',
  'cert',
  'key',
  'ca',
  'servername',
  'observe',
  'timeout',
  'no-disconnect',
  'no-config-change',
] as const;

class UsageError extends Error {}

function seconds(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) {
    throw new UsageError(
      `--${name} takes a number of seconds${min > 0 ? ' above 0' : ''}, got '${text}'`,
    );
  }
  return value;
}

async function readInput(io: CommandIo, option: string, path: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`cannot read --${option} ${path}: ${reason}`);
  }
}

function exitCode(report: CheckReport): number {
  if (report.summary.fail > 0) return EXIT.failed;
  return report.ok ? EXIT.ok : EXIT.usage;
}

/** `zw-contract check`: a shell around checkCapture and checkLive. */
export async function runCheckCommand(argv: string[], io: CommandIo): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values } = parsed;
    if (values.help === true) {
      io.stdout(CHECK_USAGE);
      return EXIT.ok;
    }

    let report: CheckReport;
    if (values.capture !== undefined) {
      if (values.url !== undefined) throw new UsageError('give --capture or --url, not both');
      const liveOnly = LIVE_ONLY.filter((name) => values[name] !== undefined);
      if (liveOnly.length > 0) {
        throw new UsageError(`--${liveOnly.join(', --')} only apply to a live check (--url)`);
      }
      const text = await readInput(io, 'capture', values.capture);
      report = checkCapture(text, values.thing === undefined ? {} : { thingName: values.thing });
    } else if (values.url !== undefined) {
      const missing = (['thing', 'cert', 'key', 'ca'] as const).filter(
        (name) => values[name] === undefined,
      );
      if (missing.length > 0) {
        throw new UsageError(`a live check needs --${missing.join(', --')}`);
      }
      if (!/^mqtts:\/\//.test(values.url)) {
        throw new UsageError(
          `--url must be mqtts://HOST:PORT (TLS with client certificates), got '${values.url}'`,
        );
      }
      const observeSeconds = seconds('observe', values.observe, 60, 0);
      const timeoutSeconds = seconds('timeout', values.timeout, 30, Number.MIN_VALUE);
      const [caPem, certPem, keyPem] = await Promise.all([
        readInput(io, 'ca', values.ca!),
        readInput(io, 'cert', values.cert!),
        readInput(io, 'key', values.key!),
      ]);
      try {
        report = await checkLive({
          url: values.url,
          ...(values.servername === undefined ? {} : { servername: values.servername }),
          caPem,
          certPem,
          keyPem,
          thingName: values.thing!,
          observeSeconds,
          timeoutSeconds,
          disconnect: values['no-disconnect'] !== true,
          configChange: values['no-config-change'] !== true,
          signal: io.signal,
          log: (text) => io.stderr(`zw-contract check: ${text}\n`),
        });
      } catch (error) {
        io.stderr(`zw-contract check: ${(error as Error).message}\n`);
        return EXIT.usage;
      }
    } else {
      throw new UsageError('give --capture FILE, or --url with --thing, --cert, --key and --ca');
    }

    io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return exitCode(report);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`zw-contract check: ${error.message}\n\n${CHECK_USAGE}`);
    return EXIT.usage;
  }
}
