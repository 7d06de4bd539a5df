import { EXIT, type CommandIo } from '../cli-io.js';

export function runCheckCommand(_argv: string[], io: CommandIo): Promise<number> {
  io.stderr('zw-contract check: not built yet\n');
  return Promise.resolve(EXIT.usage);
}
