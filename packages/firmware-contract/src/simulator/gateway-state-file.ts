import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GatewayEvent, TelegramFrame } from '../types.js';

/**
 * What the simulated gateway keeps across restarts (`statePath`): the
 * sequence numbers it may have used (clause 6.2) and its store-and-forward
 * buffer (clause 7.1): batches published without a PUBACK, frames not yet
 * sent, and events not yet sent.
 */
export interface GatewayState {
  format: typeof STATE_FORMAT;
  thingName: string;
  /**
   * Every gatewaySeq up to this one may have been used. Written ahead of
   * publishing (a block at a time) and set to the last one used on a clean
   * stop, so a crash leaves a gap and never a reuse.
   */
  seqReservedThrough: number;
  lastGatewaySeq: number;
  /** Payloads of batches published without a PUBACK: resent unchanged (clause 7.2). */
  unacked: string[];
  frames: Array<{ frame: TelegramFrame; receivedAtMs: number }>;
  events: GatewayEvent[];
}

export const STATE_FORMAT = 'zw-contract-simulator-state/1';

/** The state in a file, or null when there is none yet; throws on a file that is not one. */
export async function loadGatewayState(
  path: string,
  thingName: string,
): Promise<GatewayState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const state = JSON.parse(text) as Partial<GatewayState>;
  if (state.format !== STATE_FORMAT) {
    throw new Error(`${path} is not a simulator state file (format ${String(state.format)})`);
  }
  if (state.thingName !== thingName) {
    // Sequence numbers are per thing: another gateway's would prove nothing.
    throw new Error(`${path} holds the state of ${state.thingName}, not ${thingName}`);
  }
  if (!Number.isSafeInteger(state.seqReservedThrough) || !Array.isArray(state.unacked)) {
    throw new Error(`${path} is damaged`);
  }
  return {
    format: STATE_FORMAT,
    thingName,
    seqReservedThrough: state.seqReservedThrough!,
    lastGatewaySeq: state.lastGatewaySeq ?? state.seqReservedThrough!,
    unacked: state.unacked,
    frames: state.frames ?? [],
    events: state.events ?? [],
  };
}

/** Writes the state beside the file and renames it over: a crash leaves the old or the new. */
export async function saveGatewayState(path: string, state: GatewayState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state)}\n`);
  await rename(temporary, path);
}
