/**
 * Alarms: trouble a meter reports or the platform sees in its readings,
 * raised once when it begins (an episode) and cleared when it ends. The codes
 * are stable: clients branch on them, and they name the messages of the
 * portal. Only what the decoded data supports has a code (see
 * evaluate-alarms.ts for where each comes from).
 */

export const ALARM_CODES = [
  /** Battery low: the status byte's power-low bit, or a driver's battery flag. */
  'battery-low',
  /** A permanent error of the meter or one of its sensors: its values may be wrong. */
  'meter-error',
  /** The status byte's temporary error (EN 13757-7): the meter expects it to pass. */
  'meter-temporary-error',
  /** The status byte's "abnormal condition" (some water meters: permanent flow). */
  'meter-abnormal',
  /** The standard error-flags record is not zero; its bits are the manufacturer's. */
  'meter-error-flags',
  /** The meter itself detects a leak. */
  'leak',
  /** A burst: the meter's flag, or at least 300 l/h sustained for an hour. */
  'burst',
  /** Water flowing backwards through the meter. */
  'backflow',
  /** The meter's pipe is empty. */
  'dry',
  /** A register that only grows went down (not a heat cost allocator's set day). */
  'register-decreased',
  /** Water never stopped for an hour in 24 hours (the no-zero-hour rule). */
  'leak-suspected',
] as const;
export type AlarmCode = (typeof ALARM_CODES)[number];

export type AlarmSeverity = 'warning' | 'critical';
export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['warning', 'critical'];

/** `meter`: a flag the meter sent; `platform`: a rule over the meter's readings. */
export type AlarmSource = 'meter' | 'platform';
export const ALARM_SOURCES: readonly AlarmSource[] = ['meter', 'platform'];

export interface AlarmDefinition {
  severity: AlarmSeverity;
  /** Where an episode of it can come from; an episode records the one that raised it. */
  sources: readonly AlarmSource[];
}

export const ALARMS: Readonly<Record<AlarmCode, AlarmDefinition>> = {
  'battery-low': { severity: 'warning', sources: ['meter'] },
  'meter-error': { severity: 'critical', sources: ['meter'] },
  'meter-temporary-error': { severity: 'warning', sources: ['meter'] },
  'meter-abnormal': { severity: 'warning', sources: ['meter'] },
  'meter-error-flags': { severity: 'warning', sources: ['meter'] },
  leak: { severity: 'critical', sources: ['meter'] },
  burst: { severity: 'critical', sources: ['meter', 'platform'] },
  backflow: { severity: 'warning', sources: ['meter'] },
  dry: { severity: 'warning', sources: ['meter'] },
  'register-decreased': { severity: 'critical', sources: ['platform'] },
  'leak-suspected': { severity: 'warning', sources: ['platform'] },
};

/** What was seen when an alarm was raised: the signals, a flow rate, a register. */
export type AlarmDetail = Record<string, number | string | boolean>;

/** An episode under way. */
export interface ActiveAlarm {
  /** The reading time of the frame that raised it. */
  since: string;
  source: AlarmSource;
  detail?: AlarmDetail;
}

/** One register reading the platform rules remember. */
export interface RegisterSample {
  at: string;
  value: number;
}

/** What the no-zero-hour rule remembers of a water meter: four values, whatever the history. */
export interface FlowMemory {
  /** The newest reading's time and register. */
  lastAt: string;
  lastValue: number;
  /** The first reading that showed `lastValue`: no water flowed from then to `lastAt`. */
  sameSince: string;
  /** Where the stretch of flow without a proven quiet hour began; absent when none is running. */
  flowSince?: string;
}

/**
 * Everything alarm evaluation keeps per meter, between frames: bounded (at
 * most one entry per code, four values of flow, a two-hour window of at most
 * MAX_WINDOW samples).
 */
export interface AlarmState {
  /** The reading time of the newest frame evaluated: older ones are not. */
  at?: string;
  active: Partial<Record<AlarmCode, ActiveAlarm>>;
  flow?: FlowMemory;
  /** Water meters: the register over the last two hours, samples about 5 minutes apart. */
  window?: RegisterSample[];
}

/** An alarm raised or cleared by one frame. */
export interface AlarmChange {
  type: 'raised' | 'cleared';
  code: AlarmCode;
  severity: AlarmSeverity;
  source: AlarmSource;
  /** When the episode began: with the meter and the code, its identity. */
  since: string;
  /** The reading time of the frame that raised (= since) or cleared it. */
  at: string;
  detail?: AlarmDetail;
}

export function emptyAlarmState(): AlarmState {
  return { active: {} };
}

export function isAlarmCode(value: string): value is AlarmCode {
  return (ALARM_CODES as readonly string[]).includes(value);
}

/** An ISO-8601 instant as the platform writes it (UTC, milliseconds). */
const SINCE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * An episode's id among its meter's alarms: `<code>.<since>`, e.g.
 * `leak.2025-03-01T10:15:00.000Z`. Deterministic, so that every writer of
 * the same episode (a resent batch, another worker) names the same alarm.
 */
export function alarmId(code: AlarmCode, since: string): string {
  return `${code}.${since}`;
}

/** The code and start of an alarm id, or null for anything alarmId does not make. */
export function parseAlarmId(id: string): { code: AlarmCode; since: string } | null {
  const dot = id.indexOf('.');
  if (dot < 0) return null;
  const code = id.slice(0, dot);
  const since = id.slice(dot + 1);
  if (!isAlarmCode(code) || !SINCE.test(since)) return null;
  if (new Date(since).toISOString() !== since) return null;
  return { code, since };
}
