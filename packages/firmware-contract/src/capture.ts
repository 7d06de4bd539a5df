/**
 * The capture format: one JSON object per line for every MQTT message a
 * gateway published (or, from a broker's point of view, received). The
 * simulator writes it (`--capture`), the emulator writes it, and the
 * conformance checker reads it. Pure: no I/O, so it runs anywhere.
 *
 * `payload` is the payload as sent: its JSON value when the bytes are one
 * UTF-8 JSON document, otherwise `{"base64": "..."}`. A JSON payload that is
 * itself exactly `{"base64": <string>}` cannot be told apart; no contract
 * payload has that shape.
 */
export interface CaptureLine {
  topic: string;
  payload: unknown;
  qos: 0 | 1 | 2;
  /** ISO 8601 UTC: when the broker (or the simulator's transport) had the message. */
  receivedAt: string;
  retain?: boolean;
  /** The MQTT client id of the sender, when known (emulator captures always set it). */
  clientId?: string;
  /** Emulator captures: what the broker did with it, and why when it refused it. */
  outcome?: 'accepted' | 'refused';
  reason?: string;
}

export type CaptureParseResult = { ok: true; value: CaptureLine } | { ok: false; error: string };

// ignoreBOM keeps a leading BOM in the text (the default drops it), so that it is seen.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** The `payload` field of a capture line for the bytes that were sent. */
export function capturePayload(bytes: Uint8Array): unknown {
  try {
    const text = decoder.decode(bytes);
    // A BOM or surrounding garbage makes it binary for the capture: "as sent" matters.
    if (text.length > 0 && text.charCodeAt(0) !== 0xfeff) return JSON.parse(text) as unknown;
  } catch {
    // not UTF-8 or not JSON: kept as bytes
  }
  return { base64: toBase64(bytes) };
}

/**
 * The bytes of a capture line's payload: base64-decoded when it is
 * `{"base64": ...}`, otherwise the JSON value serialised as UTF-8. Null when
 * the base64 text is not base64.
 */
export function payloadBytes(payload: unknown): Uint8Array | null {
  if (isBase64Payload(payload)) return fromBase64(payload.base64);
  return encoder.encode(JSON.stringify(payload));
}

export function isBase64Payload(payload: unknown): payload is { base64: string } {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    Object.keys(payload).length === 1 &&
    typeof (payload as { base64?: unknown }).base64 === 'string'
  );
}

/** One capture line as text, without the trailing newline. */
export function formatCaptureLine(line: CaptureLine): string {
  return JSON.stringify(line);
}

const QOS = new Set([0, 1, 2]);

/** Parses and checks one line of a capture file; never throws. */
export function parseCaptureLine(text: string): CaptureParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'not a JSON object' };
  }
  const line = value as Record<string, unknown>;
  if (typeof line.topic !== 'string' || line.topic.length === 0) {
    return { ok: false, error: 'topic must be a non-empty string' };
  }
  if (!('payload' in line)) return { ok: false, error: 'payload is missing' };
  if (!QOS.has(line.qos as number)) return { ok: false, error: 'qos must be 0, 1 or 2' };
  if (typeof line.receivedAt !== 'string' || Number.isNaN(Date.parse(line.receivedAt))) {
    return { ok: false, error: 'receivedAt must be an ISO 8601 time' };
  }
  return { ok: true, value: line as unknown as CaptureLine };
}

// Buffer is Node-only and atob/btoa work on latin-1 strings; this stays portable.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, '');
  for (const char of clean.replace(/=+$/, '')) {
    if (!ALPHABET.includes(char)) return null;
  }
  try {
    const binary = atob(clean);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
