import { isPlainObject, type CapturedMessage } from './captured-message.js';
import type { ClauseResult } from './check-report.js';
import type { ContractPayload } from './payload-rules.js';
import { isoTime, plural, type RuleContext } from './rule-context.js';

/** IoT Core answers a longer clientToken with 400 "Invalid clientToken". */
export const MAX_CLIENT_TOKEN_BYTES = 64;

/** The status interval a gateway has before its shadow says otherwise (clause 12.1). */
export const DEFAULT_STATUS_INTERVAL_S = 3600;

/**
 * Slack on "at least every statusIntervalS": a gateway that schedules its
 * status on the interval is late by its own jitter and the broker's. A status
 * within this much of a boot event counts as the boot's.
 */
const STATUS_SLACK_S = 60;

const utf8 = new TextEncoder();

function numberAt(value: unknown, key: string): number | undefined {
  const found = isPlainObject(value) ? value[key] : undefined;
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}

/** 11.1: the gateway writes the reported state only, with clientTokens IoT Core takes. */
function shadowRequests({ messages, thingName, ledger }: RuleContext): void {
  let withoutToken = 0;
  for (const m of messages) {
    const { route } = m;
    if (route.kind !== 'shadow-get' && route.kind !== 'shadow-update') continue;
    if (route.thingName !== thingName) continue;
    ledger.saw('11.1');
    const body = m.body.ok && isPlainObject(m.body.value) ? m.body.value : null;
    const token = body?.clientToken;
    if (token === undefined) withoutToken++;
    else if (typeof token !== 'string' || utf8.encode(token).length > MAX_CLIENT_TOKEN_BYTES) {
      ledger.fail('11.1', {
        line: m.line,
        topic: m.topic,
        message:
          'the clientToken is not a string of at most 64 bytes: IoT Core rejects the request',
        expected: `a string of at most ${MAX_CLIENT_TOKEN_BYTES} bytes`,
        actual:
          typeof token === 'string' ? `${utf8.encode(token).length} bytes` : JSON.stringify(token),
      });
    }
    const state = body?.state;
    if (route.kind === 'shadow-update' && isPlainObject(state) && 'desired' in state) {
      ledger.fail('11.1', {
        line: m.line,
        topic: m.topic,
        message: 'the gateway wrote state.desired, which only the cloud writes',
        expected: 'state.reported only',
        actual: `state with ${Object.keys(state).join(', ')}`,
      });
    }
  }
  if (withoutToken > 0) {
    ledger.note('11.1', `${plural(withoutToken, 'shadow request')} without a clientToken (SHOULD)`);
  }
}

interface Rejection {
  configVersion: number;
  message: CapturedMessage;
}

/**
 * 11.4 (configVersion never goes back) and 11.5 (a rejected configuration is
 * never reported as applied), in publish order.
 */
function configVersions({ ledger }: RuleContext, payloads: readonly ContractPayload[]): void {
  let last: { version: number; message: CapturedMessage } | null = null;
  const rejected = new Map<number, Rejection>();
  for (const p of payloads) {
    if (p.kind === 'gateway-event' && isPlainObject(p.value)) {
      if (p.value.event !== 'config-rejected') continue;
      ledger.saw('11.5');
      const version = numberAt(p.value.details, 'configVersion');
      if (version !== undefined)
        rejected.set(version, { configVersion: version, message: p.message });
      continue;
    }
    if (p.kind !== 'shadow-reported') continue;
    const version = numberAt(p.value, 'configVersion');
    if (version === undefined) continue;
    if (last !== null && version < last.version) {
      ledger.fail('11.4', {
        line: p.message.line,
        topic: p.message.topic,
        message: `the reported configVersion went back from ${last.version} (line ${last.message.line}) to ${version}`,
        expected: `configVersion ${last.version} or later`,
        actual: String(version),
      });
    }
    const rejection = rejected.get(version);
    if (rejection !== undefined) {
      ledger.fail('11.5', {
        line: p.message.line,
        topic: p.message.topic,
        message: `configVersion ${version} is reported as applied after a config-rejected event for it (line ${rejection.message.line})`,
        expected: 'the configVersion last applied',
        actual: String(version),
      });
    }
    last = { version, message: p.message };
  }
}

/** 12.1: a status near every boot, and never longer than statusIntervalS without one. */
function statusCadence(
  { messages, thingName, ledger }: RuleContext,
  payloads: readonly ContractPayload[],
): void {
  const timed = messages.filter((m) => Number.isFinite(m.receivedAt));
  if (timed.length === 0) return;
  const statuses = timed.filter(
    (m) => m.route.kind === 'status' && m.route.thingName === thingName,
  );
  let interval = DEFAULT_STATUS_INTERVAL_S;
  for (const p of payloads) {
    // The most lenient interval the gateway reported: the capture may mix configurations.
    const reported =
      p.kind === 'shadow-reported' ? numberAt(p.value, 'statusIntervalS') : undefined;
    if (reported !== undefined && reported > interval) interval = reported;
  }
  const limit = (interval + Math.max(STATUS_SLACK_S, interval * 0.1)) * 1000;

  const boots = payloads.filter(
    (p) => p.kind === 'gateway-event' && isPlainObject(p.value) && p.value.event === 'boot',
  );
  for (const boot of boots) {
    const near = statuses.some(
      (s) => Math.abs(s.receivedAt - boot.message.receivedAt) <= STATUS_SLACK_S * 1000,
    );
    if (!near) {
      ledger.fail('12.1', {
        line: boot.message.line,
        topic: boot.message.topic,
        message: `no status within ${STATUS_SLACK_S} s of this boot event`,
        expected: `a status on zw/v1/gw/${thingName ?? '{thing}'}/status at boot`,
        actual: 'none',
      });
    }
  }

  if (boots.length > 0 && ledger.failures('12.1') === 0) {
    ledger.note('12.1', `${plural(boots.length, 'boot event')}, each with a status`);
  }

  const start = timed[0]!.receivedAt;
  const end = timed[timed.length - 1]!.receivedAt;
  if (statuses.length === 0 && end - start <= limit) {
    if (boots.length === 0) {
      ledger.note(
        '12.1',
        `no status in a capture of ${Math.round((end - start) / 1000)} s, shorter than statusIntervalS (${interval} s)`,
      );
    }
    return;
  }
  const points = [start, ...statuses.map((s) => s.receivedAt), end];
  ledger.saw('12.1', statuses.length);
  for (let i = 1; i < points.length; i++) {
    const gap = points[i]! - points[i - 1]!;
    if (gap <= limit) continue;
    const next = statuses[i - 1];
    ledger.fail('12.1', {
      ...(next === undefined ? {} : { line: next.line, topic: next.topic }),
      message: `${Math.round(gap / 1000)} s without a status, from ${isoTime(points[i - 1]!)} to ${isoTime(points[i]!)}${next === undefined ? ' (end of the capture)' : ''}`,
      expected: `a status at least every ${interval} s (statusIntervalS)`,
      actual: `${Math.round(gap / 1000)} s`,
    });
  }
}

/** Clauses 11.1, 11.4 (configVersion), 11.5 and 12.1. */
export function judgeShadow(context: RuleContext, payloads: readonly ContractPayload[]): void {
  shadowRequests(context);
  configVersions(context, payloads);
  statusCadence(context, payloads);
}

export function shadowResults({ ledger }: RuleContext): ClauseResult[] {
  return [
    ledger.result('11.1', {
      pass: `${plural(ledger.observed('11.1'), 'shadow request')}, writing the reported state only`,
      notObserved: 'no shadow request',
    }),
    ledger.result('11.4', {
      pass: `${plural(ledger.observed('11.4'), 'reported state')}, whole, configVersion never going back`,
      notObserved: 'no reported state',
    }),
    ledger.result('11.5', {
      pass: `${plural(ledger.observed('11.5'), 'config-rejected event')}, none followed by a claim to have applied it`,
      notObserved: 'no configuration was rejected',
    }),
    ledger.result('12.1', {
      pass: `${plural(ledger.observed('12.1'), 'status', 'statuses')}, no gap beyond statusIntervalS`,
      notObserved: 'no status and no boot event',
    }),
  ];
}
