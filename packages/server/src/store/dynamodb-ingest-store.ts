import { randomBytes } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.js';
import type { Page } from '../domain/tenancy/ports.js';
import type {
  AlarmEvent,
  BatchSeen,
  DayRange,
  GatewayHealth,
  IngestStore,
  IngestWrites,
  ListOptions,
  MeterStream,
  Reading,
  Reception,
  RejectedFrame,
  StoredAlarm,
  StoredMeterDay,
  TimeRange,
  UnregisteredHeard,
  UnregisteredMeter,
} from '../ingest/ingest-store.js';
import {
  assertKeyParts,
  decodeCursorFields,
  encodeCursor,
  invalidCursor,
  resolvePageLimit,
} from '../iot/registry-rules.js';
import { createBatchWriter, type BatchWriter } from './batch-writer.js';
import { isConditionFailed } from './condition-failed.js';
import {
  ALARM_STATE_PREFIX,
  alarmIndexKey,
  alarmKey,
  alarmKeyOfIndexKey,
  GSI1,
  gatewayHealthKey,
  gatewayReceptionIndexKey,
  gatewayReceptionsPartition,
  meterAlarmsPartition,
  meterDayKey,
  meterReadingsPartition,
  meterReceptionsPartition,
  meterStreamKey,
  ORPHAN_BATCHES_PARTITION,
  propertyDaysPartition,
  readingKey,
  receptionKey,
  receptionKeyOfIndexKey,
  rejectedFramesPartition,
  unitDaysPartition,
  organisationAlarmsPartition,
  unregisteredMetersPartition,
} from './keys.js';
import { queryAllOfPartition } from './query-all.js';
import { packRecentFrames, unpackRecentFrames } from './packed-recent-frames.js';
import { batchGet, queryIndexPage, queryTablePage, recordOf, type Item } from './tenancy-items.js';

export interface DynamoIngestStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** How long receptions are kept for radio coverage; 90 days when absent. */
  receptionRetentionDays?: number;
  /** How long rejected and unregistered frames are kept; 30 days when absent. */
  rejectedRetentionDays?: number;
  /** How long a cleared alarm is kept; 400 days when absent (./README.md, "Ingest"). */
  alarmRetentionDays?: number;
  /** Shared with other writers of the same table, or a new one. */
  batchWriter?: BatchWriter;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A sort key above every ISO instant that starts with the same prefix. */
const HIGH = '\uffff';
/** Gateway health keeps this many hours of frame counts. */
const HEALTH_HOURS = 48;
/** Attempts at a read-modify-write of a gateway's health before giving up. */
const HEALTH_ATTEMPTS = 8;

/** The page options of a list call, without its own fields (undefined ones left out). */
function pageOptions(opts: ListOptions): { limit?: number; cursor?: string } {
  return {
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
  };
}

function ttl(fromIso: string, days: number): number {
  return Math.floor((Date.parse(fromIso) + days * DAY_MS) / 1000);
}

function conflict(what: string, cause: unknown): DomainError {
  return new DomainError('CONFLICT', `${what} was changed meanwhile`, {
    cause,
    details: { reason: 'version' },
  });
}

/**
 * The ingest's items in the single table (key design: ./README.md, "Ingest").
 * Readings, receptions and days are puts of deterministic items sent through
 * the batch writer; the per-meter stream and late days are conditional puts.
 */
export function createDynamoIngestStore(options: DynamoIngestStoreOptions): IngestStore {
  const { doc, tableName: TableName } = options;
  const ctx = { doc, TableName };
  const receptionDays = options.receptionRetentionDays ?? 90;
  const rejectedDays = options.rejectedRetentionDays ?? 30;
  const alarmDays = options.alarmRetentionDays ?? 400;
  const writer = options.batchWriter ?? createBatchWriter({ doc, tableName: TableName });

  function readingItem(r: Reading): Item {
    return { ...readingKey(r.partnerId, r.meterId, r.at, r.digest), entity: 'READING', ...r };
  }

  function receptionItem(r: Reception): Item {
    return {
      ...receptionKey(r.partnerId, r.meterId, r.readingAt, r.digest, r.thingName),
      ...gatewayReceptionIndexKey(r.partnerId, r.thingName, r.receivedAt, r.meterId, r.digest),
      entity: 'RECEPTION',
      ...r,
      expiresAt: ttl(r.receivedAt, receptionDays),
    };
  }

  function dayItem(d: StoredMeterDay): Item {
    return {
      ...meterDayKey(d.partnerId, d.propertyId, d.day, d.meterId),
      ...(d.unitId === undefined
        ? {}
        : { gsi1pk: unitDaysPartition(d.partnerId, d.unitId), gsi1sk: `${d.day}#${d.meterId}` }),
      entity: 'METERDAY',
      ...d,
    };
  }

  function rejectedItem(r: RejectedFrame): Item {
    // Distinct frames rejected in the same millisecond by the same gateway still get their own item.
    const tag = r.digest ?? randomBytes(8).toString('base64url');
    return {
      pk: rejectedFramesPartition(r.partnerId, r.organisationId),
      sk: `${r.receivedAt}#${tag}#${r.thingName}`,
      entity: 'REJECTED',
      ...r,
      expiresAt: ttl(r.receivedAt, rejectedDays),
    };
  }

  /**
   * Puts an item if the stored one still has `version` (or, for 0, if there
   * is none): the ingest's one kind of conditional write. CONFLICT otherwise.
   */
  async function putOnVersion(item: Item, version: number, what: string): Promise<void> {
    try {
      await doc.send(
        new PutCommand({
          TableName,
          Item: item,
          ...(version === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#v = :v',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':v': version },
              }),
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw conflict(what, error);
      throw error;
    }
  }

  function streamOf(item: Item): MeterStream {
    const { guardFrames, ...rest } = recordOf<MeterStream & { guardFrames?: string }>(item);
    // Streams saved before the frames were packed keep them as a list until their next save.
    return typeof guardFrames === 'string'
      ? { ...rest, guard: { ...rest.guard, recent: unpackRecentFrames(guardFrames) } }
      : rest;
  }

  /** The stream as its item: the guard's frames packed (packed-recent-frames.ts). */
  function streamItem(stream: MeterStream): Item {
    const key = meterStreamKey(stream.partnerId, stream.meterId);
    const packed = packRecentFrames(stream.guard.recent);
    if (packed === null) return { ...key, entity: 'STREAM', ...stream };
    const { recent: _recent, ...guard } = stream.guard;
    return { ...key, entity: 'STREAM', ...stream, guard, guardFrames: packed };
  }

  function alarmOf(item: Item): StoredAlarm {
    return recordOf<StoredAlarm>(item, ['expiresAt']);
  }

  /**
   * An episode's item after one of its events. Raising sets what the alarm is
   * and lists it as active, unless it was cleared already (a raise written
   * again after its clearing, or after it); clearing sets the same and the
   * time it ended, lists it as cleared and lets it expire. Either leaves an
   * acknowledgement alone, and both carry everything the item needs, so the
   * result does not depend on their order.
   */
  async function applyAlarmEvent(event: AlarmEvent): Promise<void> {
    const { partnerId, organisationId, meterId, code, since } = event;
    assertKeyParts({ partnerId, organisationId, meterId, propertyId: event.propertyId });
    const cleared = event.type === 'cleared';
    const fields: Record<string, unknown> = {
      ...alarmIndexKey(
        partnerId,
        organisationId,
        cleared ? 'cleared' : 'active',
        since,
        meterId,
        code,
      ),
      entity: 'ALARM',
      partnerId,
      organisationId,
      propertyId: event.propertyId,
      ...(event.unitId === undefined ? {} : { unitId: event.unitId }),
      meterId,
      kind: event.kind,
      code,
      severity: event.severity,
      source: event.source,
      since,
      ...(event.detail === undefined ? {} : { detail: event.detail }),
      ...(cleared ? { clearedAt: event.at, expiresAt: ttl(event.at, alarmDays) } : {}),
    };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields).map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    if (!cleared) names['#cleared'] = 'clearedAt';
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: alarmKey(partnerId, meterId, since, code),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ...(cleared ? {} : { ConditionExpression: 'attribute_not_exists(#cleared)' }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // Raised again after it was cleared: the cleared item stays as it is.
      if (!cleared && isConditionFailed(error)) return;
      throw error;
    }
  }

  /**
   * One page of an organisation's alarms over one or two index ranges (active
   * `A#…`, cleared `C#…`), merged newest first. The cursor holds, per range,
   * the sort key of the last item of it returned; each is checked to be an
   * alarm key of this partition and range before it reaches DynamoDB.
   */
  async function alarmIndexPage(
    partnerId: string,
    organisationId: string,
    prefixes: readonly string[],
    range: TimeRange,
    opts: ListOptions,
  ): Promise<Page<StoredAlarm>> {
    const limit = resolvePageLimit(opts.limit);
    const partition = organisationAlarmsPartition(partnerId, organisationId);
    const after = opts.cursor === undefined ? {} : decodeAlarmCursor(opts.cursor);
    const reads = await Promise.all(
      prefixes.map(async (prefix) => {
        const low = `${prefix}${range.from}`;
        const high = `${prefix}${range.to}`;
        const last = after[prefix];
        let start: Item | undefined;
        if (last !== undefined) {
          const table = alarmKeyOfIndexKey(partnerId, last);
          if (!last.startsWith(prefix) || last < low || last > high || table === null) {
            throw invalidCursor();
          }
          start = { ...table, gsi1pk: partition, gsi1sk: last };
        }
        const out = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: GSI1,
            KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :low AND :high',
            ExpressionAttributeValues: { ':p': partition, ':low': low, ':high': high },
            ScanIndexForward: false,
            Limit: limit + 1,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        return { prefix, items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
      }),
    );
    const order = (item: Item) => String(item.gsi1sk).slice(2);
    const merged = reads
      .flatMap((r) => r.items.map((item) => ({ prefix: r.prefix, item })))
      .sort((a, b) => (order(a.item) < order(b.item) ? 1 : order(a.item) > order(b.item) ? -1 : 0));
    const taken = merged.slice(0, limit);
    const next: Record<string, string> = { ...after };
    for (const { prefix, item } of taken) next[prefix] = String(item.gsi1sk);
    const more = merged.length > taken.length || reads.some((r) => r.more);
    return {
      items: taken.map(({ item }) => alarmOf(item)),
      cursor: more ? encodeCursor(next) : null,
    };
  }

  /** A cursor of alarmIndexPage: an object of prefix → sort key, nothing else. */
  function decodeAlarmCursor(cursor: string): Record<string, string> {
    const fields = decodeCursorFields(cursor);
    const allowed: readonly string[] = Object.values(ALARM_STATE_PREFIX);
    const out: Record<string, string> = {};
    for (const [prefix, value] of Object.entries(fields)) {
      if (!allowed.includes(prefix) || typeof value !== 'string') throw invalidCursor();
      out[prefix] = value;
    }
    return out;
  }

  return {
    async loadStreams(partnerId, meterIds) {
      for (const meterId of meterIds) assertKeyParts({ partnerId, meterId });
      const unique = [...new Set(meterIds)];
      const items = await batchGet(
        ctx,
        unique.map((id) => meterStreamKey(partnerId, id)),
      );
      return new Map(items.map((item) => [String(item.meterId), streamOf(item)]));
    },

    async getStream(partnerId, meterId) {
      assertKeyParts({ partnerId, meterId });
      const out = await doc.send(
        new GetCommand({
          TableName,
          Key: meterStreamKey(partnerId, meterId),
          ConsistentRead: true,
        }),
      );
      return out.Item ? streamOf(out.Item) : null;
    },

    async saveStream(stream) {
      assertKeyParts({ partnerId: stream.partnerId, meterId: stream.meterId });
      const next: MeterStream = { ...stream, version: stream.version + 1 };
      await putOnVersion(streamItem(next), stream.version, `stream of meter ${stream.meterId}`);
      return next;
    },

    async write(writes: IngestWrites) {
      const puts = [
        ...writes.readings.map(readingItem),
        ...writes.receptions.map(receptionItem),
        ...writes.days.map(dayItem),
        ...writes.rejected.map(rejectedItem),
      ];
      if (puts.length > 0) await writer.write(puts.map((put) => ({ put })));
      // One update each: they are rare (an episode's start and end), and must not replace an acknowledgement.
      await Promise.all((writes.alarms ?? []).map(applyAlarmEvent));
    },

    async getDay(partnerId, propertyId, day, meterId) {
      assertKeyParts({ partnerId, propertyId, meterId });
      const out = await doc.send(
        new GetCommand({
          TableName,
          Key: meterDayKey(partnerId, propertyId, day, meterId),
          ConsistentRead: true,
        }),
      );
      return out.Item ? recordOf<StoredMeterDay>(out.Item) : null;
    },

    async saveDay(day) {
      assertKeyParts({
        partnerId: day.partnerId,
        propertyId: day.propertyId,
        meterId: day.meterId,
      });
      const next = { ...day, version: day.version + 1 };
      await putOnVersion(dayItem(next), day.version, `day ${day.day} of meter ${day.meterId}`);
      return next;
    },

    async noteUnregistered(heard: UnregisteredHeard) {
      const { partnerId, organisationId, identity } = heard;
      assertKeyParts({ partnerId, organisationId });
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: {
            pk: unregisteredMetersPartition(partnerId, organisationId),
            sk: `${identity.manufacturer}#${identity.meterId}#${identity.deviceVersion}#${identity.deviceType}`,
          },
          UpdateExpression:
            'SET entity = :e, partnerId = :p, organisationId = :o, #identity = :i, ' +
            'firstHeardAt = if_not_exists(firstHeardAt, :t), lastHeardAt = :t, ' +
            'lastThingName = :g, lastRssi = :r, expiresAt = :x ADD frames :n',
          // IDENTITY is one of DynamoDB's reserved words.
          ExpressionAttributeNames: { '#identity': 'identity' },
          ExpressionAttributeValues: {
            ':e': 'UNREGISTERED',
            ':p': partnerId,
            ':o': organisationId,
            ':i': identity,
            ':t': heard.receivedAt,
            ':g': heard.thingName,
            ':r': heard.rssi,
            ':x': ttl(heard.receivedAt, rejectedDays),
            ':n': heard.frames,
          },
        }),
      );
    },

    async recordBatch(batch: BatchSeen) {
      const Key = gatewayHealthKey(batch.thingName);
      for (let attempt = 0; attempt < HEALTH_ATTEMPTS; attempt += 1) {
        const out = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
        const before = out.Item ? recordOf<GatewayHealth>(out.Item) : null;
        const next = foldBatch(before, batch);
        try {
          await putOnVersion({ ...Key, entity: 'HEALTH', ...next }, before?.version ?? 0, 'health');
          return next;
        } catch (error) {
          if (!(error instanceof DomainError && error.code === 'CONFLICT')) throw error;
        }
      }
      throw new DomainError('CONFLICT', `health of gateway ${batch.thingName} stays contended`, {
        details: { reason: 'busy' },
      });
    },

    async recordOrphanBatch(thingName, receivedAt, frames) {
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            pk: ORPHAN_BATCHES_PARTITION,
            sk: `${receivedAt}#${thingName}#${randomBytes(6).toString('base64url')}`,
            entity: 'ORPHAN',
            thingName,
            receivedAt,
            frames,
            expiresAt: ttl(receivedAt, rejectedDays),
          },
        }),
      );
    },

    async listReadings(partnerId, meterId, range: TimeRange, opts = {}) {
      assertKeyParts({ partnerId, meterId });
      // Sort keys are `<at>#<digest>`, so `to` itself never matches: BETWEEN ends just below it.
      const page = await queryTablePage(ctx, meterReadingsPartition(partnerId, meterId), {
        ...pageOptions(opts),
        newestFirst: opts.order === 'desc',
        between: [range.from, range.to],
      });
      return { items: page.items.map((i) => recordOf<Reading>(i)), cursor: page.cursor };
    },

    async listReceptions(partnerId, meterId, range, opts = {}) {
      assertKeyParts({ partnerId, meterId });
      const page = await queryTablePage(ctx, meterReceptionsPartition(partnerId, meterId), {
        ...pageOptions(opts),
        between: [range.from, range.to],
      });
      return {
        items: page.items.map((i) => recordOf<Reception>(i, ['expiresAt'])),
        cursor: page.cursor,
      };
    },

    async listGatewayReceptions(partnerId, thingName, range, opts = {}) {
      assertKeyParts({ partnerId, thingName });
      // Index sort keys are `<receivedAt>#<meterId>#<digest>`: `to` itself never matches.
      const page = await queryIndexPage(
        ctx,
        {
          partition: gatewayReceptionsPartition(partnerId, thingName),
          between: [range.from, range.to],
          tableKeyOf: (gsi1sk, given) =>
            receptionKeyOfIndexKey(partnerId, thingName, gsi1sk, given.sk),
          newestFirst: opts.order !== 'asc',
        },
        pageOptions(opts),
      );
      return {
        items: page.items.map((i) => recordOf<Reception>(i, ['expiresAt'])),
        cursor: page.cursor,
      };
    },

    async propertyDays(partnerId, propertyId, range: DayRange) {
      assertKeyParts({ partnerId, propertyId });
      const items = await queryAllOfPartition(doc, {
        tableName: TableName,
        partition: propertyDaysPartition(partnerId, propertyId),
        index: false,
        between: [range.from, `${range.to}#${HIGH}`],
      });
      return items.map((i) => recordOf<StoredMeterDay>(i));
    },

    async unitDays(partnerId, unitId, range: DayRange) {
      assertKeyParts({ partnerId, unitId });
      const items = await queryAllOfPartition(doc, {
        tableName: TableName,
        partition: unitDaysPartition(partnerId, unitId),
        index: true,
        between: [range.from, `${range.to}#${HIGH}`],
      });
      return items.map((i) => recordOf<StoredMeterDay>(i));
    },

    async listRejected(partnerId, organisationId, opts = {}) {
      assertKeyParts({ partnerId, organisationId });
      const page = await queryTablePage(ctx, rejectedFramesPartition(partnerId, organisationId), {
        ...pageOptions(opts),
        newestFirst: true,
      });
      return {
        items: page.items.map((i) => recordOf<RejectedFrame>(i, ['expiresAt'])),
        cursor: page.cursor,
      };
    },

    async listUnregistered(partnerId, organisationId, opts = {}) {
      assertKeyParts({ partnerId, organisationId });
      const page = await queryTablePage(
        ctx,
        unregisteredMetersPartition(partnerId, organisationId),
        pageOptions(opts),
      );
      return {
        items: page.items.map((i) => recordOf<UnregisteredMeter>(i, ['expiresAt'])),
        cursor: page.cursor,
      };
    },

    async getGatewayHealth(thingName) {
      const out = await doc.send(
        new GetCommand({ TableName, Key: gatewayHealthKey(thingName), ConsistentRead: true }),
      );
      return out.Item ? recordOf<GatewayHealth>(out.Item) : null;
    },

    async listMeterAlarms(partnerId, meterId, range, opts = {}) {
      assertKeyParts({ partnerId, meterId });
      // Sort keys are `<since>#<code>`: `to` itself never matches, so it is exclusive.
      const page = await queryTablePage(ctx, meterAlarmsPartition(partnerId, meterId), {
        ...pageOptions(opts),
        newestFirst: true,
        between: [range.from, range.to],
      });
      return { items: page.items.map(alarmOf), cursor: page.cursor };
    },

    async listOrganisationAlarms(partnerId, organisationId, query) {
      assertKeyParts({ partnerId, organisationId });
      const prefixes =
        query.state === 'active'
          ? [ALARM_STATE_PREFIX.active]
          : [ALARM_STATE_PREFIX.active, ALARM_STATE_PREFIX.cleared];
      return alarmIndexPage(partnerId, organisationId, prefixes, query.range, pageOptions(query));
    },

    async getAlarm(partnerId, meterId, code, since) {
      assertKeyParts({ partnerId, meterId });
      const out = await doc.send(
        new GetCommand({
          TableName,
          Key: alarmKey(partnerId, meterId, since, code),
          ConsistentRead: true,
        }),
      );
      return out.Item ? alarmOf(out.Item) : null;
    },

    async acknowledgeAlarm(partnerId, meterId, code, since, by) {
      assertKeyParts({ partnerId, meterId });
      const Key = alarmKey(partnerId, meterId, since, code);
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: 'SET acknowledgedAt = :t, acknowledgedBy = :a',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(acknowledgedAt)',
            ExpressionAttributeValues: { ':t': by.at, ':a': by.actor },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { alarm: alarmOf(out.Attributes ?? {}), changed: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const out = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
      if (!out.Item) {
        throw new DomainError('NOT_FOUND', `alarm ${code} of ${since} does not exist`);
      }
      return { alarm: alarmOf(out.Item), changed: false };
    },
  };
}

/**
 * A gateway's health after one more batch. Sequence numbers only grow (a
 * resent batch keeps its number), so a jump past `lastSeq + 1` counts the
 * batches in between as lost; an old number arriving late fills nothing
 * (it was counted lost when skipped, and it is not counted again).
 */
export function foldBatch(before: GatewayHealth | null, batch: BatchSeen): GatewayHealth {
  const hour = batch.receivedAt.slice(0, 13);
  const outcomes = { ...(before?.outcomes ?? {}) };
  for (const [name, count] of Object.entries(batch.outcomes)) {
    const key = name as keyof typeof outcomes;
    outcomes[key] = (outcomes[key] ?? 0) + (count ?? 0);
  }
  const hours = { ...(before?.framesPerHour ?? {}) };
  hours[hour] = (hours[hour] ?? 0) + batch.frames;
  const kept = Object.keys(hours).sort().slice(-HEALTH_HOURS);
  const lastSeq = before === null ? batch.gatewaySeq : Math.max(before.lastSeq, batch.gatewaySeq);
  const skipped =
    before !== null && batch.gatewaySeq > before.lastSeq + 1
      ? batch.gatewaySeq - before.lastSeq - 1
      : 0;
  return {
    thingName: batch.thingName,
    partnerId: batch.partnerId,
    organisationId: batch.organisationId,
    firstSeenAt: before?.firstSeenAt ?? batch.receivedAt,
    lastSeenAt:
      before !== null && before.lastSeenAt > batch.receivedAt
        ? before.lastSeenAt
        : batch.receivedAt,
    lastSeq,
    batches: (before?.batches ?? 0) + 1,
    lostBatches: (before?.lostBatches ?? 0) + skipped,
    frames: (before?.frames ?? 0) + batch.frames,
    outcomes,
    framesPerHour: Object.fromEntries(kept.map((h) => [h, hours[h]!])),
    version: (before?.version ?? 0) + 1,
  };
}
