import type { components } from './generated/schema.js';

type Schemas = components['schemas'];

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'zaehlwerk-signature';

/** Signatures older (or newer) than this are refused: five minutes. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

interface Envelope<Type extends string, Data> {
  /** The same in every attempt of a delivery: drop an id already handled. */
  id: string;
  type: Type;
  createdAt: string;
  organisationId: string;
  data: Data;
}

/** What a webhook receives: the envelope, typed by `type`. */
export type WebhookEvent =
  | Envelope<'reading.stored', { readings: Schemas['Reading'][] }>
  | Envelope<
      'alarm.raised' | 'alarm.cleared',
      { alarm: Omit<Schemas['Alarm'], 'acknowledged'> & { at: string } }
    >
  | Envelope<'ping', { webhookId: string; message: string }>;

export interface VerifyWebhookOptions {
  /** The request body exactly as received: verify before parsing, never a re-serialised object. */
  body: string;
  /** The `Zaehlwerk-Signature` header. */
  signature: string | null | undefined;
  /** The webhook's secret (`whsec_…`), as createWebhook showed it. */
  secret: string;
  /** 300 when absent. */
  toleranceSeconds?: number;
  /** Unix seconds; the clock when absent. */
  now?: number;
}

export type WebhookVerification =
  | { ok: true; timestamp: number; event: WebhookEvent }
  | { ok: false; reason: 'malformed' | 'mismatch' | 'expired' };

function parseHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return timestamp === undefined || signatures.length === 0 ? null : { timestamp, signatures };
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Checks that a delivery came from the platform, unchanged and recently: the
 * HMAC-SHA256 of `<t>.<body>` under the secret, compared in constant time by
 * Web Crypto (Node 20+, browsers, edge runtimes), and `t` within the
 * tolerance, so that a captured delivery cannot be replayed later. Answer a
 * refused one with 400 and do not act on it.
 *
 * @example
 * const result = await verifyWebhook({
 *   body: rawBody,
 *   signature: request.headers['zaehlwerk-signature'],
 *   secret: process.env.ZW_WEBHOOK_SECRET!,
 * });
 * if (!result.ok) return reply.code(400).send();
 * if (result.event.type === 'alarm.raised') notify(result.event.data.alarm);
 */
export async function verifyWebhook(options: VerifyWebhookOptions): Promise<WebhookVerification> {
  const parsed = options.signature ? parseHeader(options.signature) : null;
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const encoder = new TextEncoder();
  const key = await globalThis.crypto.subtle.importKey(
    'raw',
    encoder.encode(options.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const signed = encoder.encode(`${parsed.timestamp}.${options.body}`);
  let matches = false;
  for (const signature of parsed.signatures) {
    if (await globalThis.crypto.subtle.verify('HMAC', key, hexBytes(signature), signed)) {
      matches = true;
    }
  }
  if (!matches) return { ok: false, reason: 'mismatch' };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - parsed.timestamp) > tolerance) return { ok: false, reason: 'expired' };
  let event: WebhookEvent;
  try {
    event = JSON.parse(options.body) as WebhookEvent;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  return { ok: true, timestamp: parsed.timestamp, event };
}
