import type { MeterKind } from '../tenancy/meter.js';
import {
  ALARM_CODES,
  ALARMS,
  type ActiveAlarm,
  type AlarmChange,
  type AlarmCode,
  type AlarmDetail,
  type AlarmSource,
  type AlarmState,
  type FlowMemory,
  type RegisterSample,
} from './alarm.js';

/** The status byte of a telegram, as the codec reads it (EN 13757-7). */
export interface AlarmStatusFlags {
  application: 'ok' | 'busy' | 'error' | 'abnormal';
  powerLow: boolean;
  permanentError: boolean;
  temporaryError: boolean;
}

/** One decoded frame of a meter, and the register before it. */
export interface AlarmInput {
  kind: MeterKind;
  /** The reading's time (when the transmission was first heard). */
  at: string;
  /** Null when the telegram has no status byte (no transport header, proprietary layouts). */
  status: AlarmStatusFlags | null;
  /** The values the codec's driver named. */
  values: Readonly<Record<string, { value: unknown }>>;
  /** The billing register of this frame (m³ for water meters), or null when it has none. */
  register: { value: number } | null;
  /** The meter's register before this frame (the stream's newest), or null. */
  previous: RegisterSample | null;
}

export interface AlarmEvaluation {
  state: AlarmState;
  raised: AlarmChange[];
  cleared: AlarmChange[];
}

/** Burst: litres per hour, sustained over at least BURST_MIN_SPAN_MS (HEIZKOSTENV.md §5). */
export const BURST_LITRES_PER_HOUR = 300;
const BURST_MIN_SPAN_MS = 60 * 60_000;
/** Readings further apart than this prove nothing about the hours between (data gap). */
export const MAX_GAP_MS = 2 * 60 * 60_000;
/** A continuous hour without flow ends a suspected leak; 24 hours without one raise it. */
const QUIET_HOUR_MS = 60 * 60_000;
export const LEAK_SUSPECTED_AFTER_MS = 24 * 60 * 60_000;
/** Samples of the burst window are kept about this far apart, … */
const WINDOW_SPACING_MS = 5 * 60_000;
/** … and never more than this many (two hours at the spacing, and some). */
export const MAX_WINDOW = 32;

const WATER_KINDS: ReadonlySet<MeterKind> = new Set(['water-meter', 'warm-water-meter']);

/**
 * Kamstrup MULTICAL heat meter info bits (wmbus driver `kamstrup-multical-heat`)
 * that mean a sensor or the flow part has failed, so the energy may be wrong.
 */
const SENSOR_FAULTS = [
  'infoNoVoltageSupply',
  'infoT1AboveRange',
  'infoT2AboveRange',
  'infoT1BelowRange',
  'infoT2BelowRange',
  'infoInvalidTemperatureDifference',
  'infoV1Air',
  'infoV1CommunicationError',
] as const;

/** Whether the condition holds now: true, false, or null when this frame cannot tell. */
type Holds = boolean | null;

interface Condition {
  holds: Holds;
  source: AlarmSource;
  detail?: AlarmDetail;
}

function ms(iso: string): number {
  return Date.parse(iso);
}

/** True if any signal is true, false if none is but some are false, null if none says. */
function anyOf(signals: ReadonlyArray<readonly [name: string, holds: Holds]>): Condition {
  const on = signals.filter(([, holds]) => holds === true).map(([name]) => name);
  if (on.length > 0) return { holds: true, source: 'meter', detail: { signals: on.join(',') } };
  return { holds: signals.some(([, holds]) => holds === false) ? false : null, source: 'meter' };
}

function flag(values: AlarmInput['values'], name: string): readonly [string, Holds] {
  const value = values[name]?.value;
  return [name, typeof value === 'boolean' ? value : null];
}

function statusBit(
  status: AlarmStatusFlags | null,
  name: string,
  read: (s: AlarmStatusFlags) => boolean,
): readonly [string, Holds] {
  return [`status.${name}`, status === null ? null : read(status)];
}

/** What the meter itself says, code by code. */
function meterConditions(input: AlarmInput): Partial<Record<AlarmCode, Condition>> {
  const { status, values } = input;
  const errorFlags = values.errorFlags?.value;
  const flags: Condition =
    typeof errorFlags === 'number'
      ? errorFlags === 0
        ? { holds: false, source: 'meter' }
        : { holds: true, source: 'meter', detail: { errorFlags } }
      : { holds: null, source: 'meter' };
  return {
    'battery-low': anyOf([
      statusBit(status, 'powerLow', (s) => s.powerLow),
      flag(values, 'batteryLow'),
      flag(values, 'infoLowBattery'),
    ]),
    'meter-error': anyOf([
      statusBit(status, 'permanentError', (s) => s.permanentError),
      statusBit(status, 'application=error', (s) => s.application === 'error'),
      ...SENSOR_FAULTS.map((name) => flag(values, name)),
    ]),
    'meter-temporary-error': anyOf([statusBit(status, 'temporaryError', (s) => s.temporaryError)]),
    'meter-abnormal': anyOf([
      statusBit(status, 'application=abnormal', (s) => s.application === 'abnormal'),
    ]),
    'meter-error-flags': flags,
    // Kamstrup MULTICAL 21 / flowIQ info codes, Ecomess Picoflux status bits, MULTICAL pulse inputs.
    leak: anyOf([
      flag(values, 'alarmLeak'),
      flag(values, 'infoPulseInputALeak'),
      flag(values, 'infoPulseInputBLeak'),
    ]),
    burst: anyOf([flag(values, 'alarmBurst')]),
    backflow: anyOf([flag(values, 'alarmBackflow'), flag(values, 'infoV1WrongFlowDirection')]),
    dry: anyOf([flag(values, 'alarmDry')]),
  };
}

/**
 * A register that only grows went down. An active episode ends once the
 * register is back at the value before the drop (a glitch undone); a meter
 * really reset stays in alarm until someone replaces it in the platform.
 * Heat cost allocators count the current period and fall back at their set
 * day: never an alarm.
 */
function registerDecreased(state: AlarmState, input: AlarmInput): Condition {
  const none: Condition = { holds: null, source: 'platform' };
  if (input.kind === 'heat-cost-allocator' || input.register === null) return none;
  const value = input.register.value;
  const active = state.active['register-decreased'];
  if (active !== undefined) {
    const before = active.detail?.before;
    return typeof before === 'number' ? { holds: value < before, source: 'platform' } : none;
  }
  const previous = input.previous;
  if (previous === null || ms(previous.at) >= ms(input.at)) return none;
  return value < previous.value
    ? { holds: true, source: 'platform', detail: { before: previous.value, after: value } }
    : { holds: false, source: 'platform' };
}

/** The window after this reading: spaced samples of the last two hours, at most MAX_WINDOW. */
function nextWindow(window: readonly RegisterSample[], sample: RegisterSample): RegisterSample[] {
  const out = [...window];
  const beforeLast = out.at(-2);
  // Readings closer than the spacing to the sample before the newest replace the newest.
  if (beforeLast !== undefined && ms(sample.at) - ms(beforeLast.at) < WINDOW_SPACING_MS) {
    out[out.length - 1] = sample;
  } else {
    out.push(sample);
  }
  const kept = out.filter((s) => ms(sample.at) - ms(s.at) <= MAX_GAP_MS);
  return kept.slice(-MAX_WINDOW);
}

/**
 * Burst from the readings: at least BURST_LITRES_PER_HOUR over a span of
 * one to two hours, the span from the newest remembered sample at least an
 * hour old. Without one (a gap) the frame cannot tell. A register that went
 * down restarts the window.
 */
function burstRule(
  window: readonly RegisterSample[],
  at: string,
  value: number,
): { condition: Condition; window: RegisterSample[] } {
  const usable = window.length > 0 && value >= window.at(-1)!.value ? window : [];
  const now = ms(at);
  const base = [...usable].reverse().find((s) => now - ms(s.at) >= BURST_MIN_SPAN_MS);
  let condition: Condition = { holds: null, source: 'platform' };
  if (base !== undefined && now - ms(base.at) <= MAX_GAP_MS) {
    const hours = (now - ms(base.at)) / 3_600_000;
    // In whole millilitres, finer than any register: 100.3 − 100 is 300 l, not 299.99999999999716.
    const litres = Math.round((value - base.value) * 1e6) / 1e3;
    const litresPerHour = litres / hours;
    condition =
      litresPerHour >= BURST_LITRES_PER_HOUR
        ? {
            holds: true,
            source: 'platform',
            detail: {
              litresPerHour: Math.round(litresPerHour),
              minutes: Math.round(hours * 60),
            },
          }
        : { holds: false, source: 'platform' };
  }
  return { condition, window: nextWindow(usable, { at, value }) };
}

/**
 * The no-zero-hour rule (HEIZKOSTENV.md §5, rule 1): a leak is suspected when
 * water has not stopped for a whole hour in 24 hours. A quiet hour is proven
 * by readings an hour or more apart that show the same register, and only
 * that ends a suspected leak; a data gap (readings more than two hours apart
 * with the register moved) proves nothing and restarts the 24 hours.
 */
function flowRule(
  memory: FlowMemory | undefined,
  at: string,
  value: number,
): { condition: Condition; flow: FlowMemory } {
  const unknown: Condition = { holds: null, source: 'platform' };
  if (memory === undefined || value < memory.lastValue) {
    return { condition: unknown, flow: { lastAt: at, lastValue: value, sameSince: at } };
  }
  const now = ms(at);
  const flow: FlowMemory = { ...memory, lastAt: at, lastValue: value };
  if (value === memory.lastValue) {
    if (now - ms(memory.sameSince) >= QUIET_HOUR_MS) {
      delete flow.flowSince;
      return { condition: { holds: false, source: 'platform' }, flow };
    }
    return { condition: leakSuspected(flow, now), flow };
  }
  flow.sameSince = at;
  if (now - ms(memory.lastAt) > MAX_GAP_MS) flow.flowSince = at;
  else flow.flowSince ??= memory.lastAt;
  return { condition: leakSuspected(flow, now), flow };
}

function leakSuspected(flow: FlowMemory, now: number): Condition {
  return flow.flowSince !== undefined && now - ms(flow.flowSince) >= LEAK_SUSPECTED_AFTER_MS
    ? { holds: true, source: 'platform', detail: { flowingSince: flow.flowSince } }
    : { holds: null, source: 'platform' };
}

/** The meter's flag and the platform's rule together: either raises, and both must be quiet to clear. */
function either(meter: Condition | undefined, platform: Condition): Condition {
  if (meter?.holds === true) return meter;
  if (platform.holds === true) return platform;
  if (meter?.holds === false || platform.holds === false) {
    return { holds: false, source: meter?.holds === false ? 'meter' : 'platform' };
  }
  return { holds: null, source: 'platform' };
}

/**
 * The alarms of a meter after one more decoded frame. Pure: the caller keeps
 * the state (the pipeline, on the meter's stream, saved conditionally with
 * it) and stores the changes.
 *
 * - An alarm is raised when its condition begins to hold, and cleared when a
 *   later frame shows it no longer does; a frame that cannot tell (no status
 *   byte, no register, a gap in the readings) changes nothing. So a frame
 *   evaluated twice raises nothing the second time.
 * - Frames older than the newest one evaluated are not evaluated: a late
 *   delivery from a gateway's buffer must not turn the alarms back.
 * - Meter flags: the status byte (power low, permanent and temporary error,
 *   application error, abnormal condition) and the values drivers name
 *   (Kamstrup info codes: leak, burst, dry, backflow, low battery, sensor
 *   faults; Ecomess Picoflux leak bits; a driver's `batteryLow`; the standard
 *   `errorFlags` record).
 * - Platform rules: `register-decreased` (every kind but heat cost
 *   allocators), and for water meters `burst` (≥ 300 l/h over an hour) and
 *   `leak-suspected` (no quiet hour in 24 hours).
 */
export function evaluateAlarms(state: AlarmState, input: AlarmInput): AlarmEvaluation {
  if (state.at !== undefined && ms(input.at) < ms(state.at)) {
    return { state, raised: [], cleared: [] };
  }
  const next: AlarmState = { ...state, at: input.at, active: { ...state.active } };
  const conditions = meterConditions(input);
  conditions['register-decreased'] = registerDecreased(state, input);
  if (WATER_KINDS.has(input.kind) && input.register !== null) {
    const { value } = input.register;
    const burst = burstRule(state.window ?? [], input.at, value);
    next.window = burst.window;
    conditions.burst = either(conditions.burst, burst.condition);
    const flow = flowRule(state.flow, input.at, value);
    next.flow = flow.flow;
    conditions['leak-suspected'] = flow.condition;
  }

  const raised: AlarmChange[] = [];
  const cleared: AlarmChange[] = [];
  for (const code of ALARM_CODES) {
    const condition = conditions[code];
    const active = next.active[code];
    if (condition === undefined || condition.holds === null) continue;
    const { severity } = ALARMS[code];
    if (condition.holds && active === undefined) {
      const episode: ActiveAlarm = {
        since: input.at,
        source: condition.source,
        ...(condition.detail === undefined ? {} : { detail: condition.detail }),
      };
      next.active[code] = episode;
      raised.push({ type: 'raised', code, severity, ...episode, at: input.at });
    } else if (!condition.holds && active !== undefined) {
      delete next.active[code];
      cleared.push({ type: 'cleared', code, severity, ...active, at: input.at });
    }
  }
  return { state: next, raised, cleared };
}
