import type { PayloadKind, ValidationIssue } from '../types.js';

/**
 * Properties that would name the gateway inside a payload (clause 1.4).
 * Compared case-insensitively.
 */
export const IDENTITY_KEYS = new Set([
  'thingname',
  'thing',
  'clientid',
  'gatewayid',
  'gatewayname',
]);

const CONFIG_KEYS = new Set([
  'configVersion',
  'uploadIntervalS',
  'maxBatchFrames',
  'statusIntervalS',
  'radioModes',
  'forwardAllMeters',
  'meterAllowList',
]);

const TIME_KEYWORDS = new Set(['pattern', 'format', 'type']);

function isTimeProperty(name: string): boolean {
  return name === 'at' || /[a-z]At$/.test(name);
}

/**
 * The clause a validator issue breaks. `validate` reports by JSON Schema
 * keyword; a vendor fixes firmware by clause, so an rssi out of range is a
 * radio-metadata failure (9.1), not merely "schema". What no more specific
 * clause claims breaks 4.1 (valid against the topic's schema), unknown
 * properties 4.2. Null for issues another rule already reports with more
 * context (size, contractVersion, a property naming the gateway).
 */
export function clauseOfIssue(kind: PayloadKind, issue: ValidationIssue): string | null {
  const segments = issue.path.split('/').slice(1);
  const last = segments[segments.length - 1] ?? '';
  if (issue.keyword === 'maxBytes' || issue.path === '/contractVersion') return null;
  if (issue.keyword === 'json') return '4.1';
  if (issue.keyword === 'additionalProperties') {
    // A property naming the gateway is 1.4's, with a better message; any other is 4.2's.
    return IDENTITY_KEYS.has(last.toLowerCase()) ? null : '4.2';
  }
  if (isTimeProperty(last) && TIME_KEYWORDS.has(issue.keyword)) return '8.1';

  if (kind === 'telegram-batch') {
    if (segments[0] === 'gatewaySeq') return '6.1';
    if (segments[0] === 'frames' && segments.length === 1) return '5.1';
    if (segments[0] === 'frames' && segments.length === 3) {
      switch (segments[2]) {
        case 'receivedAt':
        case 'rssi':
        case 'mode':
          return '9.1';
        case 'frameFormat':
          return '9.2';
        case 'crc':
          return '10.2';
        case 'frame':
          return issue.keyword === 'frameLength' ? '10.3' : '10.1';
        case 'replayed':
          return '7.3';
      }
    }
  }
  if (kind === 'gateway-event' && (segments[0] === 'event' || segments[0] === 'details')) {
    return '12.2';
  }
  if (kind === 'shadow-reported' && segments.length >= 1) {
    if (issue.keyword === 'required' && segments.length === 1) return '11.4';
    if (CONFIG_KEYS.has(segments[0]!)) return '11.2';
  }
  return '4.1';
}
