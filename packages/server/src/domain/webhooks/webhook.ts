import { DomainError } from '../errors.js';

/**
 * Webhooks: an organisation's subscriptions to what the platform does with its
 * meters, delivered as signed JSON POSTs. Pure rules here; the delivery (HTTP,
 * DNS, timers) is the adapter's (src/webhooks).
 */

/** What a subscription can ask for. Kept small: each type is a promise to integrators. */
export const WEBHOOK_EVENT_TYPES = ['reading.stored', 'alarm.raised', 'alarm.cleared'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent by the test route only; nobody subscribes to it. */
export const PING_EVENT_TYPE = 'ping';
export type DeliveredEventType = WebhookEventType | typeof PING_EVENT_TYPE;

/** An organisation's subscriptions are read on every batch it ingests: keep the set small. */
export const MAX_WEBHOOKS_PER_ORGANISATION = 20;
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** The header that carries the signature (Stripe's scheme: `t=<unix>,v1=<hex>`). */
export const SIGNATURE_HEADER = 'zaehlwerk-signature';
/** Receivers should refuse a signature older (or newer) than this: a replay, or a skewed clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Attempts after the first fail, waited before each retry: six attempts over
 * about an hour, so that a receiver's deploy or short outage loses nothing.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  10_000,
  60_000,
  5 * 60_000,
  15 * 60_000,
  40 * 60_000,
];

export interface Webhook {
  /** `wh_` and random characters; unique within the organisation. */
  id: string;
  partnerId: string;
  organisationId: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  enabled: boolean;
  /**
   * The signing secret sealed by the key vault (src/keys, bound to the partner
   * and the webhook id). Never shown again after creation, never audited.
   */
  sealedSecret: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** The envelope every delivery carries, the same for every type. */
export interface WebhookEvent<T = unknown> {
  /** `evt_…`: the same in every attempt of a delivery, so receivers can drop repeats. */
  id: string;
  type: DeliveredEventType;
  /** ISO-8601 UTC. */
  createdAt: string;
  organisationId: string;
  data: T;
}

/** One attempt to deliver an event to a subscription, as the deliveries list shows it. */
export interface WebhookDelivery {
  id: string;
  partnerId: string;
  organisationId: string;
  webhookId: string;
  eventId: string;
  eventType: DeliveredEventType;
  /** 1 for the first attempt. */
  attempt: number;
  /** When the attempt started, ISO-8601 UTC. */
  at: string;
  /** The receiver's status; null when no answer came (timeout, refused, blocked). */
  statusCode: number | null;
  durationMs: number;
  ok: boolean;
  error: string | null;
  /** When the next attempt is due; null when none follows. */
  nextRetryAt: string | null;
}

/**
 * The webhook store port (DynamoDB adapter: src/store/dynamodb-webhook-store.ts).
 * Every read and write names the partner and organisation: a webhook of
 * another tenant is absent, not forbidden.
 */
export interface WebhookStore {
  /** CONFLICT when the id is taken. */
  create(webhook: Webhook): Promise<void>;
  get(partnerId: string, organisationId: string, webhookId: string): Promise<Webhook | null>;
  /** All of an organisation's webhooks (at most MAX_WEBHOOKS_PER_ORGANISATION), oldest first. */
  listByOrganisation(partnerId: string, organisationId: string): Promise<Webhook[]>;
  /** Stores `next` (version + 1) if the stored one is still `next.version - 1`; CONFLICT otherwise. */
  update(next: Webhook): Promise<void>;
  /** Removes it if its version is still `version`; CONFLICT otherwise, NOT_FOUND when gone. */
  delete(
    partnerId: string,
    organisationId: string,
    webhookId: string,
    version: number,
  ): Promise<void>;
  /** Kept for DELIVERY_RETENTION_SECONDS, then expired by the table's TTL. */
  recordDelivery(delivery: WebhookDelivery): Promise<void>;
  /** The newest attempts first, at most `limit`. */
  listDeliveries(
    partnerId: string,
    organisationId: string,
    webhookId: string,
    limit: number,
  ): Promise<WebhookDelivery[]>;
}

/** How long delivery attempts are listed: enough to debug a weekend's outage. */
export const DELIVERY_RETENTION_SECONDS = 7 * 24 * 3600;

/** Whether a subscription gets an event of this type now. */
export function wantsEvent(webhook: Webhook, type: WebhookEventType): boolean {
  return webhook.enabled && webhook.events.includes(type);
}

/** The delay before attempt `attempt + 1`, or null when `attempt` was the last. */
export function retryDelayMs(
  attempt: number,
  delays: readonly number[] = RETRY_DELAYS_MS,
): number | null {
  return delays[attempt - 1] ?? null;
}

// ---- signatures -------------------------------------------------------------

/** What the HMAC covers: the timestamp binds the body to its time, so an old body cannot be replayed. */
export function signedPayload(timestamp: number, body: string): string {
  return `${timestamp}.${body}`;
}

export function formatSignatureHeader(timestamp: number, hexSignatures: readonly string[]): string {
  return [`t=${timestamp}`, ...hexSignatures.map((s) => `v1=${s}`)].join(',');
}

/**
 * The timestamp and the `v1` signatures of a header; null when it is not one.
 * Several `v1` may come (a secret being rolled); unknown schemes are ignored.
 */
export function parseSignatureHeader(
  header: string,
): { timestamp: number; signatures: string[] } | null {
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

// ---- URLs -------------------------------------------------------------------

export interface WebhookUrlRules {
  /**
   * Local development and tests: http and https to loopback and private
   * addresses are allowed. Off in production: a webhook must not become a way
   * into the platform's own network (SSRF).
   */
  allowLocal: boolean;
}

function refused(reason: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { details: { field: 'url', reason } });
}

/**
 * The URL a webhook may deliver to, normalised; VALIDATION_FAILED otherwise.
 * Checks what the text says: https only, no credentials, no loopback or
 * private address or name. What a public name resolves to is checked at each
 * delivery (src/webhooks/deliver.ts), since DNS can change after this.
 */
export function checkWebhookUrl(raw: string, rules: WebhookUrlRules): string {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    throw refused('url-too-long', `the URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('url-invalid', 'the URL is not an absolute URL');
  }
  if (url.username !== '' || url.password !== '') {
    // They would sit in lists and logs; the signature authenticates the platform instead.
    throw refused('url-credentials', 'the URL must not carry a user name or password');
  }
  const local = isLocalHost(url.hostname);
  if (url.protocol === 'http:') {
    if (!(rules.allowLocal && local)) {
      throw refused(
        'url-not-https',
        'the URL must be https (http only to localhost in development)',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw refused('url-not-https', 'the URL must be https');
  }
  if (local && !rules.allowLocal) {
    throw refused('url-local', 'the URL names this machine or a private network');
  }
  url.hash = '';
  return url.href;
}

/** Whether a URL's host (as URL parses it) is loopback, private or otherwise not the internet. */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const kind = ipAddressKind(literal);
  return kind === 'private';
}

/**
 * 'public' or 'private' for an IP address literal, null for anything else
 * (a name). Private is every range a delivery must not reach: loopback,
 * RFC 1918, carrier-grade NAT, link-local (cloud metadata at 169.254.169.254),
 * unique-local, multicast, reserved and documentation ranges, and IPv6 forms
 * that embed one of these IPv4 addresses.
 */
export function ipAddressKind(address: string): 'public' | 'private' | null {
  const v4 = parseIpv4(address);
  if (v4 !== null) return isPrivateIpv4(v4) ? 'private' : 'public';
  const v6 = parseIpv6(address);
  if (v6 === null) return null;
  return isPrivateIpv6(v6) ? 'private' : 'public';
}

type Ipv4 = [number, number, number, number];

function parseIpv4(text: string): Ipv4 | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? (parts as Ipv4) : null;
}

const PRIVATE_V4: ReadonlyArray<[Ipv4, number]> = [
  [[0, 0, 0, 0], 8],
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10],
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16],
  [[172, 16, 0, 0], 12],
  [[192, 0, 0, 0], 24],
  [[192, 0, 2, 0], 24],
  [[192, 88, 99, 0], 24],
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15],
  [[198, 51, 100, 0], 24],
  [[203, 0, 113, 0], 24],
  [[224, 0, 0, 0], 4],
  [[240, 0, 0, 0], 4],
];

function v4Number(a: Ipv4): number {
  return ((a[0] << 24) >>> 0) + (a[1] << 16) + (a[2] << 8) + a[3];
}

function isPrivateIpv4(address: Ipv4): boolean {
  const n = v4Number(address);
  return PRIVATE_V4.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (n & mask) >>> 0 === (v4Number(base) & mask) >>> 0;
  });
}

/** Eight 16-bit groups, or null. Accepts `::` and a trailing dotted IPv4 part; no zone ids. */
function parseIpv6(text: string): number[] | null {
  if (!text.includes(':') || text.includes('%')) return null;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (dotted.includes('.')) {
    const v4 = parseIpv4(dotted);
    if (v4 === null) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const hex = [...left, ...right];
  if (!hex.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const given = hex.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const zeros = Array<number>(8 - given).fill(0);
  const parse = (g: string[]) => g.map((x) => parseInt(x, 16));
  return [...parse(left), ...(halves.length === 2 ? zeros : []), ...parse(right), ...tail];
}

function isPrivateIpv6(g: number[]): boolean {
  const [a = 0, b = 0] = g;
  if (g.slice(0, 7).every((x) => x === 0) && (g[7] === 0 || g[7] === 1)) return true; // :: and ::1
  const embedded = (hi: number, lo: number): Ipv4 => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return isPrivateIpv4(embedded(g[6]!, g[7]!));
  }
  if (a === 0x64 && b === 0xff9b) return isPrivateIpv4(embedded(g[6]!, g[7]!));
  if ((a & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((a & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  if (a === 0x2002) return isPrivateIpv4(embedded(b, g[2]!)); // 6to4 of a private IPv4
  return false;
}
