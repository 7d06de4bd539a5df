import { isBase64Payload, payloadBytes, type CaptureLine } from '../capture.js';
import { parseTopic, SHADOW_NAME } from '../topics.js';

/** Where a publish went, as the topic table (topics/v1.json) sees it. */
export type MessageRoute =
  | { kind: 'telegrams'; thingName: string; basicIngest: boolean }
  | { kind: 'status'; thingName: string }
  | { kind: 'event'; thingName: string; event: string }
  | { kind: 'shadow-get'; thingName: string }
  | { kind: 'shadow-update'; thingName: string }
  /** In the table, but the cloud publishes there (errors, shadow responses), never a gateway. */
  | { kind: 'cloud'; thingName: string; name: string }
  | { kind: 'unknown' };

/** The payload read as the contract wants it: one UTF-8 JSON document. */
export type PayloadBody =
  { ok: true; value: unknown } | { ok: false; problem: string; empty: boolean };

/** One capture line, read once, in the shape every rule works on. */
export interface CapturedMessage {
  line: number;
  topic: string;
  qos: number;
  retain: boolean;
  /** ms since the epoch; the capture's time of the publish, not the gateway's. */
  receivedAt: number;
  clientId?: string;
  outcome?: 'accepted' | 'refused';
  route: MessageRoute;
  /** The payload's bytes as sent; null when a base64 payload is not base64. */
  bytes: Uint8Array | null;
  body: PayloadBody;
}

const ERRORS_TOPIC = /^zw\/v1\/gw\/([^/]+)\/errors$/;
const SHADOW_TOPIC = new RegExp(`^\\$aws/things/([^/]+)/shadow/name/${SHADOW_NAME}/(.+)$`);
const SHADOW_RESPONSES = new Set([
  'get/accepted',
  'get/rejected',
  'update/accepted',
  'update/rejected',
  'update/delta',
  'update/documents',
]);

export function routeOf(topic: string): MessageRoute {
  const parsed = parseTopic(topic);
  if (parsed !== null) {
    if (parsed.kind === 'telegrams') {
      return { kind: 'telegrams', thingName: parsed.thingName, basicIngest: parsed.basicIngest };
    }
    if (parsed.kind === 'event') {
      return { kind: 'event', thingName: parsed.thingName, event: parsed.event ?? '' };
    }
    return { kind: 'status', thingName: parsed.thingName };
  }
  const errors = ERRORS_TOPIC.exec(topic);
  if (errors !== null) return { kind: 'cloud', thingName: errors[1]!, name: 'errors' };
  const shadow = SHADOW_TOPIC.exec(topic);
  if (shadow !== null) {
    const [, thingName, operation] = shadow as unknown as [string, string, string];
    if (operation === 'get') return { kind: 'shadow-get', thingName };
    if (operation === 'update') return { kind: 'shadow-update', thingName };
    if (SHADOW_RESPONSES.has(operation)) {
      return { kind: 'cloud', thingName, name: `shadow ${operation}` };
    }
  }
  return { kind: 'unknown' };
}

/** The thing a topic belongs to, when it is one of the table's. */
export function thingOfRoute(route: MessageRoute): string | null {
  return route.kind === 'unknown' ? null : route.thingName;
}

// ignoreBOM keeps a byte-order mark in the text, where 4.1 can see it (the default strips it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readBody(bytes: Uint8Array | null): PayloadBody {
  if (bytes === null) {
    return {
      ok: false,
      problem: 'the capture marks the payload base64, but it is not',
      empty: false,
    };
  }
  if (bytes.length === 0) return { ok: false, problem: 'the payload is empty', empty: true };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, problem: 'the payload is not UTF-8', empty: false };
  }
  if (text.charCodeAt(0) === 0xfeff) {
    return { ok: false, problem: 'the payload starts with a byte-order mark', empty: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      ok: false,
      problem: `the payload is not JSON: ${(error as Error).message}`,
      empty: false,
    };
  }
}

export function readMessage(line: CaptureLine, lineNumber: number): CapturedMessage {
  const bytes = payloadBytes(line.payload);
  const body: PayloadBody = isBase64Payload(line.payload)
    ? readBody(bytes)
    : { ok: true, value: line.payload };
  return {
    line: lineNumber,
    topic: line.topic,
    qos: line.qos,
    retain: line.retain === true,
    receivedAt: Date.parse(line.receivedAt),
    ...(line.clientId === undefined ? {} : { clientId: line.clientId }),
    ...(line.outcome === undefined ? {} : { outcome: line.outcome }),
    route: routeOf(line.topic),
    bytes,
    body,
  };
}

/** The first bytes of a payload, for a finding's `actual`. */
export function describeBytes(bytes: Uint8Array | null): string {
  if (bytes === null) return 'unreadable base64';
  const head = Array.from(bytes.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${bytes.length} bytes: ${head}${bytes.length > 16 ? ' …' : ''}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A payload shaped like a telegram batch, wherever it was published. */
export function looksLikeBatch(message: CapturedMessage): boolean {
  return (
    message.body.ok && isPlainObject(message.body.value) && Array.isArray(message.body.value.frames)
  );
}
