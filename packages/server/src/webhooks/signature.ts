import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  formatSignatureHeader,
  parseSignatureHeader,
  signedPayload,
} from '../domain/webhooks/webhook.js';

/** HMAC-SHA256 of `${timestamp}.${body}` under the secret (its UTF-8 text, `whsec_…`), as hex. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(signedPayload(timestamp, body)).digest('hex');
}

/** The `Zaehlwerk-Signature` header value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return formatSignatureHeader(timestamp, [webhookSignature(secret, timestamp, body)]);
}

export type WebhookVerification =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'expired' };

export interface VerifyWebhookInput {
  /** The request body exactly as received, before any JSON parsing. */
  body: string;
  /** The `Zaehlwerk-Signature` header. */
  header: string | undefined;
  secret: string;
  /** Older (or newer) signatures are refused; 300 s when absent. */
  toleranceSeconds?: number;
  /** Unix seconds; the clock when absent. */
  now?: number;
}

/**
 * The receiver's check (the SDK has the same for browsers and Node:
 * `verifyWebhook` in @zaehlwerk/sdk). Constant-time comparison; a timestamp
 * outside the tolerance is refused even with a valid signature, so a captured
 * delivery cannot be replayed later.
 */
export function verifyWebhook(input: VerifyWebhookInput): WebhookVerification {
  const parsed = input.header === undefined ? null : parseSignatureHeader(input.header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(webhookSignature(input.secret, parsed.timestamp, input.body), 'hex');
  const matches = parsed.signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!matches) return { ok: false, reason: 'mismatch' };
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(now - parsed.timestamp) > tolerance) return { ok: false, reason: 'expired' };
  return { ok: true, timestamp: parsed.timestamp };
}
