import { isBase64Payload, parseCaptureLine, payloadBytes, type CaptureLine } from '../capture.js';
import type { Finding } from './check-report.js';
import { readMessage, routeOf, thingOfRoute, type CapturedMessage } from './captured-message.js';

/** Input the checker cannot judge at all: stable codes, so the command can say exit 2. */
export type CheckInputErrorCode = 'AMBIGUOUS_THING' | 'INVALID_THING_NAME';

export class CheckInputError extends Error {
  override readonly name = 'CheckInputError';
  constructor(
    readonly code: CheckInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CaptureEntry {
  line: number;
  value: CaptureLine;
}

export interface ReadCapture {
  /** Lines read, blank ones not counted. */
  lines: number;
  entries: CaptureEntry[];
  unreadable: Finding[];
}

/** Client ids of the emulator's monitors (the live checker's own connection among them). */
const MONITOR_CLIENT_PREFIX = 'zw-monitor-';

function excerpt(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Reads capture text (JSON lines) or lines already parsed. A line that is not
 * a capture line is kept as a finding with its line number: one bad line from
 * a capture tool must not hide what the other lines show.
 */
export function readCapture(input: readonly CaptureLine[] | string): ReadCapture {
  const texts: { line: number; text: string }[] = [];
  if (typeof input === 'string') {
    input.split(/\r?\n/).forEach((text, i) => {
      if (text.trim() !== '') texts.push({ line: i + 1, text });
    });
  } else {
    input.forEach((value, i) => {
      let text: string;
      try {
        // The same checks as a file's lines: callers in-process can hand over anything.
        text = JSON.stringify(value) ?? 'undefined';
      } catch (error) {
        text = `<${(error as Error).message}>`;
      }
      texts.push({ line: i + 1, text });
    });
  }
  const entries: CaptureEntry[] = [];
  const unreadable: Finding[] = [];
  for (const { line, text } of texts) {
    const parsed = parseCaptureLine(text);
    if (
      parsed.ok &&
      isBase64Payload(parsed.value.payload) &&
      payloadBytes(parsed.value.payload) === null
    ) {
      // The capture tool wrote the base64, not the gateway: a broken line, not a broken payload.
      unreadable.push({
        line,
        topic: parsed.value.topic,
        message: 'not a capture line: payload.base64 is not base64',
        expected: 'the payload bytes in base64 (RFC 4648)',
        actual: excerpt(parsed.value.payload.base64),
      });
    } else if (parsed.ok) entries.push({ line, value: parsed.value });
    else {
      unreadable.push({
        line,
        message: `not a capture line: ${parsed.error}`,
        expected: 'a JSON object with topic, payload, qos (0, 1, 2) and receivedAt (ISO 8601)',
        actual: excerpt(text),
      });
    }
  }
  return { lines: texts.length, entries, unreadable };
}

function isMonitor(clientId: string | undefined): boolean {
  return clientId !== undefined && clientId.startsWith(MONITOR_CLIENT_PREFIX);
}

/**
 * The gateway a capture is of. A capture that records client ids and holds
 * several gateways' publishes (an emulator's) is ambiguous: the caller names
 * one. Otherwise the thing most topics name; a gateway that also publishes
 * on another thing's topics is then judged, not guessed away. Null when no
 * topic names a thing.
 */
export function inferThingName(entries: readonly CaptureEntry[]): string | null {
  const clients = new Set<string>();
  for (const { value } of entries) {
    if (value.clientId !== undefined && !isMonitor(value.clientId)) clients.add(value.clientId);
  }
  if (clients.size > 1) {
    throw new CheckInputError(
      'AMBIGUOUS_THING',
      `the capture holds publishes of ${clients.size} clients (${[...clients].sort().join(', ')}): name the gateway to check`,
    );
  }
  const counts = new Map<string, number>();
  for (const { value } of entries) {
    if (isMonitor(value.clientId)) continue;
    const thing = thingOfRoute(routeOf(value.topic));
    if (thing !== null) counts.set(thing, (counts.get(thing) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (first === undefined) return [...clients][0] ?? null;
  if (second !== undefined && second[1] === first[1]) {
    throw new CheckInputError(
      'AMBIGUOUS_THING',
      `the capture's topics name ${first[0]} and ${second[0]} equally often: name the gateway to check`,
    );
  }
  return first[0];
}

/**
 * The lines that are the gateway's publishes: those of its client id, those
 * that record none (a gateway's own capture), and those of another client id
 * on the thing's topics (which is what clause 2.2 is about). Monitors and
 * other gateways are left out.
 */
export function gatewayMessages(
  entries: readonly CaptureEntry[],
  thingName: string | null,
): { messages: CapturedMessage[]; otherClients: number } {
  const messages: CapturedMessage[] = [];
  let otherClients = 0;
  for (const { line, value } of entries) {
    const { clientId } = value;
    const mine =
      clientId === undefined ||
      clientId === thingName ||
      (!isMonitor(clientId) &&
        thingName !== null &&
        thingOfRoute(routeOf(value.topic)) === thingName);
    if (mine) messages.push(readMessage(value, line));
    else otherClients++;
  }
  return { messages, otherClients };
}
