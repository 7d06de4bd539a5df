import { DomainError } from './errors.js';

export const ACTOR_KINDS = ['user', 'api-key', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/**
 * Who made a change: a user id, an API key id (never the key), or a named
 * system job (`ingest`, `migration-2025-03`). Embed tokens are read-only and
 * never act.
 */
export interface Actor {
  kind: ActorKind;
  id: string;
}

/** One change, as the append-only audit log keeps it. */
export interface AuditEntry {
  id: string;
  /** The partner the change belongs to; `*` for platform-level records. */
  partnerId: string;
  /** The organisation the target belongs to, when it belongs to one: its log lists it. */
  organisationId?: string;
  /** ISO-8601 UTC. */
  at: string;
  actor: Actor;
  /** `<entity>.<verb>`, e.g. `meter.created`, `user.updated`. */
  action: string;
  target: { type: string; id: string };
  /** The target before and after, redacted; absent on create and delete respectively. */
  before?: unknown;
  after?: unknown;
  /**
   * Top-level fields an update changed, by name only: a changed password shows
   * up here although its value is redacted from before and after.
   */
  changed?: string[];
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

export interface AuditPage {
  items: AuditEntry[];
  cursor: string | null;
}

/**
 * The audit log port. Append-only by construction: there is no method that
 * changes or removes an entry.
 */
export interface AuditLog {
  /** Stores a redacted copy and returns it with its id and time. */
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** A partner's entries, newest first. */
  listByPartner(partnerId: string, options?: AuditListOptions): Promise<AuditPage>;
  /** One organisation's entries (of the partner), newest first. */
  listByOrganisation(
    partnerId: string,
    organisationId: string,
    options?: AuditListOptions,
  ): Promise<AuditPage>;
}

export interface AuditListOptions {
  /** 1 to 100; 50 when absent. */
  limit?: number;
  cursor?: string;
}

/**
 * Field names whose values are secrets, compared lower-case without `-` and
 * `_`. A name also counts when it ends in one of SECRET_SUFFIXES, so
 * `oldPasswordHash` or `clientSecret` are caught without listing them; a
 * true/false under such a name (`hasPassword`) tells nothing and stays.
 */
const SECRET_NAMES = new Set([
  'key',
  'privatejwk',
  'privatekey',
  'masterkey',
  'wrappedkey',
  'apikey',
]);
const SECRET_SUFFIXES = ['password', 'passwordhash', 'secret', 'secrethash', 'token', 'privatejwk'];

export function isSecretField(name: string, value?: unknown): boolean {
  const normal = name.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_NAMES.has(normal)) return true;
  return typeof value !== 'boolean' && SECRET_SUFFIXES.some((s) => normal.endsWith(s));
}

/** Deeper than any record of ours; a guard against a cyclic or hostile value. */
const MAX_DEPTH = 32;

/**
 * A deep copy of `value` without secret fields (passwordHash, key, privateJwk,
 * secret, token, …) at any depth. Values that are not plain data (functions,
 * symbols) are dropped too, so the result is JSON. Audit entries outlive the
 * secrets they would otherwise copy, and are read by more people.
 */
export function redact(value: unknown): unknown {
  return copy(value, 0);
}

function copy(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    if (isSecretField(name, item)) continue;
    const copied = copy(item, depth + 1);
    if (copied !== undefined) out[name] = copied;
  }
  return out;
}

const ACTION = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;
const TOKEN = /^[A-Za-z0-9*][A-Za-z0-9_.:*-]{0,127}$/;

/** Refuses an entry the log could not list or a reader could not trust. */
export function validateAuditEntry(entry: NewAuditEntry): void {
  const fail = (field: string) =>
    new DomainError('VALIDATION_FAILED', `audit entry: invalid ${field}`, {
      details: { field, reason: 'format' },
    });
  if (typeof entry.partnerId !== 'string' || !TOKEN.test(entry.partnerId)) throw fail('partnerId');
  if (entry.organisationId !== undefined && !TOKEN.test(entry.organisationId)) {
    throw fail('organisationId');
  }
  if (!(ACTOR_KINDS as readonly string[]).includes(entry.actor?.kind)) throw fail('actor/kind');
  if (typeof entry.actor.id !== 'string' || !TOKEN.test(entry.actor.id)) throw fail('actor/id');
  if (typeof entry.action !== 'string' || !ACTION.test(entry.action)) throw fail('action');
  if (typeof entry.target?.type !== 'string' || !/^[a-z][a-z-]{0,39}$/.test(entry.target.type)) {
    throw fail('target/type');
  }
  if (typeof entry.target.id !== 'string' || !TOKEN.test(entry.target.id)) throw fail('target/id');
}
