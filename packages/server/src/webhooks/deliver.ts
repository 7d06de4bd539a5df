import { lookup } from 'node:dns/promises';
import { checkWebhookUrl, ipAddressKind, SIGNATURE_HEADER } from '../domain/webhooks/webhook.js';
import { isDomainError } from '../domain/errors.js';
import { VERSION } from '../version.js';
import { signWebhook } from './signature.js';

export interface PostWebhookInput {
  url: string;
  /** The JSON envelope, exactly as signed. */
  body: string;
  secret: string;
  eventId: string;
  eventType: string;
  attempt: number;
}

export interface PostWebhookDeps {
  fetch: typeof globalThis.fetch;
  /** Every address a host name resolves to. */
  resolve: (hostname: string) => Promise<string[]>;
  /** Development: loopback and private addresses are allowed (WebhookUrlRules.allowLocal). */
  allowLocal: boolean;
  timeoutMs: number;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Ends an attempt in flight (the dispatcher closing). */
  signal?: AbortSignal;
}

export interface PostWebhookResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export async function resolveAll(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** Errors go to the deliveries list, which the operator reads: short, and never a stack. */
function describe(error: unknown): string {
  if (isDomainError(error)) return error.message;
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? '');
    return `${error.message}${detail === '' ? '' : ` (${detail})`}`.slice(0, 300);
  }
  return String(error).slice(0, 300);
}

/**
 * Where a delivery may go, checked before every attempt: the URL's own rules
 * again (the platform's option may have changed since it was registered), and
 * every address its host resolves to must be public. The HTTP client resolves
 * the name once more when it connects, so a name whose answers change between
 * the two lookups (DNS rebinding) is not caught here; an egress proxy or
 * firewall that refuses private ranges closes that gap in production.
 */
async function checkDestination(url: string, deps: PostWebhookDeps): Promise<void> {
  checkWebhookUrl(url, { allowLocal: deps.allowLocal });
  if (deps.allowLocal) return;
  const { hostname } = new URL(url);
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (ipAddressKind(host) !== null) return;
  const addresses = await deps.resolve(host);
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  const blocked = addresses.find((a) => ipAddressKind(a) !== 'public');
  if (blocked !== undefined) throw new Error(`${host} resolves to a private address (${blocked})`);
}

/**
 * One attempt: a signed POST with a timeout. 2xx is delivered; anything else,
 * a redirect included (it is not followed: it could lead anywhere), is a
 * failure the dispatcher may retry.
 */
export async function postWebhook(
  input: PostWebhookInput,
  deps: PostWebhookDeps,
): Promise<PostWebhookResult> {
  const started = deps.now();
  const took = () => Math.max(0, Math.round(deps.now() - started));
  try {
    await checkDestination(input.url, deps);
    const timeout = AbortSignal.timeout(deps.timeoutMs);
    const signal = deps.signal === undefined ? timeout : AbortSignal.any([timeout, deps.signal]);
    const timestamp = Math.floor(deps.now() / 1000);
    const response = await deps.fetch(input.url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': `Zaehlwerk-Webhooks/${VERSION}`,
        'zaehlwerk-event-id': input.eventId,
        'zaehlwerk-event-type': input.eventType,
        'zaehlwerk-delivery-attempt': String(input.attempt),
        [SIGNATURE_HEADER]: signWebhook(input.secret, input.body, timestamp),
      },
      body: input.body,
    });
    // The answer's body is not needed; reading it would let a receiver hold the attempt open.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      statusCode: response.status,
      error: ok ? null : `answered ${response.status}`,
      durationMs: took(),
    };
  } catch (error) {
    return { ok: false, statusCode: null, error: describe(error), durationMs: took() };
  }
}
