import { DomainError } from '../domain/errors.js';
import { isValidId, type EmbedScope, type Principal } from './principal.js';
import { newTokenId, refused, signToken, verifyToken } from './signed-token.js';
import type { KeyRing } from './signing-keys.js';

export const EMBED_TOKEN_AUDIENCE = 'zw-widgets';
export const EMBED_TOKEN_DEFAULT_TTL_SECONDS = 300;
/** Embed tokens sit in third-party pages, readable by their scripts: keep them short. */
export const EMBED_TOKEN_MAX_TTL_SECONDS = 900;
/** What an embed principal may do: read, through the widget endpoints, nothing else. */
export const EMBED_SCOPES: readonly string[] = ['widgets:read'];

const MAX_ORIGINS = 10;
const MAX_WIDGETS = 20;
const WIDGET_NAME = /^[a-z][a-z0-9-]{0,63}$/;

export interface EmbedTokenRequest {
  partnerId: string;
  scope: EmbedScope;
  /** Origins of the pages that will embed the widgets, e.g. https://www.stadtwerke-x.de */
  allowedOrigins: string[];
  widgets?: string[];
  ttlSeconds?: number;
}

export interface IssueEmbedTokenOptions {
  now: Date;
  issuer: string;
  /** The partner's configured embed origins; a token may name only these. */
  partnerAllowedOrigins: readonly string[];
}

function invalid(message: string, field: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { details: { field } });
}

/**
 * The ASCII serialisation of an http(s) origin (lower-case host, punycode,
 * default port left out), or null for anything that is not just an origin:
 * a path, query, fragment, credentials or a wildcard.
 */
export function normaliseOrigin(value: string): string | null {
  // Scheme and authority, at most a trailing slash: the shape alone keeps out paths,
  // queries and fragments, which URL would otherwise quietly normalise away.
  if (typeof value !== 'string' || !/^https?:\/\/[^/?#@*\\\s]+\/?$/i.test(value)) return null;
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function readScope(scope: unknown): EmbedScope | null {
  if (typeof scope !== 'object' || scope === null) return null;
  const keys = Object.keys(scope);
  const raw = scope as Record<string, unknown>;
  if (keys.length !== 1) return null;
  if (keys[0] === 'unitId' && isValidId(raw.unitId)) return { unitId: raw.unitId };
  if (keys[0] === 'propertyId' && isValidId(raw.propertyId)) {
    return { propertyId: raw.propertyId };
  }
  return null;
}

/**
 * Signs a short-lived, read-only token for the widgets of one unit or one
 * property, bound to the origins of the pages that embed them. Whether the
 * caller may see that unit or property is the use case's check, made before.
 */
export async function issueEmbedToken(
  ring: KeyRing,
  request: EmbedTokenRequest,
  options: IssueEmbedTokenOptions,
): Promise<{ token: string; expiresAt: Date }> {
  if (!isValidId(request.partnerId)) throw invalid('invalid partnerId', 'partnerId');
  const scope = readScope(request.scope);
  if (!scope) throw invalid('scope must be exactly one of unitId or propertyId', 'scope');

  const ttl = request.ttlSeconds ?? EMBED_TOKEN_DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > EMBED_TOKEN_MAX_TTL_SECONDS) {
    throw invalid(`ttlSeconds must be 1..${EMBED_TOKEN_MAX_TTL_SECONDS}`, 'ttlSeconds');
  }

  const requested = request.allowedOrigins;
  if (!Array.isArray(requested) || requested.length === 0 || requested.length > MAX_ORIGINS) {
    throw invalid(`allowedOrigins must name 1..${MAX_ORIGINS} origins`, 'allowedOrigins');
  }
  const origins: string[] = [];
  requested.forEach((value, index) => {
    const origin = normaliseOrigin(value);
    if (!origin)
      throw invalid(`allowedOrigins/${index} is not an origin`, `allowedOrigins/${index}`);
    if (!origins.includes(origin)) origins.push(origin);
  });
  const partnerOrigins = new Set(
    options.partnerAllowedOrigins.map(normaliseOrigin).filter((o) => o !== null),
  );
  const outside = origins.filter((o) => !partnerOrigins.has(o));
  if (outside.length > 0) {
    throw new DomainError('FORBIDDEN', 'origins outside the partner allowlist', {
      details: { field: 'allowedOrigins', origins: outside },
    });
  }

  const widgets = request.widgets;
  if (widgets !== undefined) {
    const ok =
      Array.isArray(widgets) &&
      widgets.length > 0 &&
      widgets.length <= MAX_WIDGETS &&
      widgets.every((w) => typeof w === 'string' && WIDGET_NAME.test(w));
    if (!ok) throw invalid(`widgets must be 1..${MAX_WIDGETS} widget names`, 'widgets');
  }

  const tokenId = newTokenId();
  const { token, expiresAt } = await signToken(
    ring,
    'embed',
    {
      pid: request.partnerId,
      scp: scope,
      origins,
      ...(widgets === undefined ? {} : { wdg: [...new Set(widgets)] }),
    },
    {
      issuer: options.issuer,
      audience: EMBED_TOKEN_AUDIENCE,
      subject: tokenId,
      tokenId,
      now: options.now,
      ttlSeconds: ttl,
    },
  );
  return { token, expiresAt };
}

export interface VerifyEmbedTokenOptions {
  /** The request's Origin header as received; a token is never valid without one. */
  origin: string | undefined;
  issuer: string;
  now?: Date;
  clockToleranceSeconds?: number;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * The read-only embed principal a widget's token stands for, or
 * UNAUTHENTICATED. The Origin header must equal one of the token's origins
 * character for character: browsers send it in the same serialisation the
 * token holds, so anything else is not a browser on that page.
 */
export async function verifyEmbedToken(
  ring: KeyRing,
  token: string,
  options: VerifyEmbedTokenOptions,
): Promise<Principal> {
  const payload = await verifyToken(ring, 'embed', token, {
    issuer: options.issuer,
    audience: EMBED_TOKEN_AUDIENCE,
    maxTokenAgeSeconds: EMBED_TOKEN_MAX_TTL_SECONDS,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.clockToleranceSeconds === undefined
      ? {}
      : { clockToleranceSeconds: options.clockToleranceSeconds }),
  });
  const { sub, pid, origins, wdg } = payload;
  const scope = readScope(payload.scp);
  const consistent =
    scope !== null &&
    isValidId(sub) &&
    isValidId(pid) &&
    isStringArray(origins) &&
    origins.length > 0 &&
    (wdg === undefined || isStringArray(wdg));
  if (!consistent) throw refused('embed', 'invalid-claims');

  if (options.origin === undefined || options.origin === '')
    throw refused('embed', 'origin-missing');
  if (!origins.includes(options.origin)) throw refused('embed', 'origin-not-allowed');

  return {
    kind: 'embed',
    subject: sub,
    partnerId: pid,
    grants: [],
    scopes: [...EMBED_SCOPES],
    embed: {
      scope,
      allowedOrigins: origins,
      origin: options.origin,
      ...(wdg === undefined ? {} : { widgets: wdg }),
    },
  };
}
