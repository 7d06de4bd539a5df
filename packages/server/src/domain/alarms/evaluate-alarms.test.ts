import { readFileSync } from 'node:fs';
import { decode, emptyDecoderState, hexToBytes } from '@zaehlwerk/wmbus';
import { describe, expect, it } from 'vitest';
import type { MeterKind } from '../tenancy/meter.js';
import {
  alarmId,
  emptyAlarmState,
  parseAlarmId,
  type AlarmChange,
  type AlarmCode,
  type AlarmState,
} from './alarm.js';
import {
  evaluateAlarms,
  MAX_WINDOW,
  type AlarmInput,
  type AlarmStatusFlags,
} from './evaluate-alarms.js';

const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MINUTE).toISOString();

const OK: AlarmStatusFlags = {
  application: 'ok',
  powerLow: false,
  permanentError: false,
  temporaryError: false,
};

interface Frame {
  minute: number;
  kind?: MeterKind;
  status?: Partial<AlarmStatusFlags> | null;
  values?: Record<string, unknown>;
  register?: number | null;
}

/** Feeds frames in order, as the pipeline does, with the previous register from the frames before. */
function run(frames: Frame[], start: AlarmState = emptyAlarmState()) {
  let state = start;
  let previous: { at: string; value: number } | null = null;
  const changes: AlarmChange[] = [];
  for (const f of frames) {
    const input: AlarmInput = {
      kind: f.kind ?? 'water-meter',
      at: at(f.minute),
      status: f.status === null ? null : { ...OK, ...f.status },
      values: Object.fromEntries(Object.entries(f.values ?? {}).map(([k, v]) => [k, { value: v }])),
      register: f.register === null || f.register === undefined ? null : { value: f.register },
      previous,
    };
    const out = evaluateAlarms(state, input);
    state = out.state;
    changes.push(...out.raised, ...out.cleared);
    if (input.register !== null && (previous === null || input.at >= previous.at)) {
      previous = { at: input.at, value: input.register.value };
    }
  }
  return { state, changes };
}

const summary = (changes: AlarmChange[]) => changes.map((c) => `${c.type} ${c.code} @${c.at}`);
const active = (state: AlarmState) => Object.keys(state.active).sort();

/** Water readings every `every` minutes from `from` for `count` frames, growing `litres` a frame. */
function water(from: number, count: number, every: number, litres: number, start = 100): Frame[] {
  return Array.from({ length: count }, (_, i) => ({
    minute: from + i * every,
    register: Number((start + (i * litres) / 1000).toFixed(6)),
  }));
}

describe('evaluateAlarms: meter flags', () => {
  it('raises battery-low once for the episode and clears it when a frame no longer carries it', () => {
    const { state, changes } = run([
      { minute: 0, status: { powerLow: true } },
      { minute: 5, status: { powerLow: true } },
      { minute: 10, status: { powerLow: true } },
      { minute: 15, status: {} },
      { minute: 20, status: {} },
    ]);
    expect(summary(changes)).toEqual([
      `raised battery-low @${at(0)}`,
      `cleared battery-low @${at(15)}`,
    ]);
    expect(changes[0]).toEqual({
      type: 'raised',
      code: 'battery-low',
      severity: 'warning',
      source: 'meter',
      since: at(0),
      at: at(0),
      detail: { signals: 'status.powerLow' },
    });
    // The clearing names the episode it ends.
    expect(changes[1]).toMatchObject({ since: at(0), at: at(15), source: 'meter' });
    expect(state.active).toEqual({});
  });

  it('raises a new episode when the flag comes back', () => {
    const { changes } = run([
      { minute: 0, status: { powerLow: true } },
      { minute: 5, status: {} },
      { minute: 10, status: { powerLow: true } },
    ]);
    expect(changes.filter((c) => c.type === 'raised').map((c) => c.since)).toEqual([at(0), at(10)]);
  });

  it('changes nothing on a frame that cannot tell (no status byte, no such value)', () => {
    const { state, changes } = run([
      { minute: 0, status: { powerLow: true }, values: { alarmLeak: true } },
      { minute: 5, status: null },
    ]);
    expect(active(state)).toEqual(['battery-low', 'leak']);
    expect(changes.filter((c) => c.type === 'cleared')).toEqual([]);
  });

  it('raises nothing again for the same frame evaluated twice (a duplicate)', () => {
    const input: AlarmInput = {
      kind: 'water-meter',
      at: at(0),
      status: { ...OK, permanentError: true },
      values: {},
      register: { value: 10 },
      previous: null,
    };
    const first = evaluateAlarms(emptyAlarmState(), input);
    expect(first.raised.map((c) => c.code)).toEqual(['meter-error']);
    const again = evaluateAlarms(first.state, input);
    expect(again.raised).toEqual([]);
    expect(again.cleared).toEqual([]);
    expect(again.state.active).toEqual(first.state.active);
  });

  it('does not evaluate a frame older than the newest one evaluated (late delivery)', () => {
    const { state } = run([{ minute: 10, status: { powerLow: true } }]);
    const late = evaluateAlarms(state, {
      kind: 'water-meter',
      at: at(5),
      status: OK,
      values: {},
      register: null,
      previous: null,
    });
    expect(late.state).toBe(state);
    expect(late.cleared).toEqual([]);
    expect(late.raised).toEqual([]);
  });

  it.each<[string, Frame, AlarmCode[]]>([
    ['permanent error', { minute: 0, status: { permanentError: true } }, ['meter-error']],
    ['application error', { minute: 0, status: { application: 'error' } }, ['meter-error']],
    ['temporary error', { minute: 0, status: { temporaryError: true } }, ['meter-temporary-error']],
    ['abnormal condition', { minute: 0, status: { application: 'abnormal' } }, ['meter-abnormal']],
    ['busy', { minute: 0, status: { application: 'busy' } }, []],
    ['error flags', { minute: 0, values: { errorFlags: 4369 } }, ['meter-error-flags']],
    ['no error flags', { minute: 0, values: { errorFlags: 0 } }, []],
    [
      'Kamstrup water info codes',
      {
        minute: 0,
        values: { alarmDry: true, alarmBackflow: true, alarmLeak: true, alarmBurst: true },
      },
      ['backflow', 'burst', 'dry', 'leak'],
    ],
    ['a driver’s battery flag', { minute: 0, values: { batteryLow: true } }, ['battery-low']],
    [
      'Kamstrup heat: low battery, pulse input leak',
      {
        minute: 0,
        kind: 'heat-meter',
        values: { infoLowBattery: true, infoPulseInputBLeak: true },
      },
      ['battery-low', 'leak'],
    ],
  ])('maps %s', (_, frame, codes) => {
    expect(active(run([frame]).state)).toEqual(codes);
  });

  it('gives each code its severity and keeps the signals that raised it', () => {
    const { changes } = run([
      { minute: 0, status: { permanentError: true, powerLow: true }, values: { alarmLeak: true } },
    ]);
    expect(changes.map((c) => [c.code, c.severity, c.detail])).toEqual([
      ['battery-low', 'warning', { signals: 'status.powerLow' }],
      ['meter-error', 'critical', { signals: 'status.permanentError' }],
      ['leak', 'critical', { signals: 'alarmLeak' }],
    ]);
  });
});

/** One case of the shared wM-Bus corpus (its README); only the fields read here. */
interface CorpusCase {
  id: string;
  key: string | null;
  telegram_hex: string;
}

const CORPUS = new URL('../../../../../../shared/corpus/wmbus/corpus.jsonl', import.meta.url);
const corpus = new Map(
  readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusCase)
    .map((c) => [c.id, c]),
);

/** A corpus telegram decoded as the ingest does, as alarm input. */
function corpusInput(id: string, kind: MeterKind, minute: number): AlarmInput {
  const c = corpus.get(id)!;
  const { telegram } = decode(hexToBytes(c.telegram_hex), {
    key: c.key === null ? null : hexToBytes(c.key),
    state: emptyDecoderState(),
  });
  return {
    kind,
    at: at(minute),
    status: telegram.status,
    values: telegram.values,
    register: null,
    previous: null,
  };
}

describe('evaluateAlarms on real telegrams (shared corpus)', () => {
  it('raises the Picoflux leak of picoflux-003 and clears it with picoflux-001 (same meter, status OK)', () => {
    const leak = evaluateAlarms(emptyAlarmState(), corpusInput('picoflux-003', 'water-meter', 0));
    // Status 0x63: the two leak-flow bits and "abnormal condition".
    expect(leak.raised.map((c) => [c.code, c.detail])).toEqual([
      ['meter-abnormal', { signals: 'status.application=abnormal' }],
      ['leak', { signals: 'alarmLeak' }],
    ]);
    const ok = evaluateAlarms(leak.state, corpusInput('picoflux-001', 'water-meter', 10));
    expect(ok.raised).toEqual([]);
    expect(ok.cleared.map((c) => [c.code, c.since])).toEqual([
      ['meter-abnormal', at(0)],
      ['leak', at(0)],
    ]);
  });

  it.each<[string, MeterKind, AlarmCode[]]>([
    ['kamheat-029', 'heat-meter', ['backflow']],
    ['kamheat-011', 'heat-meter', ['meter-error']],
    ['iwmtx5-001', 'water-meter', ['meter-error']],
    ['fiowater-001', 'water-meter', ['meter-temporary-error']],
    ['gwfwater-001', 'water-meter', ['battery-low']],
    ['uiws-001', 'water-meter', ['meter-error', 'meter-error-flags', 'meter-temporary-error']],
    ['picoflux-001', 'water-meter', []],
  ])('reads %s as %j', (id, kind, codes) => {
    const out = evaluateAlarms(emptyAlarmState(), corpusInput(id, kind, 0));
    expect(out.raised.map((c) => c.code).sort()).toEqual(codes);
  });
});

describe('evaluateAlarms: register-decreased', () => {
  it('raises when a water meter’s register goes down, and clears once it is back', () => {
    const { state, changes } = run([
      { minute: 0, register: 10 },
      { minute: 10, register: 9.5 },
      { minute: 20, register: 9.8 },
      { minute: 30, register: 10.2 },
    ]);
    expect(summary(changes)).toEqual([
      `raised register-decreased @${at(10)}`,
      `cleared register-decreased @${at(30)}`,
    ]);
    expect(changes[0]).toMatchObject({
      source: 'platform',
      severity: 'critical',
      detail: { before: 10, after: 9.5 },
    });
    expect(state.active).toEqual({});
  });

  it('raises it for a heat meter too', () => {
    const { changes } = run([
      { minute: 0, kind: 'heat-meter', register: 5000 },
      { minute: 10, kind: 'heat-meter', register: 12 },
    ]);
    expect(changes.map((c) => c.code)).toEqual(['register-decreased']);
  });

  it('never raises it for a heat cost allocator falling back at its set day', () => {
    const { state, changes } = run([
      { minute: 0, kind: 'heat-cost-allocator', register: 812 },
      { minute: 10, kind: 'heat-cost-allocator', register: 0 },
      { minute: 20, kind: 'heat-cost-allocator', register: 3 },
    ]);
    expect(changes).toEqual([]);
    expect(state.active).toEqual({});
  });
});

describe('evaluateAlarms: burst (≥ 300 l/h over an hour)', () => {
  it('raises once after an hour at 360 l/h, not before, and clears when the flow falls', () => {
    // 60 l every 10 minutes for two hours, then 10 l every 10 minutes: the hour up to minute 140
    // holds 260 l.
    const bursting = water(0, 13, 10, 60);
    const calm = water(130, 12, 10, 10, bursting.at(-1)!.register! + 0.01);
    const { changes } = run([...bursting, ...calm]);
    const bursts = changes.filter((c) => c.code === 'burst');
    expect(summary(bursts)).toEqual([`raised burst @${at(60)}`, `cleared burst @${at(140)}`]);
    expect(bursts[0]).toMatchObject({
      source: 'platform',
      severity: 'critical',
      detail: { litresPerHour: 360, minutes: 60 },
    });
  });

  it('takes 300 l/h as a burst and 290 l/h as none', () => {
    expect(run(water(0, 7, 10, 50)).changes.map((c) => c.code)).toEqual(['burst']);
    expect(run(water(0, 13, 10, 290 / 6)).changes).toEqual([]);
  });

  it('does not judge across a gap of more than two hours', () => {
    const { changes } = run([
      { minute: 0, register: 100 },
      { minute: 150, register: 101 },
    ]);
    expect(changes).toEqual([]);
  });

  it('keeps its window bounded however often the meter sends', () => {
    const { state } = run(water(0, 600, 1, 1));
    expect(state.window!.length).toBeLessThanOrEqual(MAX_WINDOW);
    // It still reaches an hour back, so the rule can judge.
    const span = Date.parse(state.window!.at(-1)!.at) - Date.parse(state.window![0]!.at);
    expect(span).toBeGreaterThanOrEqual(60 * MINUTE);
  });

  it('raises burst once, from the meter, when the meter’s flag and the rule agree', () => {
    const frames = water(0, 13, 10, 60).map((f) => ({ ...f, values: { alarmBurst: true } }));
    const { changes } = run(frames);
    expect(changes.map((c) => [c.code, c.source])).toEqual([['burst', 'meter']]);
  });
});

describe('evaluateAlarms: leak-suspected (no quiet hour in 24 hours)', () => {
  it('raises when water flowed in every hour for 24 hours, and clears after a quiet hour', () => {
    // 2 l every 15 minutes for 25 hours: never an hour without flow.
    const dripping = water(0, 101, 15, 2);
    const last = dripping.at(-1)!;
    // Then the register stands still for an hour.
    const quiet = [0, 15, 30, 45, 60].map((m) => ({
      minute: last.minute + 15 + m,
      register: last.register! + 0.002,
    }));
    const { changes } = run([...dripping, ...quiet]);
    const leaks = changes.filter((c) => c.code === 'leak-suspected');
    // Flow is known from the first reading: 24 hours later, at minute 1440.
    expect(summary(leaks)).toEqual([
      `raised leak-suspected @${at(1440)}`,
      `cleared leak-suspected @${at(last.minute + 75)}`,
    ]);
    expect(leaks[0]).toMatchObject({
      source: 'platform',
      severity: 'warning',
      detail: { flowingSince: at(0) },
    });
  });

  it('raises nothing when one hour of the 24 was quiet', () => {
    const morning = water(0, 49, 15, 2);
    const still = morning.at(-1)!;
    const quiet = [15, 30, 45, 60].map((m) => ({
      minute: still.minute + m,
      register: still.register!,
    }));
    const evening = water(still.minute + 75, 60, 15, 2, still.register! + 0.002);
    const { changes } = run([...morning, ...quiet, ...evening]);
    expect(changes.filter((c) => c.code === 'leak-suspected')).toEqual([]);
  });

  it('restarts the 24 hours after a data gap, without clearing an alarm it cannot disprove', () => {
    const dripping = water(0, 101, 15, 2);
    const raised = run(dripping);
    expect(active(raised.state)).toEqual(['leak-suspected']);
    const last = dripping.at(-1)!;
    const afterGap = run(
      [
        { minute: last.minute + 180, register: last.register! + 0.05 },
        { minute: last.minute + 195, register: last.register! + 0.052 },
      ],
      raised.state,
    );
    expect(afterGap.changes).toEqual([]);
    expect(afterGap.state.flow!.flowSince).toBe(at(last.minute + 180));
  });
});

describe('alarm ids', () => {
  it('name an episode by code and start, and read back', () => {
    const id = alarmId('leak-suspected', '2025-03-01T10:15:00.000Z');
    expect(id).toBe('leak-suspected.2025-03-01T10:15:00.000Z');
    expect(parseAlarmId(id)).toEqual({ code: 'leak-suspected', since: '2025-03-01T10:15:00.000Z' });
  });

  it.each([
    'leak',
    'flood.2025-03-01T10:15:00.000Z',
    'leak.2025-03-01T10:15:00Z',
    'leak.2025-02-30T10:15:00.000Z',
    'leak.2025-03-01T10:15:00.000Z#x',
  ])('refuses %s', (id) => {
    expect(parseAlarmId(id)).toBeNull();
  });
});
