import { EXIT, type CommandIo } from '../cli-io.js';

export function runSimulateCommand(_argv: string[], io: CommandIo): Promise<number> {
  io.stderr('zw-contract simulate: not built yet\n');
  return Promise.resolve(EXIT.usage);
}
