#!/usr/bin/env node
import { runCheckCommand } from './checker/check-command.js';
import { EXIT, type CommandIo } from './cli-io.js';
import { runSimulateCommand } from './simulator/simulate-command.js';

const USAGE = `Usage: zw-contract <command> [options]

Commands:
  simulate   the reference gateway: virtual meters, encrypted frames, batches
             published over mutual TLS (or --offline into a capture file)
  check      the conformance checker: a capture file (--capture FILE) or a live
             gateway through a broker, reported clause by clause
  help       show this text (zw-contract <command> --help for a command's options)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    signal: controller.signal,
  };
  switch (command) {
    case 'simulate':
      return runSimulateCommand(rest, io);
    case 'check':
      return runCheckCommand(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      process.stderr.write(`unknown command '${command}'\n\n${USAGE}`);
      return EXIT.usage;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `zw-contract: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = EXIT.usage;
  },
);
