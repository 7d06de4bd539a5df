import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes, openFrame } from '@zaehlwerk/wmbus';
import type { CaptureLine } from '../capture.js';
import { topics } from '../topics.js';
import type {
  GatewayEvent,
  GatewayStatus,
  RadioMode,
  ShadowReported,
  TelegramBatch,
  TelegramFrame,
} from '../types.js';
import type { CheckReport, ClauseResult } from './check-report.js';

/*
 * Hand-built captures for the checker's tests: a well-behaved gateway's
 * publishes made from the contract's test vectors and topics, which each test
 * then breaks in one way.
 */

export const THING = 'gw-test-0001';

interface VectorDocument {
  name: string;
  radioMode: RadioMode;
  security: { mode: 0 | 5 | 7; key: string | null };
  frame: string;
  frameFormatA: string;
}

export function vector(name: string): VectorDocument {
  const url = new URL(`../../vectors/v1/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as VectorDocument;
}

/** Vectors of distinct meters in security modes 0, 5 and 7. */
export const GOOD_VECTORS = [
  'hca-sontex-mode0',
  'hca-sontex-mode5',
  'hca-sontex-mode7',
  'heat-engelmann-mode5',
  'water-sensus-mode7',
  'hca-brunata-mode0-long-header',
] as const;

const firmware = { vendor: 'Zählwerk', model: 'test-gateway', version: '1.0.0' };
const radio = {
  modes: ['T1'] as RadioMode[],
  framesReceived: 10,
  framesForwarded: 10,
  framesFiltered: 0,
  framesInvalid: 0,
};
const buffer = { framesQueued: 0, bytesQueued: 0, capacityBytes: 1_048_576, framesDropped: 0 };

export const iso = (ms: number) => new Date(ms).toISOString();

/** A frame of a batch from a vector: stripped, or with its format-A CRCs. */
export function frameOf(
  name: string,
  receivedAt: number,
  options: { withCrcs?: boolean; replayed?: boolean } = {},
): TelegramFrame {
  const v = vector(name);
  return {
    frame: options.withCrcs === true ? v.frameFormatA : v.frame,
    crc: options.withCrcs === true ? 'present' : 'stripped',
    ...(options.withCrcs === true ? { frameFormat: 'A' as const } : {}),
    receivedAt: iso(receivedAt),
    rssi: -71,
    mode: v.radioMode,
    ...(options.replayed === true ? { replayed: true } : {}),
  };
}

/**
 * The vector's frame as a gateway that decrypts would forward it: the
 * ciphertext replaced by the plaintext (2F2F first); with `rewriteMode0`
 * also the configuration field cleared to security mode 0.
 */
export function decryptedFrame(name: string, options: { rewriteMode0?: boolean } = {}): string {
  const v = vector(name);
  const bytes = hexToBytes(v.frame);
  const opened = openFrame(bytes, { key: hexToBytes(v.security.key!), crc: 'stripped' });
  const out = bytes.slice();
  out.set(opened.payload, bytes.length - opened.payload.length);
  if (options.rewriteMode0 === true) {
    // Short TPL header (CI 0x7A): CI, access number, status, then the 2-byte configuration field.
    if (out[10] !== 0x7a) throw new Error(`${name} has no short TPL header`);
    out[13] = 0;
    out[14] = 0;
  }
  return bytesToHex(out).toUpperCase();
}

/** Builds capture lines one publish at a time, a second apart unless told otherwise. */
export class CaptureBuilder {
  readonly lines: CaptureLine[] = [];
  seq = 100;
  now: number;

  constructor(
    readonly thing = THING,
    start = Date.parse('2025-01-15T06:00:00Z'),
  ) {
    this.now = start;
  }

  /** Moves the clock on; returns the new time. */
  tick(ms = 1000): number {
    this.now += ms;
    return this.now;
  }

  publish(topic: string, payload: unknown, extra: Partial<CaptureLine> = {}): this {
    this.lines.push({
      topic,
      payload,
      qos: 1,
      receivedAt: iso(this.tick()),
      retain: false,
      ...extra,
    });
    return this;
  }

  boot(): this {
    const event: GatewayEvent = {
      contractVersion: '1',
      event: 'boot',
      occurredAt: iso(this.now),
      details: { reason: 'power-on', firmware },
    };
    return this.publish(topics.event(this.thing, 'boot'), event);
  }

  event(payload: GatewayEvent, extra: Partial<CaptureLine> = {}): this {
    return this.publish(topics.event(this.thing, payload.event), payload, extra);
  }

  status(overrides: Partial<GatewayStatus> = {}): this {
    const status: GatewayStatus = {
      contractVersion: '1',
      sentAt: iso(this.now + 1000),
      firmware,
      uptimeS: 60,
      clockSynchronised: true,
      radio,
      buffer,
      lastGatewaySeq: this.seq,
      ...overrides,
    };
    return this.publish(topics.status(this.thing), status);
  }

  shadowGet(): this {
    return this.publish(topics.shadow(this.thing, 'get'), { clientToken: 'gw-get-1' });
  }

  reported(configVersion: number, overrides: Partial<ShadowReported> = {}): this {
    const reported: ShadowReported = {
      contractVersion: '1',
      configVersion,
      uploadIntervalS: 60,
      maxBatchFrames: 100,
      statusIntervalS: 3600,
      radioModes: ['T1'],
      forwardAllMeters: true,
      firmware,
      uptimeS: 61,
      radio,
      buffer,
      lastGatewaySeq: this.seq,
      ...overrides,
    };
    return this.publish(topics.shadow(this.thing, 'update'), {
      state: { reported },
      clientToken: `gw-report-${configVersion}`,
    });
  }

  /** A batch with the next gatewaySeq; `frames` default to one frame of each good vector. */
  batch(frames?: TelegramFrame[], overrides: Partial<TelegramBatch> = {}): this {
    this.seq += 1;
    const received = this.now;
    const batch: TelegramBatch = {
      contractVersion: '1',
      gatewaySeq: this.seq,
      sentAt: iso(received + 1000),
      frames: frames ?? GOOD_VECTORS.map((name, i) => frameOf(name, received - 6000 + i * 1000)),
      ...overrides,
    };
    return this.publish(topics.telegrams(this.thing), batch);
  }

  text(): string {
    return `${this.lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
  }
}

/**
 * A well-behaved gateway's capture: boot, status, shadow get and report,
 * batches of plain and encrypted frames (with and without CRCs), a resend
 * after a lost PUBACK and replayed frames after an outage.
 */
export function goodCapture(): CaptureBuilder {
  const c = new CaptureBuilder();
  c.boot().status().shadowGet().reported(1);
  c.batch();
  c.batch([
    frameOf('heat-engelmann-mode0', c.now - 500, { withCrcs: true }),
    frameOf('water-sensus-mode5', c.now - 400, { withCrcs: true }),
  ]);
  // No PUBACK: the same batch again under the same number (clause 7.2).
  const resent = c.lines[c.lines.length - 1]!;
  c.publish(resent.topic, resent.payload);
  // An outage: frames received meanwhile come marked replayed, oldest first, in new batches.
  const outage = c.tick(60_000);
  c.batch([
    frameOf('hca-sontex-mode5', outage - 50_000, { replayed: true }),
    frameOf('water-sensus-mode7', outage - 40_000, { replayed: true }),
  ]);
  c.batch([
    frameOf('heat-engelmann-mode7', outage - 30_000, { replayed: true }),
    frameOf('hca-sontex-mode0', c.now - 200),
  ]);
  c.status();
  return c;
}

/** The clauses of a report that failed, by id. */
export function failed(report: CheckReport): string[] {
  return report.clauses.filter((c) => c.status === 'fail').map((c) => c.clause);
}

export function clause(report: CheckReport, id: string): ClauseResult {
  const found = report.clauses.find((c) => c.clause === id);
  if (found === undefined) throw new Error(`no clause ${id} in the report`);
  return found;
}
