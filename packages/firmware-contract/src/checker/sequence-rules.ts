import { isPlainObject } from './captured-message.js';
import type { ClauseResult } from './check-report.js';
import { gatewaySeqOf, type ContractPayload } from './payload-rules.js';
import { isoTime, plural, type RuleContext } from './rule-context.js';

/** IoT Core allows 100 publishes per second per connection; the contract leaves 90 % of it free. */
export const MAX_PUBLISHES_PER_SECOND = 10;

/** The upload interval a gateway has before its shadow says otherwise (clause 5.2). */
export const DEFAULT_UPLOAD_INTERVAL_S = 60;

interface Batch {
  payload: ContractPayload;
  seq: number;
  frames: unknown[];
  sentAt: number;
}

function batchesOf(payloads: readonly ContractPayload[]): Batch[] {
  const batches: Batch[] = [];
  for (const payload of payloads) {
    if (payload.kind !== 'telegram-batch' || !isPlainObject(payload.value)) continue;
    const seq = gatewaySeqOf(payload.value);
    // A missing or malformed number is 6.1's finding; nothing to order here.
    if (seq === undefined || !Number.isSafeInteger(seq) || seq < 0) continue;
    const { frames, sentAt } = payload.value;
    batches.push({
      payload,
      seq,
      frames: Array.isArray(frames) ? frames : [],
      sentAt: typeof sentAt === 'string' ? Date.parse(sentAt) : NaN,
    });
  }
  return batches;
}

/** What identifies a frame across a resend: its bytes and its reception time. */
function frameKey(frame: unknown): string {
  if (!isPlainObject(frame)) return JSON.stringify(frame) ?? '';
  return `${String(frame.frame)}@${String(frame.receivedAt)}`;
}

/**
 * 6.2, 7.2 and 7.3, in publish order. A number seen before is a resend: the
 * same frames pass 7.2; frames that overlap the first batch's but differ fail
 * 7.2 (a resend gone wrong); frames that share nothing with it fail 6.2 (a
 * number reused). A resend is not judged again for replay.
 */
function sequence({ ledger }: RuleContext, batches: readonly Batch[]): void {
  const first = new Map<number, Batch>();
  let highest: Batch | null = null;
  let lastReplayed: { at: number; batch: Batch; index: number } | null = null;

  for (const batch of batches) {
    const { payload, seq } = batch;
    const at = { line: payload.message.line, topic: payload.message.topic, gatewaySeq: seq };
    ledger.saw('6.2');
    const earlier = first.get(seq);
    if (earlier !== undefined) {
      const same = JSON.stringify(earlier.frames) === JSON.stringify(batch.frames);
      const shared = new Set(earlier.frames.map(frameKey));
      const overlaps = batch.frames.some((frame) => shared.has(frameKey(frame)));
      if (same) ledger.saw('7.2');
      else if (overlaps) {
        ledger.saw('7.2');
        ledger.fail('7.2', {
          ...at,
          message: `batch resent under gatewaySeq ${seq} with different frames (first sent at line ${earlier.payload.message.line})`,
          expected: `the ${plural(earlier.frames.length, 'frame')} of line ${earlier.payload.message.line}, unchanged`,
          actual: `${plural(batch.frames.length, 'frame')}, not the same`,
        });
      } else {
        ledger.fail('6.2', {
          ...at,
          message: `gatewaySeq ${seq} reused for a different batch (first used at line ${earlier.payload.message.line})`,
          expected: `a gatewaySeq above ${highest?.seq ?? seq}`,
          actual: String(seq),
        });
      }
      continue;
    }
    first.set(seq, batch);
    if (highest !== null && seq < highest.seq) {
      ledger.fail('6.2', {
        ...at,
        message: `gatewaySeq ${seq} is smaller than ${highest.seq} of an earlier batch (line ${highest.payload.message.line})`,
        expected: `a gatewaySeq above ${highest.seq}`,
        actual: String(seq),
      });
    }
    if (highest === null || seq > highest.seq) highest = batch;

    batch.frames.forEach((frame, index) => {
      if (!isPlainObject(frame) || frame.replayed !== true) return;
      ledger.saw('7.3');
      const received = typeof frame.receivedAt === 'string' ? Date.parse(frame.receivedAt) : NaN;
      // An unreadable time is 8.1's finding.
      if (Number.isNaN(received)) return;
      if (!Number.isNaN(batch.sentAt) && received > batch.sentAt) {
        ledger.fail('7.3', {
          ...at,
          frameIndex: index,
          message:
            'a replayed frame was received after its batch was sent: replay keeps the original receivedAt',
          expected: `receivedAt before sentAt ${isoTime(batch.sentAt)}`,
          actual: isoTime(received),
        });
      }
      if (lastReplayed !== null && received < lastReplayed.at) {
        ledger.fail('7.3', {
          ...at,
          frameIndex: index,
          message: `replayed frames out of order: this one is older than frame ${lastReplayed.index} of gatewaySeq ${lastReplayed.batch.seq} (line ${lastReplayed.batch.payload.message.line}), replayed before it`,
          expected: `receivedAt at or after ${isoTime(lastReplayed.at)} (oldest first)`,
          actual: isoTime(received),
        });
      }
      if (lastReplayed === null || received >= lastReplayed.at) {
        lastReplayed = { at: received, batch, index };
      }
    });
  }
}

/** 5.3 from the capture's times: at most 10 publishes within any second. */
function rate({ messages, ledger }: RuleContext, batches: readonly Batch[]): void {
  const timed = messages.filter((m) => Number.isFinite(m.receivedAt));
  if (timed.length === 0) return;
  ledger.saw('5.3', timed.length);
  let start = 0;
  let burstUntil = -Infinity;
  for (let end = 0; end < timed.length; end++) {
    const current = timed[end]!;
    while (current.receivedAt - timed[start]!.receivedAt >= 1000) start++;
    const count = end - start + 1;
    // One finding per burst: the publish that crossed the limit.
    if (count > MAX_PUBLISHES_PER_SECOND && current.receivedAt > burstUntil) {
      const from = timed[start]!;
      ledger.fail('5.3', {
        line: current.line,
        topic: current.topic,
        message: `${count} publishes within one second (lines ${from.line}–${current.line})`,
        expected: `at most ${MAX_PUBLISHES_PER_SECOND} publishes per second`,
        actual: `${count} between ${isoTime(from.receivedAt)} and ${isoTime(current.receivedAt)}`,
      });
      burstUntil = from.receivedAt + 1000;
    }
  }
  const times = batches
    .map((b) => b.payload.message.receivedAt)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const span = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : 0;
  if (span >= 10 && times.length - 1 > span) {
    ledger.note(
      '5.3',
      `${plural(times.length, 'batch', 'batches')} in ${Math.round(span)} s: more than one batch per second sustained (SHOULD NOT)`,
    );
  }
}

/**
 * 5.2: a frame heard while online is published within uploadIntervalS. The
 * capture shows no outages, but a gateway gets its shadow at every connect
 * (11.3): a shadow get (or a boot) between a frame and its batch marks a
 * reconnect, and a frame heard just before the connection dropped waits
 * legitimately. Batches with replayed frames follow an outage too.
 */
function promptness(
  { messages, ledger }: RuleContext,
  payloads: readonly ContractPayload[],
  batches: readonly Batch[],
): void {
  let interval = DEFAULT_UPLOAD_INTERVAL_S;
  for (const p of payloads) {
    // The most lenient interval the gateway reported: the capture may mix configurations.
    const reported =
      p.kind === 'shadow-reported' && isPlainObject(p.value) ? p.value.uploadIntervalS : undefined;
    if (typeof reported === 'number' && reported > interval) interval = reported;
  }
  const limit = (interval + Math.max(10, interval * 0.1)) * 1000;
  const reconnects = messages
    .filter(
      (m) =>
        m.route.kind === 'shadow-get' || (m.route.kind === 'event' && m.route.event === 'boot'),
    )
    .map((m) => m.receivedAt);
  const seen = new Set<number>();
  for (const batch of batches) {
    const { message } = batch.payload;
    const resend = seen.has(batch.seq);
    seen.add(batch.seq);
    if (resend || !Number.isFinite(message.receivedAt)) continue;
    if (batch.frames.some((f) => isPlainObject(f) && f.replayed === true)) continue;
    let oldest: { at: number; index: number } | null = null;
    batch.frames.forEach((frame, index) => {
      const at =
        isPlainObject(frame) && typeof frame.receivedAt === 'string'
          ? Date.parse(frame.receivedAt)
          : NaN;
      if (Number.isFinite(at) && (oldest === null || at < oldest.at)) oldest = { at, index };
    });
    const first = oldest as { at: number; index: number } | null;
    if (first === null) continue;
    if (reconnects.some((at) => at > first.at && at <= message.receivedAt)) continue;
    ledger.saw('5.2');
    const waited = message.receivedAt - first.at;
    if (waited <= limit) continue;
    ledger.fail('5.2', {
      line: message.line,
      topic: message.topic,
      gatewaySeq: batch.seq,
      frameIndex: first.index,
      message: `the oldest frame waited ${Math.round(waited / 1000)} s before its batch was published`,
      expected: `a batch at the latest uploadIntervalS (${interval} s) after its oldest frame`,
      actual: `received ${isoTime(first.at)}, published ${isoTime(message.receivedAt)}`,
    });
  }
}

/** Clauses 5.2, 5.3, 6.2, 7.2 and 7.3. */
export function judgeSequence(context: RuleContext, payloads: readonly ContractPayload[]): void {
  const batches = batchesOf(payloads);
  promptness(context, payloads, batches);
  sequence(context, batches);
  rate(context, batches);
}

export function sequenceResults({ ledger }: RuleContext): ClauseResult[] {
  return [
    ledger.result('5.2', {
      pass: `${plural(ledger.observed('5.2'), 'batch', 'batches')} published within uploadIntervalS of their oldest frame`,
      notObserved:
        'no batch that could be judged (each followed a silence or held replayed frames)',
    }),
    ledger.result('5.3', {
      pass: `${plural(ledger.observed('5.3'), 'publish', 'publishes')}, never more than ${MAX_PUBLISHES_PER_SECOND} within a second`,
      notObserved: 'no publish with a readable time',
    }),
    ledger.result('6.2', {
      pass: `${plural(ledger.observed('6.2'), 'batch', 'batches')}, gatewaySeq always increasing`,
      notObserved: 'no batch with a gatewaySeq',
    }),
    ledger.result('7.2', {
      pass: `${plural(ledger.observed('7.2'), 'resend')}, each with the same frames`,
      notObserved: 'no batch was resent',
    }),
    ledger.result('7.3', {
      pass: `${plural(ledger.observed('7.3'), 'replayed frame')}, oldest first with their original times`,
      notObserved: 'no replayed frame',
    }),
  ];
}
