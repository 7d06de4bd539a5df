import {
  crc16En13757,
  hexToBytes,
  isWmbusError,
  openFrame,
  parseLinkHeader,
  type OpenedFrame,
} from '@zaehlwerk/wmbus';
import { expectedFrameLength, TOLERATED_TRAILING_BYTES } from '../internal/frame-length.js';
import { isPlainObject } from './captured-message.js';
import type { ClauseResult, Finding } from './check-report.js';
import { gatewaySeqOf, type ContractPayload } from './payload-rules.js';
import { plural, type RuleContext } from './rule-context.js';

type Format = 'A' | 'B';
type Crc = 'present' | 'stripped';

/** One frame of a batch whose own fields are well formed enough to open. */
interface BatchFrame {
  payload: ContractPayload;
  index: number;
  bytes: Uint8Array;
  crc: Crc;
  format: Format;
}

const HEX = /^(?:[0-9A-Fa-f]{2}){10,}$/;

function framesOf(payloads: readonly ContractPayload[]): BatchFrame[] {
  const found: BatchFrame[] = [];
  for (const payload of payloads) {
    if (payload.kind !== 'telegram-batch' || !isPlainObject(payload.value)) continue;
    const frames = payload.value.frames;
    if (!Array.isArray(frames)) continue;
    frames.forEach((item: unknown, index) => {
      if (!isPlainObject(item)) return;
      const { frame, crc, frameFormat } = item;
      // Malformed fields are the schema's findings (10.1 hex, 10.2 enum, 9.2 enum).
      if (typeof frame !== 'string' || !HEX.test(frame)) return;
      if (crc !== 'present' && crc !== 'stripped') return;
      if (frameFormat !== undefined && frameFormat !== 'A' && frameFormat !== 'B') return;
      found.push({
        payload,
        index,
        bytes: hexToBytes(frame),
        crc,
        format: frameFormat ?? 'A',
      });
    });
  }
  return found;
}

/** [start, end) of the data each link-layer CRC covers; the CRC follows at `end`. */
function crcBlocks(l: number, format: Format): [number, number][] {
  if (format === 'A') {
    const blocks: [number, number][] = [[0, 10]];
    let at = 12;
    for (let left = l - 9; left > 0; left -= 16) {
      const size = Math.min(16, left);
      blocks.push([at, at + size]);
      at += size + 2;
    }
    return blocks;
  }
  // Format B: blocks 1 and 2 share one CRC (up to byte 126); a third block has its own.
  return l <= 127
    ? [[0, l - 1]]
    : [
        [0, 126],
        [128, l - 1],
      ];
}

/** The first link-layer CRC that does not check, or null when all do. */
function badCrc(
  bytes: Uint8Array,
  format: Format,
): { offset: number; found: number; expected: number } | null {
  for (const [start, end] of crcBlocks(bytes[0]!, format)) {
    if (end + 2 > bytes.length) return { offset: end, found: -1, expected: -1 };
    const expected = crc16En13757(bytes, start, end);
    const found = (bytes[end]! << 8) | bytes[end + 1]!;
    if (found !== expected) return { offset: end, found, expected };
  }
  return null;
}

/** Whether the length allows CRCs for this L at all: else 10.3 has the finding. */
function fitsWithCrcs(bytes: Uint8Array, format: Format): boolean {
  const extra = bytes.length - expectedFrameLength(bytes[0]!, format, 'present');
  return extra >= 0 && extra <= TOLERATED_TRAILING_BYTES;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

function where(frame: BatchFrame): Pick<Finding, 'line' | 'topic' | 'gatewaySeq' | 'frameIndex'> {
  const seq = gatewaySeqOf(frame.payload.value);
  return {
    line: frame.payload.message.line,
    topic: frame.payload.message.topic,
    ...(seq === undefined ? {} : { gatewaySeq: seq }),
    frameIndex: frame.index,
  };
}

/** 10.2: the crc statement is true of the frame. */
function crcStatements(context: RuleContext, frames: readonly BatchFrame[]): void {
  const { ledger } = context;
  for (const frame of frames) {
    const { bytes, format, crc } = frame;
    if (!fitsWithCrcs(bytes, format)) {
      // Too short for CRCs: a 'stripped' frame is then truthful, a 'present' one is 10.3's.
      if (crc === 'stripped') ledger.saw('10.2');
      continue;
    }
    ledger.saw('10.2');
    const bad = badCrc(bytes, format);
    if (crc === 'present' && bad !== null) {
      ledger.fail('10.2', {
        ...where(frame),
        message: `crc is "present", but the format-${format} CRC at byte ${bad.offset} does not check`,
        expected: bad.expected < 0 ? 'a CRC' : `CRC ${hex4(bad.expected)}`,
        actual: bad.found < 0 ? 'the frame ends' : hex4(bad.found),
      });
    } else if (crc === 'stripped' && bad === null) {
      ledger.fail('10.2', {
        ...where(frame),
        message: `crc is "stripped", but the frame still holds every format-${format} CRC, all valid`,
        expected: 'crc "present" (or the CRCs removed)',
        actual: '"stripped"',
      });
    }
  }
}

type Opened = { ok: true; frame: OpenedFrame } | { ok: false; encrypted: boolean };

function open(frame: BatchFrame): Opened {
  try {
    return {
      ok: true,
      frame: openFrame(frame.bytes, { key: null, crc: frame.crc, format: frame.format }),
    };
  } catch (error) {
    // Without a key the codec stops exactly where a payload is still encrypted.
    const encrypted = isWmbusError(error) && error.code === 'KEY_REQUIRED';
    return { ok: false, encrypted };
  }
}

function meterOf(bytes: Uint8Array): string {
  const header = parseLinkHeader(bytes);
  return `${header.manufacturer} ${header.id}`;
}

/**
 * 10.1: frames reach the cloud encrypted as the meter sent them. The codec,
 * given no key, says whether a frame still holds ciphertext; a frame that
 * announces encryption but carries plaintext (2F2F first) was decrypted on the
 * way, and a meter seen sending encrypted frames cannot also send plain ones
 * (a gateway that decrypts and rewrites the configuration field).
 */
function neverDecrypted(context: RuleContext, frames: readonly BatchFrame[]): string[] {
  const { ledger } = context;
  const opened = frames.map((frame) => ({ frame, result: open(frame) }));
  const encrypting = new Map<string, { line: number; mode: string }>();
  for (const { frame, result } of opened) {
    const mode = result.ok
      ? result.frame.security.mode !== 0 || result.frame.security.ellEncrypted
        ? `mode ${result.frame.security.mode}`
        : null
      : result.encrypted
        ? 'encrypted'
        : null;
    if (mode === null) continue;
    const meter = meterOf(frame.bytes);
    if (!encrypting.has(meter)) encrypting.set(meter, { line: frame.payload.message.line, mode });
  }

  let unreadable = 0;
  for (const { frame, result } of opened) {
    ledger.saw('10.1');
    if (!result.ok) {
      // A frame the codec cannot read (a manufacturer's layout, a broken CRC) may still be
      // forwarded as received; only what the codec can read is judged.
      if (!result.encrypted) unreadable++;
      continue;
    }
    const { security } = result.frame;
    if (security.alreadyDecrypted) {
      ledger.fail('10.1', {
        ...where(frame),
        message: `the frame announces security mode ${security.mode}${security.ellEncrypted ? ' (ELL encrypted)' : ''} but its payload is plaintext: decrypted before forwarding`,
        expected: 'the ciphertext the meter sent',
        actual: 'a decrypted payload (2F2F fillers or a matching PayloadCRC)',
      });
      continue;
    }
    if (security.mode !== 0 || security.ellEncrypted) continue;
    const meter = meterOf(frame.bytes);
    const seen = encrypting.get(meter);
    if (seen !== undefined) {
      ledger.fail('10.1', {
        ...where(frame),
        message: `meter ${meter} sends encrypted frames (${seen.mode}, line ${seen.line}), this one is unencrypted: decrypted and rewritten before forwarding`,
        expected: `the meter's encrypted frame (${seen.mode})`,
        actual: 'security mode 0',
      });
    }
  }
  const notes: string[] = [];
  if (unreadable > 0) {
    notes.push(
      `${plural(unreadable, 'frame')} the codec could not open without a key, not judged for decryption`,
    );
  }
  return notes;
}

/** Clauses 10.1 and 10.2, on the frames of the gateway's batches. */
export function judgeFrames(context: RuleContext, payloads: readonly ContractPayload[]): void {
  const frames = framesOf(payloads);
  crcStatements(context, frames);
  for (const note of neverDecrypted(context, frames)) context.ledger.note('10.1', note);
}

export function frameResults({ ledger }: RuleContext): ClauseResult[] {
  return [
    ledger.result('10.1', {
      pass: `${plural(ledger.observed('10.1'), 'frame')} as received, none decrypted`,
      fail: `${plural(ledger.failures('10.1'), 'frame')} decrypted before forwarding`,
      notObserved: 'no frame in the capture',
    }),
    ledger.result('10.2', {
      pass: `${plural(ledger.observed('10.2'), 'frame')} whose crc statement is true`,
      notObserved: 'no frame in the capture',
    }),
  ];
}
