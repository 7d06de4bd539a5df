import type { TelegramBatch, TelegramFrame } from '@zaehlwerk/firmware-contract';
import { decode, isWmbusError, peekFrame, type DecodeResult } from '@zaehlwerk/wmbus';
import { emptyAlarmState, type AlarmChange } from '../domain/alarms/alarm.js';
import { evaluateAlarms } from '../domain/alarms/evaluate-alarms.js';
import { localDay } from '../domain/consumption/day.js';
import { foldReading } from '../domain/consumption/meter-day.js';
import { DomainError } from '../domain/errors.js';
import type { TelegramBatchDelivery } from '../domain/ports.js';
import type { Meter, MeterIdentity } from '../domain/tenancy/meter.js';
import { LruCache } from '../keys/lru-cache.js';
import { readRegister } from './consumption-register.js';
import { frameDigest } from './frame-identity.js';
import {
  FRAME_OUTCOMES,
  type AlarmEvent,
  type FrameOutcome,
  type IngestStore,
  type MeterPlace,
  type MeterStream,
  type Reading,
  type Reception,
  type RejectedFrame,
  type RejectReason,
  type StoredMeterDay,
} from './ingest-store.js';
import { judgeFrame } from './replay-guard.js';

/** Who a gateway belongs to, as the registry says (never the payload). */
export interface GatewayOwner {
  partnerId: string;
  organisationId: string;
}

export interface IngestPipelineDeps {
  store: IngestStore;
  /** The registry's owner of a thing, or null for a thing it does not know. */
  gatewayOwner(thingName: string): Promise<GatewayOwner | null>;
  /** The installed meters of identities in a partner, in their order (MeterStore.findManyByIdentity). */
  findMeters(partnerId: string, identities: readonly MeterIdentity[]): Promise<Array<Meter | null>>;
  /** The IANA time zone of a property: days are the property's local days. */
  propertyTimeZone(partnerId: string, propertyId: string): Promise<string>;
  /** The meter's AES key (unsealed by the vault), or null when it has none. */
  meterKeys(meters: readonly Meter[]): Promise<Map<string, Uint8Array | null>>;
  /** Told about every reading stored (live subscribers); must not throw. */
  onReadings?: (readings: readonly Reading[]) => void;
  /** Told about every alarm raised or cleared, once, after it is stored; must not throw. */
  onAlarms?: (events: readonly AlarmEvent[]) => void;
  log: {
    warn(fields: object, message: string): void;
    debug(fields: object, message: string): void;
  };
  /** How long registry, meter and time-zone lookups are cached; 30 s when absent. */
  lookupTtlMs?: number;
  /** Unsealed meter keys kept in memory; 10 000 when absent (5 minutes each). */
  keyCacheSize?: number;
  /** Meter streams kept after saving (60 s each); 100 000 when absent. */
  streamCacheSize?: number;
  /** Meters of one batch worked on at once; 8 when absent. */
  concurrency?: number;
  now?: () => number;
}

export interface BatchResult {
  thingName: string;
  gatewaySeq: number;
  outcomes: Record<FrameOutcome, number>;
  /** Missing batches the gateway's sequence revealed with this one. */
  lostBatches: number;
}

export interface IngestStats {
  batches: number;
  orphanBatches: number;
  frames: number;
  outcomes: Record<FrameOutcome, number>;
  /** Stream writes lost to a concurrent worker and redone. */
  streamConflicts: number;
  /** Alarm episodes begun and ended (each once, however often its frame came). */
  alarms: { raised: number; cleared: number };
}

/** A frame whose clear header named a registered meter of the gateway's organisation. */
interface MeterFrame {
  frame: TelegramFrame;
  digest: string;
  accessNumber: number | null;
  messageCounter?: number;
}

interface MeterWork {
  readings: Reading[];
  receptions: Reception[];
  days: StoredMeterDay[];
  rejected: RejectedFrame[];
  fresh: Reading[];
  /** Alarm events to write: the fresh frames', and again those of frames that came again. */
  alarms: AlarmEvent[];
  /** Alarm events of fresh frames only: what is counted and told. */
  freshAlarms: AlarmEvent[];
  outcomes: Partial<Record<FrameOutcome, number>>;
}

/** Decoder errors that mean "the key does not open it" rather than "the bytes are broken". */
const KEY_ERRORS = new Set(['KEY_REQUIRED', 'DECRYPTION_FAILED', 'MAC_INVALID', 'INVALID_KEY']);
/** Attempts at one meter's frames when other workers keep writing its stream. */
const STREAM_ATTEMPTS = 6;
/** A gateway's entry in a stream's radio map is refreshed by a duplicate after this long. */
const RADIO_REFRESH_MS = 60 * 60 * 1000;
/** Gateways a stream remembers the signal of. */
const MAX_RADIO_LINKS = 16;

function zeroOutcomes(): Record<FrameOutcome, number> {
  return Object.fromEntries(FRAME_OUTCOMES.map((o) => [o, 0])) as Record<FrameOutcome, number>;
}

function count(
  outcomes: Partial<Record<FrameOutcome, number>>,
  outcome: FrameOutcome,
  n = 1,
): void {
  outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
}

/** Identities a registered meter can have: others are not looked up. */
function isMeterIdentity(id: MeterIdentity): boolean {
  return /^[A-Z]{3}$/.test(id.manufacturer) && /^\d{8}$/.test(id.meterId);
}

function keyCacheKey(meter: Meter): string {
  return `${meter.partnerId}|${meter.id}|${meter.keyRef ?? ''}`;
}

function identityKey(partnerId: string, id: MeterIdentity): string {
  return `${partnerId}|${id.manufacturer}|${id.meterId}|${id.deviceVersion}|${id.deviceType}`;
}

function emptyStream(partnerId: string, meterId: string): MeterStream {
  return {
    partnerId,
    meterId,
    version: 0,
    guard: { recent: [] },
    decoder: { formats: {} },
    radio: {},
  };
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/**
 * The ingest from a batch that kept the firmware contract to stored readings:
 * clear header → meter of the gateway's organisation → key → replay guard →
 * decrypt, verify, decode → reading, reception, day aggregate → alarms →
 * live.
 *
 * At least once in, exactly once stored: every item written is a function of
 * the frame and the meter's stream, so a batch handled again (a resend after a
 * crash or reconnect, the same frame from another gateway) writes the same
 * items. The stream is saved before the items, conditionally on its version;
 * a crash between the two leaves the frame known to the stream, and the resend
 * takes the duplicate path, which writes the items again. The promise rejects
 * only when storage fails, so the gateway's PUBACK is held back and it resends.
 */
export function createIngestPipeline(deps: IngestPipelineDeps) {
  const now = deps.now ?? Date.now;
  const ttl = deps.lookupTtlMs ?? 30_000;
  const owners = new LruCache<string, GatewayOwner | null>({ maxEntries: 10_000, ttlMs: ttl, now });
  const meters = new LruCache<string, Meter | null>({ maxEntries: 100_000, ttlMs: ttl, now });
  const zones = new LruCache<string, string>({ maxEntries: 10_000, ttlMs: ttl, now });
  const keys = new LruCache<string, Uint8Array | null>({
    maxEntries: deps.keyCacheSize ?? 10_000,
    ttlMs: 5 * 60_000,
    now,
  });
  /** Streams this process saved last, so that its next batch of a meter need not read it. */
  const savedStreams = new LruCache<string, MeterStream>({
    maxEntries: deps.streamCacheSize ?? 100_000,
    ttlMs: 60_000,
    now,
  });
  const stats: IngestStats = {
    batches: 0,
    orphanBatches: 0,
    frames: 0,
    outcomes: zeroOutcomes(),
    streamConflicts: 0,
    alarms: { raised: 0, cleared: 0 },
  };

  async function cached<V>(cache: LruCache<string, V>, key: string, load: () => Promise<V>) {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    cache.set(key, value);
    return value;
  }

  function rejection(
    owner: GatewayOwner,
    delivery: TelegramBatchDelivery,
    batch: TelegramBatch,
    frame: TelegramFrame,
    reason: RejectReason,
    detail: string,
    extra: Partial<RejectedFrame> = {},
  ): RejectedFrame {
    return {
      partnerId: owner.partnerId,
      organisationId: owner.organisationId,
      thingName: delivery.thingName,
      receivedAt: frame.receivedAt,
      reason,
      detail,
      frame: frame.frame,
      rssi: frame.rssi,
      gatewaySeq: batch.gatewaySeq,
      ...extra,
    };
  }

  /**
   * Batches in flight at once (a gateway has up to 20 unacknowledged) often
   * carry frames of the same meters; in this process they take turns per
   * meter, so that the stream's conditional write conflicts only with other
   * processes, not with itself.
   */
  const meterTurns = new Map<string, Promise<unknown>>();
  async function inTurn<T>(meterKey: string, work: () => Promise<T>): Promise<T> {
    const before = meterTurns.get(meterKey) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => undefined);
    meterTurns.set(meterKey, settled);
    try {
      return await mine;
    } finally {
      if (meterTurns.get(meterKey) === settled) meterTurns.delete(meterKey);
    }
  }

  /** One meter's frames of the batch against its stream; redone from a fresh read on CONFLICT. */
  async function workMeter(
    owner: GatewayOwner,
    delivery: TelegramBatchDelivery,
    batch: TelegramBatch,
    meter: Meter,
    frames: MeterFrame[],
    preloaded: MeterStream | undefined,
  ): Promise<MeterWork> {
    const key = await cached(
      keys,
      keyCacheKey(meter),
      async () => (await deps.meterKeys([meter])).get(meter.id) ?? null,
    );
    const timeZone = await cached(zones, `${meter.partnerId}|${meter.propertyId}`, () =>
      deps.propertyTimeZone(meter.partnerId, meter.propertyId),
    );
    const ordered = [...frames].sort((a, b) =>
      a.frame.receivedAt < b.frame.receivedAt
        ? -1
        : a.frame.receivedAt > b.frame.receivedAt
          ? 1
          : 0,
    );
    const streamKey = `${meter.partnerId}|${meter.id}`;
    for (let attempt = 1; ; attempt += 1) {
      let stored: MeterStream | undefined;
      if (attempt === 1) {
        // The batch's read, unless this process has saved a newer one since (an earlier batch).
        const mine = savedStreams.get(streamKey);
        stored = mine !== undefined && mine.version > (preloaded?.version ?? 0) ? mine : preloaded;
      } else {
        stored = (await deps.store.loadStreams(meter.partnerId, [meter.id])).get(meter.id);
      }
      stored ??= emptyStream(meter.partnerId, meter.id);
      const work = judgeAndDecode(owner, delivery, batch, meter, ordered, stored, key, timeZone);
      try {
        const saved = work.changed ? await deps.store.saveStream(work.stream) : stored;
        savedStreams.set(streamKey, saved);
        if (saved.today !== undefined && work.touchedToday) {
          work.result.days.push(dayOf(meter, saved.today, saved.version));
        }
        for (const late of work.lateReadings)
          await foldLateDay(meter, late.day, late.at, late.value, late.rated);
        return work.result;
      } catch (error) {
        if (
          !(error instanceof DomainError && error.code === 'CONFLICT') ||
          attempt >= STREAM_ATTEMPTS
        ) {
          throw error;
        }
        savedStreams.delete(streamKey);
        stats.streamConflicts += 1;
      }
    }
  }

  function dayOf(
    meter: Meter,
    today: NonNullable<MeterStream['today']>,
    version: number,
  ): StoredMeterDay {
    return {
      ...today,
      partnerId: meter.partnerId,
      propertyId: meter.propertyId,
      ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
      meterId: meter.id,
      kind: meter.kind,
      // Today's item is put, not conditionally written: its content follows the stream's version.
      version,
    };
  }

  /** A frame of a day already past in the stream: read, fold and write that day conditionally. */
  async function foldLateDay(meter: Meter, day: string, at: string, value: number, rated?: number) {
    for (let attempt = 1; ; attempt += 1) {
      const before = await deps.store.getDay(meter.partnerId, meter.propertyId, day, meter.id);
      const folded = foldReading(before ?? undefined, { at, value }, day);
      const next: StoredMeterDay = {
        ...folded,
        partnerId: meter.partnerId,
        propertyId: meter.propertyId,
        ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
        meterId: meter.id,
        kind: meter.kind,
        unit: before?.unit ?? unitOfKind(meter),
        ...ratedOf(before, folded, at, rated),
        version: before?.version ?? 0,
      };
      try {
        await deps.store.saveDay(next);
        return;
      } catch (error) {
        if (
          !(error instanceof DomainError && error.code === 'CONFLICT') ||
          attempt >= STREAM_ATTEMPTS
        ) {
          throw error;
        }
      }
    }
  }

  function judgeAndDecode(
    owner: GatewayOwner,
    delivery: TelegramBatchDelivery,
    batch: TelegramBatch,
    meter: Meter,
    frames: MeterFrame[],
    stored: MeterStream,
    key: Uint8Array | null,
    timeZone: string,
  ) {
    const stream: MeterStream = structuredClone(stored);
    const result: MeterWork = {
      readings: [],
      receptions: [],
      days: [],
      rejected: [],
      fresh: [],
      alarms: [],
      freshAlarms: [],
      outcomes: {},
    };
    const lateReadings: Array<{ day: string; at: string; value: number; rated?: number }> = [];
    let changed = false;
    let touchedToday = false;
    const identity = identityOf(meter);
    for (const f of frames) {
      const judged = judgeFrame(stream.guard, {
        digest: f.digest,
        receivedAt: f.frame.receivedAt,
        accessNumber: f.accessNumber,
        ...(f.messageCounter === undefined ? {} : { messageCounter: f.messageCounter }),
      });
      const reject = (reason: RejectReason, detail: string) => {
        result.rejected.push(
          rejection(owner, delivery, batch, f.frame, reason, detail, {
            digest: f.digest,
            meter: identity,
            meterId: meter.id,
          }),
        );
        count(result.outcomes, reason);
      };
      if (judged.verdict === 'replay') {
        reject('replay', judged.reason ?? 'replayed');
        continue;
      }
      let decoded: DecodeResult;
      try {
        decoded = decode(f.frame.frame, {
          key,
          state: stream.decoder,
          crc: f.frame.crc,
        });
      } catch (error) {
        if (!isWmbusError(error)) throw error;
        reject(
          KEY_ERRORS.has(error.code) || key === null ? 'undecryptable' : 'malformed',
          key === null ? 'NO_KEY' : error.code,
        );
        continue;
      }
      if (decoded.state !== stream.decoder) {
        stream.decoder = decoded.state;
        changed = true;
      }
      const { telegram } = decoded;
      const register = readRegister(meter.kind, telegram, meter.ratingFactors);
      const reading: Reading = {
        ...meterPlace(meter),
        at: judged.firstSeenAt,
        digest: f.digest,
        register:
          register === null
            ? null
            : {
                value: register.value,
                unit: register.unit,
                ...(register.rated === undefined ? {} : { rated: register.rated }),
              },
        ...(register?.meterTime === undefined ? {} : { meterTime: register.meterTime }),
        values: telegram.values,
        status: telegram.status,
        accessNumber: telegram.accessNumber,
        ...(telegram.security.messageCounter === undefined
          ? {}
          : { messageCounter: telegram.security.messageCounter }),
        securityMode: telegram.security.mode,
        driver: telegram.driver,
      };
      result.readings.push(reading);
      result.receptions.push({
        partnerId: meter.partnerId,
        meterId: meter.id,
        digest: f.digest,
        readingAt: judged.firstSeenAt,
        thingName: delivery.thingName,
        receivedAt: f.frame.receivedAt,
        rssi: f.frame.rssi,
        mode: f.frame.mode,
        replayed: f.frame.replayed === true,
        gatewaySeq: batch.gatewaySeq,
      });
      const link = stream.radio[delivery.thingName];
      const radioStale =
        link === undefined ||
        Date.parse(f.frame.receivedAt) - Date.parse(link.at) > RADIO_REFRESH_MS;
      if (judged.verdict === 'duplicate') {
        count(result.outcomes, 'duplicate');
        // The stream's today may be missing from storage after a crash: write it again.
        touchedToday = true;
        // So may the alarms this frame raised or cleared.
        for (const made of stream.alarmFrames ?? []) {
          if (made.digest === f.digest) {
            result.alarms.push(...made.changes.map((c) => alarmEvent(meter, f.digest, c)));
          }
        }
        if (radioStale) {
          setRadio(stream, delivery.thingName, f.frame);
          changed = true;
        }
        continue;
      }
      stream.guard = judged.state;
      setRadio(stream, delivery.thingName, f.frame);
      changed = true;
      count(result.outcomes, 'stored');
      result.fresh.push(reading);
      // Before stream.last moves: the rules compare with the register before this frame.
      const alarms = evaluateFrameAlarms(stream, meter, reading);
      result.alarms.push(...alarms);
      result.freshAlarms.push(...alarms);
      if (register !== null) {
        const day = localDay(reading.at, timeZone);
        if (stream.last === undefined || reading.at >= stream.last.at) {
          stream.last = { ...reading.register!, at: reading.at };
        }
        const today = stream.today;
        if (today === undefined || day >= today.day) {
          const base = today !== undefined && today.day === day ? today : undefined;
          const folded = foldReading(base, { at: reading.at, value: register.value }, day);
          stream.today = {
            ...folded,
            unit: register.unit,
            ...ratedOf(base, folded, reading.at, register.rated),
          };
          touchedToday = true;
        } else {
          lateReadings.push({
            day,
            at: reading.at,
            value: register.value,
            ...(register.rated === undefined ? {} : { rated: register.rated }),
          });
        }
      }
    }
    return { stream, result, changed, touchedToday, lateReadings };
  }

  return {
    /** The contract gate's onBatch: the batch has already been checked against the contract. */
    async handle(batch: TelegramBatch, delivery: TelegramBatchDelivery): Promise<BatchResult> {
      const outcomes = zeroOutcomes();
      stats.batches += 1;
      stats.frames += batch.frames.length;
      const owner = await cached(owners, delivery.thingName, () =>
        deps.gatewayOwner(delivery.thingName),
      );
      if (owner === null) {
        stats.orphanBatches += 1;
        deps.log.warn(
          { thingName: delivery.thingName, frames: batch.frames.length },
          'batch from a gateway the registry does not know: kept as orphan, not decoded',
        );
        await deps.store.recordOrphanBatch(
          delivery.thingName,
          delivery.receivedAt,
          batch.frames.length,
        );
        return {
          thingName: delivery.thingName,
          gatewaySeq: batch.gatewaySeq,
          outcomes,
          lostBatches: 0,
        };
      }

      const rejected: RejectedFrame[] = [];
      const byMeter = new Map<string, { meter: Meter; frames: MeterFrame[] }>();
      const unregistered = new Map<
        string,
        { identity: MeterIdentity; frame: TelegramFrame; n: number }
      >();
      const heard: Array<{
        frame: TelegramFrame;
        peeked: ReturnType<typeof peekFrame>;
        identity: MeterIdentity;
        idKey: string;
      }> = [];
      for (const frame of batch.frames) {
        let peeked: ReturnType<typeof peekFrame>;
        try {
          peeked = peekFrame(frame.frame, {
            crc: frame.crc,
            ...(frame.frameFormat === undefined ? {} : { frameFormat: frame.frameFormat }),
          });
        } catch (error) {
          if (!isWmbusError(error)) throw error;
          rejected.push(rejection(owner, delivery, batch, frame, 'malformed', error.code));
          outcomes.malformed += 1;
          continue;
        }
        const identity: MeterIdentity = {
          manufacturer: peeked.meter.manufacturer,
          meterId: peeked.meter.id,
          deviceVersion: peeked.meter.version,
          deviceType: peeked.meter.deviceType,
        };
        heard.push({ frame, peeked, identity, idKey: identityKey(owner.partnerId, identity) });
      }
      // The meters the cache does not know, in one batched lookup rather than one per frame.
      // What the cache says is taken now: an entry may expire while the lookup is awaited.
      const resolved = new Map<string, Meter | null>();
      const unknown = new Map<string, MeterIdentity>();
      for (const { identity, idKey } of heard) {
        if (!isMeterIdentity(identity) || resolved.has(idKey) || unknown.has(idKey)) continue;
        const hit = meters.get(idKey);
        if (hit === undefined) unknown.set(idKey, identity);
        else resolved.set(idKey, hit);
      }
      if (unknown.size > 0) {
        const found = await deps.findMeters(owner.partnerId, [...unknown.values()]);
        [...unknown.keys()].forEach((idKey, i) => {
          meters.set(idKey, found[i] ?? null);
          resolved.set(idKey, found[i] ?? null);
        });
      }
      for (const { frame, peeked, identity, idKey } of heard) {
        const meter = resolved.get(idKey) ?? null;
        // A meter of another operator heard by this one's gateway is, for this organisation, unknown.
        if (meter === null || meter.organisationId !== owner.organisationId) {
          const seen = unregistered.get(idKey);
          if (seen === undefined || seen.frame.receivedAt < frame.receivedAt) {
            unregistered.set(idKey, { identity, frame, n: (seen?.n ?? 0) + 1 });
          } else {
            seen.n += 1;
          }
          outcomes.unregistered += 1;
          continue;
        }
        const group = byMeter.get(meter.id) ?? { meter, frames: [] };
        group.frames.push({
          frame,
          digest: frameDigest(peeked.canonical),
          accessNumber: peeked.accessNumber,
          ...(peeked.messageCounter === undefined ? {} : { messageCounter: peeked.messageCounter }),
        });
        byMeter.set(meter.id, group);
      }
      // Likewise the keys of the batch's meters.
      // (A key that expires before its meter's turn is read again, alone, by workMeter.)
      const keyless = [...byMeter.values()]
        .map(({ meter }) => meter)
        .filter((meter) => keys.get(keyCacheKey(meter)) === undefined);
      if (keyless.length > 0) {
        const opened = await deps.meterKeys(keyless);
        for (const meter of keyless) keys.set(keyCacheKey(meter), opened.get(meter.id) ?? null);
      }

      // One read for the streams of every meter in the batch.
      const preloaded = await deps.store.loadStreams(owner.partnerId, [...byMeter.keys()]);
      const works: MeterWork[] = [];
      await eachLimited([...byMeter.values()], deps.concurrency ?? 8, async ({ meter, frames }) => {
        works.push(
          await inTurn(`${meter.partnerId}|${meter.id}`, () =>
            workMeter(owner, delivery, batch, meter, frames, preloaded.get(meter.id)),
          ),
        );
      });

      await deps.store.write({
        readings: works.flatMap((w) => w.readings),
        receptions: works.flatMap((w) => w.receptions),
        days: works.flatMap((w) => w.days),
        rejected: [...rejected, ...works.flatMap((w) => w.rejected)],
        alarms: works.flatMap((w) => w.alarms),
      });
      for (const { identity, frame, n } of unregistered.values()) {
        await deps.store.noteUnregistered({
          partnerId: owner.partnerId,
          organisationId: owner.organisationId,
          identity,
          thingName: delivery.thingName,
          receivedAt: frame.receivedAt,
          rssi: frame.rssi,
          frames: n,
        });
      }
      for (const w of works) {
        for (const [name, n] of Object.entries(w.outcomes))
          outcomes[name as FrameOutcome] += n ?? 0;
      }
      const health = await deps.store.recordBatch({
        thingName: delivery.thingName,
        partnerId: owner.partnerId,
        organisationId: owner.organisationId,
        gatewaySeq: batch.gatewaySeq,
        receivedAt: delivery.receivedAt,
        frames: batch.frames.length,
        outcomes,
      });
      for (const o of FRAME_OUTCOMES) stats.outcomes[o] += outcomes[o];
      const fresh = works.flatMap((w) => w.fresh);
      if (fresh.length > 0 && deps.onReadings) {
        try {
          deps.onReadings(fresh);
        } catch (error) {
          deps.log.warn({ error: String(error) }, 'live notification failed');
        }
      }
      const alarms = works.flatMap((w) => w.freshAlarms);
      for (const event of alarms) stats.alarms[event.type] += 1;
      if (alarms.length > 0 && deps.onAlarms) {
        try {
          deps.onAlarms(alarms);
        } catch (error) {
          deps.log.warn({ error: String(error) }, 'alarm notification failed');
        }
      }
      deps.log.debug(
        { thingName: delivery.thingName, gatewaySeq: batch.gatewaySeq, ...outcomes },
        'batch ingested',
      );
      return {
        thingName: delivery.thingName,
        gatewaySeq: batch.gatewaySeq,
        outcomes,
        lostBatches: health.lostBatches,
      };
    },
    stats(): IngestStats {
      return { ...stats, outcomes: { ...stats.outcomes }, alarms: { ...stats.alarms } };
    },
    /** Forgets cached lookups (a meter registered or a key imported takes effect at once). */
    forget(): void {
      owners.clear();
      meters.clear();
      zones.clear();
      keys.clear();
      savedStreams.clear();
    },
  };
}

export type IngestPipeline = ReturnType<typeof createIngestPipeline>;

function identityOf(meter: Meter): MeterIdentity {
  return {
    manufacturer: meter.manufacturer,
    meterId: meter.meterId,
    deviceVersion: meter.deviceVersion,
    deviceType: meter.deviceType,
  };
}

/**
 * The alarms after one fresh frame (src/domain/alarms), on the stream's
 * alarm state, which is saved with the stream. The changes are kept on the
 * stream as long as the replay guard remembers the frame: the stream is
 * saved before the batch's writes, so after a crash in between it is the
 * frame's copy in the resend, judged a duplicate, that writes them.
 */
function evaluateFrameAlarms(stream: MeterStream, meter: Meter, reading: Reading): AlarmEvent[] {
  const last = stream.last;
  const { state, raised, cleared } = evaluateAlarms(stream.alarms ?? emptyAlarmState(), {
    kind: meter.kind,
    at: reading.at,
    status: reading.status,
    values: reading.values,
    register: reading.register === null ? null : { value: reading.register.value },
    previous:
      last !== undefined && last.at < reading.at ? { at: last.at, value: last.value } : null,
  });
  stream.alarms = state;
  const remembered = new Set(stream.guard.recent.map((r) => r.digest));
  const frames = (stream.alarmFrames ?? []).filter((f) => remembered.has(f.digest));
  const changes = [...raised, ...cleared];
  if (changes.length > 0) frames.push({ digest: reading.digest, changes });
  if (frames.length > 0) stream.alarmFrames = frames;
  else delete stream.alarmFrames;
  return changes.map((change) => alarmEvent(meter, reading.digest, change));
}

function alarmEvent(meter: Meter, digest: string, change: AlarmChange): AlarmEvent {
  return { ...change, ...meterPlace(meter), digest };
}

/** Where the meter sits now: what its readings and alarms carry. */
export function meterPlace(meter: Meter): MeterPlace {
  return {
    partnerId: meter.partnerId,
    organisationId: meter.organisationId,
    propertyId: meter.propertyId,
    ...(meter.unitId === undefined ? {} : { unitId: meter.unitId }),
    meterId: meter.id,
    kind: meter.kind,
  };
}

function setRadio(stream: MeterStream, thingName: string, frame: TelegramFrame): void {
  stream.radio[thingName] = { at: frame.receivedAt, rssi: frame.rssi };
  const links = Object.entries(stream.radio);
  if (links.length > MAX_RADIO_LINKS) {
    links.sort((a, b) => (a[1].at < b[1].at ? 1 : -1));
    stream.radio = Object.fromEntries(links.slice(0, MAX_RADIO_LINKS));
  }
}

function unitOfKind(meter: Meter): StoredMeterDay['unit'] {
  if (meter.kind === 'heat-cost-allocator') return 'units';
  return meter.kind === 'heat-meter' ? 'kWh' : 'm3';
}

/** The rated HCA units at the day's first and last reading, when the meter has factors. */
function ratedOf(
  before:
    { firstAt: string; lastAt: string; firstRated?: number; lastRated?: number } | undefined | null,
  folded: { firstAt: string; lastAt: string },
  at: string,
  rated: number | undefined,
): { firstRated?: number; lastRated?: number } {
  if (rated === undefined) return {};
  const firstRated = folded.firstAt === at ? rated : before?.firstRated;
  const lastRated = folded.lastAt === at ? rated : before?.lastRated;
  return {
    ...(firstRated === undefined ? {} : { firstRated }),
    ...(lastRated === undefined ? {} : { lastRated }),
  };
}
