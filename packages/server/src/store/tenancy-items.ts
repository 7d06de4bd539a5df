import { randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Actor, AuditLog } from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import type { Page, PageOptions } from '../domain/tenancy/ports.js';
import {
  assertKeyParts,
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  resolvePageLimit,
} from '../iot/registry-rules.js';
import { isConditionFailed } from './condition-failed.js';
import { GSI1 } from './keys.js';

export type Item = Record<string, unknown>;
export type TableKey = { pk: string; sk: string };

/**
 * How long a uniqueness marker or a calendar reservation may stand without
 * the record it was made for before another writer may take it over. It
 * covers a write in flight (marker written, record not yet); only a crash
 * between the two leaves one older. Far longer than any request.
 */
export const DEFAULT_CLAIM_GRACE_MS = 5 * 60 * 1000;

/** What the tenancy stores share; one per table. */
export interface TenancyStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Every create, update and delete appends here, after the change. */
  audit: AuditLog;
  now?: () => Date;
  /** A fresh record id with the given prefix; random by default. */
  newId?: (prefix: string) => string;
  /** DEFAULT_CLAIM_GRACE_MS unless set (tests shorten it). */
  claimGraceMs?: number;
}

export interface StoreContext {
  doc: DynamoDBDocumentClient;
  TableName: string;
  audit: AuditLog;
  now: () => Date;
  newId: (prefix: string) => string;
  claimGraceMs: number;
}

/**
 * 96 random bits after a readable prefix (`unit_…`). Ids are not secrets
 * (every key is under the partner) but must not be guessable enough to probe
 * for, and must never repeat.
 */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** What reads and pages need: the table, not the audit log or the clock. */
export type TableAccess = Pick<StoreContext, 'doc' | 'TableName'>;

export function storeContext(options: TenancyStoreOptions): StoreContext {
  const claimGraceMs = options.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS;
  if (!(Number.isInteger(claimGraceMs) && claimGraceMs >= 0)) {
    throw new DomainError('VALIDATION_FAILED', 'claimGraceMs must be whole milliseconds >= 0');
  }
  return {
    doc: options.doc,
    TableName: options.tableName,
    audit: options.audit,
    now: options.now ?? (() => new Date()),
    newId: options.newId ?? randomId,
    claimGraceMs,
  };
}

/** Attributes of ours that are not record fields: stripped when an item is read back. */
const STORE_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity']);

/** The record fields of an item, without keys and the store's own attributes. */
export function recordOf<T>(item: Item, internal: readonly string[] = []): T {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) {
    if (!STORE_ATTRIBUTES.has(name) && !internal.includes(name)) out[name] = value;
  }
  return out as T;
}

/** Ids of the partner tree go into keys: refuse a separator before anything is written. */
export function checkKeyParts(parts: Record<string, string>): void {
  assertKeyParts(parts);
}

export function notFound(what: string, field?: string): DomainError {
  return new DomainError('NOT_FOUND', `${what} does not exist`, {
    ...(field === undefined ? {} : { details: { field } }),
  });
}

export function stale(what: string, cause?: unknown): DomainError {
  return new DomainError('CONFLICT', `${what} was changed by someone else; read it again`, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason: 'version' },
  });
}

/** Strongly consistent: every write decision and every get reads the latest. */
export async function getItem(ctx: TableAccess, Key: TableKey): Promise<Item | undefined> {
  const out = await ctx.doc.send(
    new GetCommand({ TableName: ctx.TableName, Key, ConsistentRead: true }),
  );
  return out.Item;
}

/** PutItem that fails with CONFLICT when the key is taken. */
export async function putNew(
  ctx: StoreContext,
  item: Item,
  conflict: () => DomainError,
): Promise<void> {
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.TableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (isConditionFailed(err)) throw Object.assign(conflict(), { cause: err });
    throw err;
  }
}

/**
 * Writes `next` over `previous` if the stored version is still `expected`.
 * An UpdateItem, not a PutItem, so that attributes other writers own on the
 * same item (a unit's tenancy calendar) are left alone; `keep` names them.
 */
export async function writeVersioned(
  ctx: StoreContext,
  key: TableKey,
  previous: Item,
  next: Item,
  expected: number,
  what: string,
  keep: readonly string[] = [],
): Promise<void> {
  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = { ':expected': expected };
  const sets: string[] = [];
  const removes: string[] = [];
  let n = 0;
  for (const [name, value] of Object.entries(next)) {
    if (name === 'pk' || name === 'sk' || value === undefined) continue;
    n += 1;
    names[`#a${n}`] = name;
    values[`:v${n}`] = value;
    sets.push(`#a${n} = :v${n}`);
  }
  for (const name of Object.keys(previous)) {
    if (name in next || name === 'pk' || name === 'sk' || keep.includes(name)) continue;
    n += 1;
    names[`#a${n}`] = name;
    removes.push(`#a${n}`);
  }
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.TableName,
        Key: key,
        UpdateExpression:
          `SET ${sets.join(', ')}` + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''),
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    if (!(await getItem(ctx, key))) throw Object.assign(notFound(what), { cause: err });
    throw stale(what, err);
  }
}

/** Deletes an item if its version is still `expected`; NOT_FOUND or CONFLICT otherwise. */
export async function deleteVersioned(
  ctx: StoreContext,
  key: TableKey,
  expected: number,
  what: string,
  extra?: {
    condition: string;
    names?: Record<string, string>;
    values: Record<string, unknown>;
    conflict: () => DomainError;
  },
): Promise<void> {
  try {
    await ctx.doc.send(
      new DeleteCommand({
        TableName: ctx.TableName,
        Key: key,
        ConditionExpression:
          'attribute_exists(pk) AND #version = :expected' +
          (extra ? ` AND (${extra.condition})` : ''),
        ExpressionAttributeNames: { '#version': 'version', ...extra?.names },
        ExpressionAttributeValues: { ':expected': expected, ...extra?.values },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const item = await getItem(ctx, key);
    if (!item) throw Object.assign(notFound(what), { cause: err });
    if (item.version !== expected || !extra) throw stale(what, err);
    throw Object.assign(extra.conflict(), { cause: err });
  }
}

/**
 * Reads the current record for an update or delete: NOT_FOUND when missing
 * (another partner's id is missing too, as the partner is in the key), and
 * CONFLICT at once when the caller's version is stale, before anything is
 * claimed or reserved.
 */
export async function readForChange(
  ctx: StoreContext,
  key: TableKey,
  expected: number,
  what: string,
): Promise<Item> {
  if (!Number.isInteger(expected) || expected < 1) {
    throw new DomainError('VALIDATION_FAILED', 'expectedVersion must be a whole number >= 1', {
      details: { field: 'expectedVersion', reason: 'format' },
    });
  }
  const item = await getItem(ctx, key);
  if (!item) throw notFound(what);
  if (item.version !== expected) throw stale(what);
  return item;
}

// ---- Pages ------------------------------------------------------------------------

export interface IndexPageQuery {
  /** The gsi1 partition; a cursor from any other is refused. */
  partition: string;
  /** Only sort keys with this prefix (one unit's meters in its property's partition). */
  sortPrefix?: string;
  /** Only sort keys in this inclusive range (not with sortPrefix). */
  between?: readonly [string, string];
  /**
   * The table key of the item an index sort key belongs to, or null if none can.
   * `given` is the cursor's, for index keys that do not hold all of the table key
   * (a reception's index key lacks the reading's time): the answer must still be
   * built from the index key wherever it can be.
   */
  tableKeyOf: (gsi1sk: string, given: TableKey) => TableKey | null;
  newestFirst?: boolean;
}

/**
 * One page of an index partition. One item more than the page is read, so the
 * last page says so (cursor null); the cursor is built from the last item
 * returned, in the shape of the index's LastEvaluatedKey.
 */
export async function queryIndexPage(
  ctx: TableAccess,
  query: IndexPageQuery,
  options: PageOptions = {},
): Promise<Page<Item>> {
  const limit = resolvePageLimit(options.limit);
  if (query.sortPrefix !== undefined && query.between !== undefined) {
    throw new Error('an index page takes a sort prefix or a range, not both');
  }
  const start = options.cursor === undefined ? undefined : decodeIndexCursor(options.cursor, query);
  const range = query.between;
  const out = await ctx.doc.send(
    new QueryCommand({
      TableName: ctx.TableName,
      IndexName: GSI1,
      KeyConditionExpression:
        range !== undefined
          ? 'gsi1pk = :p AND gsi1sk BETWEEN :low AND :high'
          : query.sortPrefix === undefined
            ? 'gsi1pk = :p'
            : 'gsi1pk = :p AND begins_with(gsi1sk, :s)',
      ExpressionAttributeValues: {
        ':p': query.partition,
        ...(query.sortPrefix === undefined ? {} : { ':s': query.sortPrefix }),
        ...(range === undefined ? {} : { ':low': range[0], ':high': range[1] }),
      },
      ScanIndexForward: !query.newestFirst,
      Limit: limit + 1,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
  const found = out.Items ?? [];
  const items = found.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    cursor:
      found.length > limit && last
        ? encodeCursor({ pk: last.pk, sk: last.sk, gsi1pk: last.gsi1pk, gsi1sk: last.gsi1sk })
        : null,
  };
}

/**
 * A cursor is client input: exactly a page key of this partition (and sort
 * prefix), whose table key is the one its index key belongs to. Anything else
 * is VALIDATION_FAILED and never reaches DynamoDB, so it cannot start a query
 * in another partner's partition.
 */
function decodeIndexCursor(cursor: string, query: IndexPageQuery): Item {
  const fields = decodeCursorFields(cursor);
  if (Object.keys(fields).sort().join(',') !== 'gsi1pk,gsi1sk,pk,sk') throw invalidCursor();
  const { pk, sk, gsi1pk, gsi1sk } = fields;
  if (gsi1pk !== query.partition || typeof gsi1sk !== 'string') throw invalidCursor();
  if (query.sortPrefix !== undefined && !gsi1sk.startsWith(query.sortPrefix)) throw invalidCursor();
  const range = query.between;
  if (range !== undefined && (gsi1sk < range[0] || gsi1sk > range[1])) throw invalidCursor();
  if (typeof pk !== 'string' || typeof sk !== 'string') throw invalidCursor();
  const expected = query.tableKeyOf(gsi1sk, { pk, sk });
  if (!expected || pk !== expected.pk || sk !== expected.sk) throw invalidCursor();
  return { pk, sk, gsi1pk, gsi1sk };
}

/**
 * One page of a table partition (strongly consistent), with a cursor of its
 * own partition only; with `between`, of the sort keys in that inclusive
 * range, and a cursor from inside it.
 */
export async function queryTablePage(
  ctx: TableAccess,
  partition: string,
  options: PageOptions & { newestFirst?: boolean; between?: readonly [string, string] } = {},
): Promise<Page<Item>> {
  const limit = resolvePageLimit(options.limit);
  const range = options.between;
  let start: Item | undefined;
  if (options.cursor !== undefined) {
    const fields = decodeCursorFields(options.cursor);
    if (Object.keys(fields).sort().join(',') !== 'pk,sk') throw invalidCursor();
    const { pk, sk } = fields;
    if (pk !== partition || typeof sk !== 'string') throw invalidCursor();
    if (range !== undefined && (sk < range[0] || sk > range[1])) throw invalidCursor();
    start = { pk, sk };
  }
  const out = await ctx.doc.send(
    new QueryCommand({
      TableName: ctx.TableName,
      KeyConditionExpression:
        range === undefined ? 'pk = :p' : 'pk = :p AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: {
        ':p': partition,
        ...(range === undefined ? {} : { ':low': range[0], ':high': range[1] }),
      },
      ScanIndexForward: !options.newestFirst,
      ConsistentRead: true,
      Limit: limit + 1,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
  const found = out.Items ?? [];
  const items = found.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    cursor: found.length > limit && last ? encodeCursor({ pk: last.pk, sk: last.sk }) : null,
  };
}

/** The last id segment of a `<sortable>#<id>` sort key, or null. */
export function idOfSortKey(sortKey: string): string | null {
  const id = sortKey.slice(sortKey.lastIndexOf('#') + 1);
  return sortKey.includes('#') && id.length > 0 ? id : null;
}

/** Whether an index partition holds anything (for "refuse while it has children"). */
export async function indexPartitionHasItems(
  ctx: TableAccess,
  partition: string,
  sortPrefix?: string,
): Promise<boolean> {
  const out = await ctx.doc.send(
    new QueryCommand({
      TableName: ctx.TableName,
      IndexName: GSI1,
      KeyConditionExpression:
        sortPrefix === undefined ? 'gsi1pk = :p' : 'gsi1pk = :p AND begins_with(gsi1sk, :s)',
      ExpressionAttributeValues: {
        ':p': partition,
        ...(sortPrefix === undefined ? {} : { ':s': sortPrefix }),
      },
      Limit: 1,
    }),
  );
  return (out.Items ?? []).length > 0;
}

/** Items by key, strongly consistent, in the order of the keys; missing ones are skipped. */
export async function batchGet(ctx: TableAccess, keys: TableKey[]): Promise<Item[]> {
  const found = new Map<string, Item>();
  let pending: TableKey[] = keys;
  // BatchGetItem takes 100 keys and may hand some back unprocessed under load.
  for (let round = 0; pending.length > 0; round += 1) {
    if (round > 10) throw new DomainError('SERVICE_UNAVAILABLE', 'storage is throttling reads');
    const chunk = pending.slice(0, 100);
    const out = await ctx.doc.send(
      new BatchGetCommand({
        RequestItems: { [ctx.TableName]: { Keys: chunk, ConsistentRead: true } },
      }),
    );
    for (const item of out.Responses?.[ctx.TableName] ?? []) {
      found.set(`${String(item.pk)}\n${String(item.sk)}`, item);
    }
    const unprocessed = (out.UnprocessedKeys?.[ctx.TableName]?.Keys ?? []) as TableKey[];
    pending = [...unprocessed, ...pending.slice(100)];
    if (unprocessed.length > 0)
      await new Promise((r) => setTimeout(r, 20 * 2 ** Math.min(round, 6)));
  }
  return keys.flatMap((k) => {
    const item = found.get(`${k.pk}\n${k.sk}`);
    return item ? [item] : [];
  });
}

// ---- Uniqueness markers ------------------------------------------------------------

/**
 * Markers make a value unique without a transaction (dynalite has none): the
 * marker item, keyed by the value, is written before the record, conditional
 * on being free, and names its owner. Readers and claimers never trust a
 * marker alone: `ownerHolds` tells whether the owner record really has the
 * value, so a marker left by a crash (before the record was written, or
 * before an old value was released) neither resolves a lookup nor blocks
 * anyone beyond the grace period.
 */
export interface MarkerRules {
  /** Whether the owner record exists and still has the value the marker stands for. */
  ownerHolds(ownerId: string): Promise<boolean>;
  /** Whether a marker whose owner does not hold it may be taken at once (the owner's change is final). */
  finalWhenNotHeld?: (ownerId: string) => Promise<boolean>;
  conflict(): DomainError;
}

export interface Claim {
  key: TableKey;
  /** Set when this call wrote the marker; null when the owner already had it. */
  token: string | null;
}

export async function claimMarker(
  ctx: StoreContext,
  key: TableKey,
  ownerId: string,
  rules: MarkerRules,
): Promise<Claim> {
  const token = randomBytes(9).toString('base64url');
  const item = {
    ...key,
    entity: 'MARKER',
    ownerId,
    claim: token,
    claimedAt: ctx.now().toISOString(),
  };
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.TableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { key, token };
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
  const marker = await getItem(ctx, key);
  if (!marker) return claimMarker(ctx, key, ownerId, rules);
  const owner = String(marker.ownerId);
  if (owner === ownerId) return { key, token: null };
  if (await rules.ownerHolds(owner)) throw rules.conflict();
  const age = ctx.now().getTime() - Date.parse(String(marker.claimedAt));
  const takeable =
    !(age < ctx.claimGraceMs) ||
    (rules.finalWhenNotHeld ? await rules.finalWhenNotHeld(owner) : false);
  if (!takeable) throw rules.conflict();
  try {
    // Only the marker as read: of two writers taking over the same stale marker one wins.
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.TableName,
        Item: item,
        ConditionExpression: '#claim = :read',
        ExpressionAttributeNames: { '#claim': 'claim' },
        ExpressionAttributeValues: { ':read': marker.claim },
      }),
    );
    return { key, token };
  } catch (err) {
    if (isConditionFailed(err)) throw Object.assign(rules.conflict(), { cause: err });
    throw err;
  }
}

/** Undoes claims this call made (a refused create or update); markers it found owned stay. */
export async function undoClaims(ctx: StoreContext, claims: readonly Claim[]): Promise<void> {
  await Promise.all(
    claims.map(async (claim) => {
      if (claim.token === null) return;
      try {
        await ctx.doc.send(
          new DeleteCommand({
            TableName: ctx.TableName,
            Key: claim.key,
            ConditionExpression: '#claim = :token',
            ExpressionAttributeNames: { '#claim': 'claim' },
            ExpressionAttributeValues: { ':token': claim.token },
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
    }),
  );
}

/** Frees a value the owner gave up; a marker someone else has taken meanwhile stays. */
export async function releaseMarker(
  ctx: StoreContext,
  key: TableKey,
  ownerId: string,
): Promise<void> {
  try {
    await ctx.doc.send(
      new DeleteCommand({
        TableName: ctx.TableName,
        Key: key,
        ConditionExpression: 'ownerId = :owner',
        ExpressionAttributeValues: { ':owner': ownerId },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}

/** The owner a marker names, or null. */
export async function markerOwner(ctx: StoreContext, key: TableKey): Promise<string | null> {
  const marker = await getItem(ctx, key);
  return marker ? String(marker.ownerId) : null;
}

// ---- Audit ----------------------------------------------------------------------------

export interface Change {
  partnerId: string;
  organisationId?: string | undefined;
  actor: Actor;
  action: string;
  target: { type: string; id: string };
  before?: object;
  after?: object;
  /**
   * Field names the change touched, when before and after are views that hide
   * some (a user's password hash); computed from before and after otherwise.
   */
  changed?: string[];
}

/**
 * Appends the audit entry of a change that has been written. After, not
 * before: an entry must not claim a change that a failed condition then
 * refused. A crash between the two leaves a change without entry (see
 * ./README.md, "Audit log").
 */
export async function recordChange(ctx: StoreContext, change: Change): Promise<void> {
  const changed =
    change.changed ??
    (change.before && change.after ? changedFields(change.before, change.after) : undefined);
  await ctx.audit.append({
    partnerId: change.partnerId,
    ...(change.organisationId === undefined ? {} : { organisationId: change.organisationId }),
    actor: change.actor,
    action: change.action,
    target: change.target,
    ...(change.before ? { before: change.before } : {}),
    ...(change.after ? { after: change.after } : {}),
    ...(changed ? { changed } : {}),
  });
}

const META_FIELDS = new Set(['version', 'updatedAt']);

export function changedFields(before: object, after: object): string[] {
  const a = before as Item;
  const b = after as Item;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names]
    .filter((name) => !META_FIELDS.has(name) && JSON.stringify(a[name]) !== JSON.stringify(b[name]))
    .sort();
}

/** Refuses an actor the audit log could not record, before the change is made. */
export function checkActor(actor: Actor): void {
  const kinds = ['user', 'api-key', 'system'];
  if (
    typeof actor !== 'object' ||
    actor === null ||
    !kinds.includes(actor.kind) ||
    typeof actor.id !== 'string' ||
    !/^[A-Za-z0-9*][A-Za-z0-9_.:*-]{0,127}$/.test(actor.id)
  ) {
    throw new DomainError('VALIDATION_FAILED', 'actor is not valid', {
      details: { field: 'actor', reason: 'format' },
    });
  }
}
