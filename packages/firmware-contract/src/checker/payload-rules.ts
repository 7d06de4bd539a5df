import type { PayloadKind } from '../types.js';
import { PAYLOAD_LIMITS, validate } from '../validate.js';
import {
  describeBytes,
  isPlainObject,
  looksLikeBatch,
  type CapturedMessage,
} from './captured-message.js';
import type { ClauseResult } from './check-report.js';
import { clauseOfIssue, IDENTITY_KEYS } from './issue-clauses.js';
import { isoTime, plural, type RuleContext } from './rule-context.js';

/** A payload of the contract, found where its topic says it is. */
export interface ContractPayload {
  message: CapturedMessage;
  kind: PayloadKind;
  value: unknown;
  /** JSON Pointer of `value` inside the payload ('' or '/state/reported'). */
  at: string;
}

export function gatewaySeqOf(value: unknown): number | undefined {
  const seq = isPlainObject(value) ? value.gatewaySeq : undefined;
  return typeof seq === 'number' ? seq : undefined;
}

function frameIndexOf(path: string): number | undefined {
  const match = /^\/frames\/(\d+)(?:\/|$)/.exec(path);
  return match === null ? undefined : Number(match[1]);
}

/**
 * The contract payloads among the gateway's own publishes, by topic: a batch,
 * a status, an event, or the reported state inside a shadow update. A shadow
 * update without state.reported has none (clause 11.4 says so).
 */
export function contractPayloads(context: RuleContext): ContractPayload[] {
  const found: ContractPayload[] = [];
  for (const message of context.messages) {
    const { route, body } = message;
    if (!body.ok || route.kind === 'unknown' || route.thingName !== context.thingName) continue;
    if (route.kind === 'telegrams')
      found.push({ message, kind: 'telegram-batch', value: body.value, at: '' });
    else if (route.kind === 'status')
      found.push({ message, kind: 'gateway-status', value: body.value, at: '' });
    else if (route.kind === 'event')
      found.push({ message, kind: 'gateway-event', value: body.value, at: '' });
    else if (route.kind === 'shadow-update' && isPlainObject(body.value)) {
      const state = body.value.state;
      if (isPlainObject(state) && 'reported' in state) {
        found.push({
          message,
          kind: 'shadow-reported',
          value: state.reported,
          at: '/state/reported',
        });
      }
    }
  }
  return found;
}

/** 4.1: one UTF-8 JSON object per publish, with contractVersion "1". */
function jsonObjects({ messages, ledger }: RuleContext, payloads: ContractPayload[]): void {
  for (const m of messages) {
    ledger.saw('4.1');
    if (!m.body.ok) {
      // IoT Core's shadow service takes an empty get; the contract's clientToken is a SHOULD (11.1).
      if (m.body.empty && m.route.kind === 'shadow-get') continue;
      ledger.fail('4.1', {
        line: m.line,
        topic: m.topic,
        message: m.body.problem,
        expected: 'one UTF-8 JSON object',
        actual: describeBytes(m.bytes),
      });
    } else if (!isPlainObject(m.body.value)) {
      const value = m.body.value;
      ledger.fail('4.1', {
        line: m.line,
        topic: m.topic,
        message: 'the payload is JSON but not an object',
        expected: 'one JSON object',
        actual: Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value,
      });
    }
  }
  for (const p of payloads) {
    if (!isPlainObject(p.value)) continue;
    const version = p.value.contractVersion;
    if (version !== '1') {
      ledger.fail('4.1', {
        line: p.message.line,
        topic: p.message.topic,
        ...(p.kind === 'telegram-batch' && gatewaySeqOf(p.value) !== undefined
          ? { gatewaySeq: gatewaySeqOf(p.value)! }
          : {}),
        message: `${p.at}/contractVersion is ${version === undefined ? 'missing' : 'wrong'}`,
        expected: '"1"',
        actual: version === undefined ? 'absent' : JSON.stringify(version),
      });
    }
  }
}

/** 4.4 (and 5.1 for batches): bytes as sent, against the contract's limits. */
function sizes({ messages, ledger }: RuleContext): void {
  for (const m of messages) {
    if (m.bytes === null) continue;
    ledger.saw('4.4');
    // A batch on a wrong topic is 3.1's failure; its size is still judged as a batch's.
    const batch = m.route.kind === 'telegrams' || looksLikeBatch(m);
    const limit = batch ? PAYLOAD_LIMITS['telegram-batch'] : PAYLOAD_LIMITS['gateway-status'];
    if (m.bytes.length <= limit) continue;
    const finding = {
      line: m.line,
      topic: m.topic,
      ...(m.body.ok && gatewaySeqOf(m.body.value) !== undefined
        ? { gatewaySeq: gatewaySeqOf(m.body.value)! }
        : {}),
      message: `the payload has ${m.bytes.length} bytes`,
      expected: `at most ${limit} bytes${batch ? ' for a telegram batch' : ''}`,
      actual: `${m.bytes.length} bytes`,
    };
    ledger.fail('4.4', finding);
    if (batch) ledger.fail('5.1', { ...finding, message: `the batch has ${m.bytes.length} bytes` });
  }
}

/** Every validator issue, at the clause it breaks; one finding per path and clause. */
function schemaIssues({ ledger }: RuleContext, payloads: ContractPayload[]): void {
  for (const p of payloads) {
    ledger.saw('4.2');
    // A payload that is not an object at all is 4.1's finding; the schema would only repeat it.
    if (p.at === '' && !isPlainObject(p.value)) continue;
    const result = validate(p.kind, p.value);
    if (result.ok) continue;
    const reported = new Set<string>();
    for (const issue of result.issues) {
      const clause = clauseOfIssue(p.kind, issue);
      if (clause === null || reported.has(`${clause} ${issue.path}`)) continue;
      reported.add(`${clause} ${issue.path}`);
      const frameIndex = p.kind === 'telegram-batch' ? frameIndexOf(issue.path) : undefined;
      const seq = p.kind === 'telegram-batch' ? gatewaySeqOf(p.value) : undefined;
      ledger.fail(clause, {
        line: p.message.line,
        topic: p.message.topic,
        ...(seq === undefined ? {} : { gatewaySeq: seq }),
        ...(frameIndex === undefined ? {} : { frameIndex }),
        message: `${p.at}${issue.path || '/'}: ${issue.message}`,
        expected: `${p.kind} (${issue.keyword})`,
        actual: describeValue(p.value, issue.path),
      });
    }
  }
}

function valueAt(value: unknown, pointer: string): unknown {
  let current = value;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isPlainObject(current)) current = current[key];
    else return undefined;
  }
  return current;
}

function describeValue(value: unknown, pointer: string): string {
  const found = valueAt(value, pointer);
  if (found === undefined) return 'absent';
  const text = JSON.stringify(found) ?? String(found);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** What each clause fed by the schema saw: batches, frames, reported states, times. */
function countSchemaSubjects({ ledger }: RuleContext, payloads: ContractPayload[]): void {
  for (const p of payloads) {
    if (p.kind === 'shadow-reported') {
      ledger.saw('11.2');
      ledger.saw('11.4');
    }
    if (p.kind === 'gateway-event') ledger.saw('12.2');
    ledger.saw('8.1', countTimes(p.value));
    if (p.kind !== 'telegram-batch' || !isPlainObject(p.value)) continue;
    ledger.saw('6.1');
    ledger.saw('5.1');
    const frames = Array.isArray(p.value.frames) ? p.value.frames : [];
    for (const frame of frames) {
      if (!isPlainObject(frame)) continue;
      ledger.saw('9.1');
      ledger.saw('9.2');
      ledger.saw('10.3');
    }
  }
}

function countTimes(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countTimes(v), 0);
  if (!isPlainObject(value)) return 0;
  let n = 0;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && (key === 'at' || /[a-z]At$/.test(key))) n++;
    else n += countTimes(v);
  }
  return n;
}

/** 5.1: frames oldest first (the count and size come from the schema and sizes()). */
function frameOrder({ ledger }: RuleContext, payloads: ContractPayload[]): void {
  for (const p of payloads) {
    if (p.kind !== 'telegram-batch' || !isPlainObject(p.value) || !Array.isArray(p.value.frames))
      continue;
    let previous = -Infinity;
    p.value.frames.forEach((frame: unknown, i) => {
      const at =
        isPlainObject(frame) && typeof frame.receivedAt === 'string'
          ? Date.parse(frame.receivedAt)
          : NaN;
      if (Number.isNaN(at)) return;
      if (at < previous) {
        const seq = gatewaySeqOf(p.value);
        ledger.fail('5.1', {
          line: p.message.line,
          topic: p.message.topic,
          ...(seq === undefined ? {} : { gatewaySeq: seq }),
          frameIndex: i,
          message: `frame ${i} was received before frame ${i - 1}: frames are listed oldest first`,
          expected: `receivedAt at or after ${isoTime(previous)}`,
          actual: isoTime(at),
        });
      }
      previous = Math.max(previous, at);
    });
  }
}

/** 1.4: the thing name, or a property naming the gateway, anywhere in a payload. */
function identity({ messages, thingName, ledger }: RuleContext): void {
  const token =
    thingName === null
      ? null
      : new RegExp(
          `(^|[^A-Za-z0-9:_-])${thingName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9:_-])`,
        );
  for (const m of messages) {
    if (!m.body.ok) continue;
    ledger.saw('1.4');
    const shadowRequest = m.route.kind === 'shadow-get' || m.route.kind === 'shadow-update';
    const hits: { path: string; why: string; actual: string }[] = [];
    walk(m.body.value, '', (path, key, value) => {
      // The AWS IoT Device SDKs add these to shadow requests; IoT Core takes identity elsewhere.
      if (shadowRequest && (path === '/thingName' || path === '/shadowName')) return;
      if (key !== null && IDENTITY_KEYS.has(key.toLowerCase())) {
        hits.push({
          path,
          why: `property '${key}' names the gateway`,
          actual: JSON.stringify(value) ?? '',
        });
      } else if (
        token !== null &&
        typeof value === 'string' &&
        key !== 'frame' &&
        token.test(value)
      ) {
        hits.push({
          path,
          why: 'the thing name appears in the payload',
          actual: JSON.stringify(value),
        });
      }
    });
    for (const hit of hits) {
      ledger.fail('1.4', {
        line: m.line,
        topic: m.topic,
        message: `${hit.path || '/'}: ${hit.why}; identity comes only from the certificate and client id`,
        expected: 'no thing name in the payload',
        actual: hit.actual.length > 80 ? `${hit.actual.slice(0, 80)}…` : hit.actual,
      });
    }
  }
}

function walk(
  value: unknown,
  path: string,
  visit: (path: string, key: string | null, value: unknown) => void,
  key: string | null = null,
): void {
  visit(path, key, value);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}/${i}`, visit, null));
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`, visit, k);
  }
}

/**
 * Clauses judged on each payload: 1.4, 4.1, 4.2, 4.4, 8.1, and the parts of
 * 5.1, 6.1, 9.1, 9.2, 10.1–10.3, 11.2 and 11.4 the validator sees. The frame
 * and sequence rules add to the same clauses; results come from the ledger.
 */
export function judgePayloads(context: RuleContext, payloads: ContractPayload[]): void {
  jsonObjects(context, payloads);
  sizes(context);
  schemaIssues(context, payloads);
  countSchemaSubjects(context, payloads);
  frameOrder(context, payloads);
  identity(context);
}

export function payloadResults({ ledger }: RuleContext): ClauseResult[] {
  const n = (clause: string, one: string, many?: string) =>
    plural(ledger.observed(clause), one, many);
  return [
    ledger.result('1.4', {
      pass: `${n('1.4', 'payload')} without the thing name`,
      notObserved: 'no readable payload in the capture',
    }),
    ledger.result('4.1', {
      pass: `${n('4.1', 'payload')}, all UTF-8 JSON objects of their schema with contractVersion "1"`,
      fail: `${plural(ledger.failures('4.1'), 'problem')} with JSON, schema or contractVersion`,
      notObserved: 'no publish in the capture',
    }),
    ledger.result('4.2', {
      pass: `${n('4.2', 'payload')} without unknown properties`,
      notObserved: 'no payload of the contract in the capture',
    }),
    ledger.result('4.4', {
      pass: `${n('4.4', 'payload')} within their size limits`,
      notObserved: 'no publish in the capture',
    }),
    ledger.result('5.1', {
      pass: `${n('5.1', 'batch', 'batches')} with 1–100 frames, at most 65 536 bytes, oldest first`,
      notObserved: 'no telegram batch in the capture',
    }),
    ledger.result('6.1', {
      pass: `${n('6.1', 'batch', 'batches')}, each with a gatewaySeq`,
      notObserved: 'no telegram batch in the capture',
    }),
    ledger.result('8.1', {
      pass: `${n('8.1', 'time')} in payloads, all UTC with Z`,
      notObserved: 'no time in any payload',
    }),
    ledger.result('9.1', {
      pass: `${n('9.1', 'frame')} with receivedAt, rssi and mode`,
      notObserved: 'no frame in the capture',
    }),
    ledger.result('9.2', {
      pass: `${n('9.2', 'frame')} with a valid frame format`,
      notObserved: 'no frame in the capture',
    }),
    ledger.result('10.3', {
      pass: `${n('10.3', 'frame')} whose L field fits`,
      notObserved: 'no frame in the capture',
    }),
    ledger.result('11.2', {
      pass: `${n('11.2', 'reported state')} with valid configuration values`,
      notObserved: 'no shadow update in the capture',
    }),
    ledger.result('12.2', {
      pass: `${n('12.2', 'event')}, each known with its details or a vendor event`,
      notObserved: 'no event in the capture',
    }),
  ];
}
