/**
 * Helpers for the simulator's tests: an offline run into a list of capture
 * lines, and the frames of a capture decoded with the keys the simulator
 * wrote. Not part of the package's exports.
 */
import { decode, hexToBytes, parseLinkHeader, type DataRecord } from '@zaehlwerk/wmbus';
import type { CaptureLine } from '../capture.js';
import { SHADOW_NAME, parseTopic } from '../topics.js';
import type { PayloadKind, TelegramBatch, TelegramFrame } from '../types.js';
import { validate, type ValidationResult } from '../validate.js';
import {
  createSimulator,
  type RunOptions,
  type RunSummary,
  type Simulator,
  type SimulatorOptions,
} from './create-simulator.js';
import { parseMetersCsv, metersCsv } from './meters-csv.js';

export interface OfflineRun {
  simulator: Simulator;
  lines: CaptureLine[];
  summary: RunSummary;
}

export async function offlineRun(
  options: Partial<SimulatorOptions> & { meters?: SimulatorOptions['meters'] },
  run: RunOptions,
): Promise<OfflineRun> {
  const lines: CaptureLine[] = [];
  const simulator = createSimulator({
    thingName: 'sim-gw-0001',
    ...(options.meters === undefined ? { fleet: { count: 20 } } : {}),
    transport: { kind: 'offline' },
    ...options,
    onCapture: (line) => lines.push(line),
  });
  const summary = await simulator.run(run);
  return { simulator, lines, summary };
}

/** The payload kind a capture line's topic carries, and where in it the schema applies. */
export function validateLine(line: CaptureLine): ValidationResult<unknown> | null {
  const parsed = parseTopic(line.topic);
  if (parsed !== null) {
    const kind: PayloadKind =
      parsed.kind === 'telegrams'
        ? 'telegram-batch'
        : parsed.kind === 'status'
          ? 'gateway-status'
          : 'gateway-event';
    return validate(kind, line.payload);
  }
  if (line.topic.endsWith(`/shadow/name/${SHADOW_NAME}/update`)) {
    const reported = (line.payload as { state?: { reported?: unknown } }).state?.reported;
    return validate('shadow-reported', reported);
  }
  return null;
}

export function batchesOf(lines: readonly CaptureLine[]): TelegramBatch[] {
  return lines
    .filter((line) => parseTopic(line.topic)?.kind === 'telegrams')
    .map((line) => line.payload as TelegramBatch);
}

export interface DecodedFrame {
  meter: string;
  frame: TelegramFrame;
  receivedAtMs: number;
  records: DataRecord[];
}

/** Every frame of the batches, decrypted with the keys from the simulator's CSV, in batch order. */
export function decodeFrames(batches: readonly TelegramBatch[], keysCsv: string): DecodedFrame[] {
  const keys = new Map(
    parseMetersCsv(keysCsv).map((r) => [`${r.manufacturer}${r.meterId}`, r.key]),
  );
  return batches.flatMap((batch) =>
    batch.frames.map((frame) => {
      const header = parseLinkHeader(hexToBytes(frame.frame));
      const meter = `${header.manufacturer}${header.id}`;
      const { telegram } = decode(frame.frame, { key: keys.get(meter) ?? null });
      return {
        meter,
        frame,
        receivedAtMs: Date.parse(frame.receivedAt),
        records: telegram.records,
      };
    }),
  );
}

export function keysOf(simulator: Simulator): string {
  return metersCsv(simulator.meters);
}

/** The current (storage 0) value of a quantity in a frame's records. */
export function current(records: readonly DataRecord[], quantity: string): number {
  const record = records.find((r) => r.quantity === quantity && r.storage === 0);
  if (record === undefined || typeof record.value !== 'number') {
    throw new Error(`no current ${quantity} in the frame`);
  }
  return record.value;
}
