import type { DecoderState, NamedValue, StatusFlags } from '@zaehlwerk/wmbus';
import type {
  AlarmChange,
  AlarmCode,
  AlarmDetail,
  AlarmSeverity,
  AlarmSource,
  AlarmState,
} from '../domain/alarms/alarm.js';
import type { Actor } from '../domain/audit.js';
import type { MeterDay } from '../domain/consumption/meter-day.js';
import type { Page } from '../domain/tenancy/ports.js';
import type { MeterIdentity, MeterKind } from '../domain/tenancy/meter.js';
import type { RegisterUnit } from './consumption-register.js';
import type { MeterStreamState } from './replay-guard.js';

/**
 * What the ingest keeps in DynamoDB (key design: src/store/README.md,
 * "Ingest"). The pipeline (./pipeline.ts) decides; this port only stores.
 */

/** The last value of a meter's billing register, and where it came from. */
export interface RegisterValue {
  value: number;
  unit: RegisterUnit;
  /** Heat cost allocators with rating factors: units × Kq × Kc (× Kt). */
  rated?: number;
}

/** A gateway's reception of one meter, kept on the stream for radio coverage at a glance. */
export interface RadioLink {
  at: string;
  rssi: number;
}

/**
 * Everything the ingest remembers about one meter between frames, written
 * with a conditional put on `version` so that concurrent workers serialise
 * per meter; the loser reads again and decides again.
 */
export interface MeterStream {
  partnerId: string;
  meterId: string;
  /** 0 while nothing is stored. */
  version: number;
  guard: MeterStreamState;
  /** The codec's per-meter state (Kamstrup compact frames need the full frame's format). */
  decoder: DecoderState;
  /** The newest reading's register. */
  last?: RegisterValue & { at: string };
  /** The day aggregate of the newest reading's day, in the property's time zone. */
  today?: MeterDay & { unit: RegisterUnit };
  /** The latest reception per gateway (bounded). */
  radio: Record<string, RadioLink>;
  /** Alarm evaluation's state (src/domain/alarms): the active alarms and what the rules remember. */
  alarms?: AlarmState;
  /**
   * The alarm changes of the frames that made some, while the replay guard
   * still remembers the frame: a copy of it (a resend after a crash) takes the
   * duplicate path and writes them again. Bounded by the guard's memory.
   */
  alarmFrames?: FrameAlarms[];
}

/** What one frame raised and cleared. */
export interface FrameAlarms {
  digest: string;
  changes: AlarmChange[];
}

/** Where a meter sits when a reading or an alarm of it is made: whose, and in which building and unit. */
export interface MeterPlace {
  partnerId: string;
  organisationId: string;
  propertyId: string;
  unitId?: string;
  meterId: string;
  kind: MeterKind;
}

/** One decoded, verified telegram of a meter: stored once however often it is heard. */
export interface Reading extends MeterPlace {
  /** When the transmission was first heard (the same for every gateway and every resend). */
  at: string;
  /** frameDigest of the CRC-free frame: the identity of the transmission. */
  digest: string;
  register: RegisterValue | null;
  /** The meter's own clock, when the telegram carries one. */
  meterTime?: string;
  values: Record<string, NamedValue>;
  status: StatusFlags | null;
  accessNumber: number | null;
  messageCounter?: number;
  securityMode: number;
  driver: string | null;
}

/** One gateway hearing one transmission. */
export interface Reception {
  partnerId: string;
  meterId: string;
  digest: string;
  /** The reading's time, `Reading.at`. */
  readingAt: string;
  thingName: string;
  receivedAt: string;
  rssi: number;
  mode: string;
  replayed: boolean;
  gatewaySeq: number;
}

/** A meter's day as stored: the aggregate plus where it sits. */
export interface StoredMeterDay extends MeterDay {
  partnerId: string;
  propertyId: string;
  unitId?: string;
  meterId: string;
  kind: MeterKind;
  unit: RegisterUnit;
  /** Rated HCA units at the first and last reading, when the meter has rating factors. */
  firstRated?: number;
  lastRated?: number;
  /** Counter for conditional writes of past days (late frames). */
  version: number;
}

export const REJECT_REASONS = [
  /** The frame could not be parsed (bad hex, CRC, length, structure). */
  'malformed',
  /** The meter is registered but has no key, or the key does not open the frame. */
  'undecryptable',
  /** Heard before, at another time, or its counter does not move with time. */
  'replay',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A frame that did not become a reading, kept with why (expiring). */
export interface RejectedFrame {
  partnerId: string;
  organisationId: string;
  thingName: string;
  receivedAt: string;
  reason: RejectReason;
  /** The codec's error code or the replay guard's reason. */
  detail: string;
  /** The frame as the gateway sent it (still encrypted). */
  frame: string;
  digest?: string;
  meter?: MeterIdentity;
  meterId?: string;
  rssi: number;
  gatewaySeq: number;
}

/** A meter an organisation's gateways hear but the organisation has not registered. */
export interface UnregisteredMeter {
  partnerId: string;
  organisationId: string;
  identity: MeterIdentity;
  firstHeardAt: string;
  lastHeardAt: string;
  frames: number;
  lastThingName: string;
  lastRssi: number;
}

export interface UnregisteredHeard {
  partnerId: string;
  organisationId: string;
  identity: MeterIdentity;
  thingName: string;
  receivedAt: string;
  rssi: number;
  frames: number;
}

/** One batch as the gateway's health sees it. */
export interface BatchSeen {
  thingName: string;
  partnerId: string;
  organisationId: string;
  gatewaySeq: number;
  receivedAt: string;
  frames: number;
  outcomes: Partial<Record<FrameOutcome, number>>;
}

export const FRAME_OUTCOMES = [
  'stored',
  'duplicate',
  'unregistered',
  'malformed',
  'undecryptable',
  'replay',
] as const;
export type FrameOutcome = (typeof FRAME_OUTCOMES)[number];

/** What a gateway's stream tells about it. */
export interface GatewayHealth {
  thingName: string;
  partnerId: string;
  organisationId: string;
  firstSeenAt: string;
  lastSeenAt: string;
  /** The highest gatewaySeq received. */
  lastSeq: number;
  batches: number;
  /** Sequence numbers skipped: batches that never arrived (a resend of an old one fills none). */
  lostBatches: number;
  frames: number;
  outcomes: Partial<Record<FrameOutcome, number>>;
  /** Frames per hour (UTC, `YYYY-MM-DDTHH`), the last 48 hours with traffic. */
  framesPerHour: Record<string, number>;
  version: number;
}

export interface TimeRange {
  /** Inclusive, ISO-8601 instant. */
  from: string;
  /** Exclusive, ISO-8601 instant. */
  to: string;
}

export interface DayRange {
  /** Inclusive, `YYYY-MM-DD`. */
  from: string;
  /** Inclusive, `YYYY-MM-DD`. */
  to: string;
}

export interface ListOptions {
  limit?: number;
  cursor?: string;
}

/** An alarm raised or cleared by a frame, with where its meter sits: what the ingest writes and tells. */
export interface AlarmEvent extends AlarmChange, MeterPlace {
  /** The frame that raised or cleared it (`Reading.digest`). */
  digest: string;
}

/** One alarm episode as stored: raised, perhaps cleared, perhaps acknowledged. */
export interface StoredAlarm extends MeterPlace {
  code: AlarmCode;
  severity: AlarmSeverity;
  source: AlarmSource;
  since: string;
  /** Absent while the alarm is active. */
  clearedAt?: string;
  detail?: AlarmDetail;
  acknowledgedAt?: string;
  acknowledgedBy?: Actor;
}

export type AlarmListState = 'active' | 'all';

export interface IngestWrites {
  readings: Reading[];
  receptions: Reception[];
  days: StoredMeterDay[];
  rejected: RejectedFrame[];
  /** Applied in any order: raising and clearing the same episode converge on the cleared alarm. */
  alarms?: AlarmEvent[];
}

export interface IngestStore {
  /** The streams of these meters (strongly consistent); a meter without one is absent. */
  loadStreams(partnerId: string, meterIds: readonly string[]): Promise<Map<string, MeterStream>>;
  /**
   * Stores the stream as `version + 1`, if the stored one is still `version`
   * (absent when 0); CONFLICT otherwise. Returns the stored stream.
   */
  saveStream(stream: MeterStream): Promise<MeterStream>;
  /** Puts of deterministic items (same input, same item): safe to repeat. */
  write(writes: IngestWrites): Promise<void>;
  /** A past day of a meter, for a frame that arrives after its day has passed. */
  getDay(
    partnerId: string,
    propertyId: string,
    day: string,
    meterId: string,
  ): Promise<StoredMeterDay | null>;
  /** Stores a past day as `version + 1` if unchanged meanwhile; CONFLICT otherwise. */
  saveDay(day: StoredMeterDay): Promise<StoredMeterDay>;
  noteUnregistered(heard: UnregisteredHeard): Promise<void>;
  /** Updates the gateway's health with one batch; returns how many batches it found missing. */
  recordBatch(batch: BatchSeen): Promise<GatewayHealth>;
  recordOrphanBatch(thingName: string, receivedAt: string, frames: number): Promise<void>;

  listReadings(
    partnerId: string,
    meterId: string,
    range: TimeRange,
    options?: ListOptions & { order?: 'asc' | 'desc' },
  ): Promise<Page<Reading>>;
  listReceptions(
    partnerId: string,
    meterId: string,
    range: TimeRange,
    options?: ListOptions,
  ): Promise<Page<Reception>>;
  /**
   * What one gateway heard, by the time it heard it (`receivedAt` in the
   * range), newest first unless asked otherwise: receptions of the partner's
   * meters only, whichever operator's they are now.
   */
  listGatewayReceptions(
    partnerId: string,
    thingName: string,
    range: TimeRange,
    options?: ListOptions & { order?: 'asc' | 'desc' },
  ): Promise<Page<Reception>>;
  /** Every meter-day of the property in the range (all pages). */
  propertyDays(partnerId: string, propertyId: string, range: DayRange): Promise<StoredMeterDay[]>;
  /** Every meter-day of the unit in the range (all pages). */
  unitDays(partnerId: string, unitId: string, range: DayRange): Promise<StoredMeterDay[]>;
  listRejected(
    partnerId: string,
    organisationId: string,
    options?: ListOptions,
  ): Promise<Page<RejectedFrame>>;
  listUnregistered(
    partnerId: string,
    organisationId: string,
    options?: ListOptions,
  ): Promise<Page<UnregisteredMeter>>;
  getGatewayHealth(thingName: string): Promise<GatewayHealth | null>;
  getStream(partnerId: string, meterId: string): Promise<MeterStream | null>;

  /** A meter's alarms that began in the range, newest first. */
  listMeterAlarms(
    partnerId: string,
    meterId: string,
    range: TimeRange,
    options?: ListOptions,
  ): Promise<Page<StoredAlarm>>;
  /** An organisation's alarms that began in the range, active ones or all, newest first. */
  listOrganisationAlarms(
    partnerId: string,
    organisationId: string,
    query: ListOptions & { state: AlarmListState; range: TimeRange },
  ): Promise<Page<StoredAlarm>>;
  getAlarm(
    partnerId: string,
    meterId: string,
    code: AlarmCode,
    since: string,
  ): Promise<StoredAlarm | null>;
  /**
   * Marks an alarm seen, once: a second acknowledgement keeps the first's
   * time and actor (`changed: false`). NOT_FOUND when there is no such alarm.
   */
  acknowledgeAlarm(
    partnerId: string,
    meterId: string,
    code: AlarmCode,
    since: string,
    by: { at: string; actor: Actor },
  ): Promise<{ alarm: StoredAlarm; changed: boolean }>;
}
