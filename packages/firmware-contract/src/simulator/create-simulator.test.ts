import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCaptureLine } from '../capture.js';
import { topics } from '../topics.js';
import type { GatewayEvent, GatewayStatus, ShadowReported } from '../types.js';
import { createSimulator } from './create-simulator.js';
import { createFleet } from './fleet.js';
import { PublishPacer } from './publish-pacer.js';
import {
  batchesOf,
  current,
  decodeFrames,
  keysOf,
  offlineRun,
  validateLine,
} from './simulator-test-kit.js';
import { isWarmWater, type VirtualMeter } from './virtual-meter.js';
import { leaksBetween } from './water-model.js';

const THING = 'sim-gw-0001';
const HOUR = 3_600_000;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('an offline run', () => {
  it('publishes only payloads that pass validate(), on the topics of the contract', async () => {
    const { lines, summary } = await offlineRun({}, { batches: 10 });
    expect(summary.batches).toBe(10);
    expect(summary.stoppedBy).toBe('batches');
    const allowed = new Set([
      topics.telegrams(THING),
      topics.status(THING),
      topics.event(THING, 'boot'),
      topics.shadow(THING, 'get'),
      topics.shadow(THING, 'update'),
    ]);
    for (const line of lines) {
      expect(allowed).toContain(line.topic);
      expect(line).toMatchObject({ qos: 1, retain: false, clientId: THING });
      const result = validateLine(line);
      if (result !== null) expect(result).toMatchObject({ ok: true });
    }
    expect(batchesOf(lines)).toHaveLength(10);
  });

  it('boots as the contract asks: boot event, status, shadow get and the whole reported state', async () => {
    const { lines } = await offlineRun({ start: '2025-03-01T00:00:00Z' }, { batches: 1 });
    expect(lines.slice(0, 4).map((l) => l.topic)).toEqual([
      topics.event(THING, 'boot'),
      topics.status(THING),
      topics.shadow(THING, 'get'),
      topics.shadow(THING, 'update'),
    ]);
    const boot = lines[0]!.payload as GatewayEvent;
    expect(boot).toMatchObject({ event: 'boot', occurredAt: '2025-03-01T00:00:00.000Z' });
    const reported = (lines[3]!.payload as { state: { reported: ShadowReported } }).state.reported;
    expect(reported).toMatchObject({ configVersion: 0, uploadIntervalS: 60, lastGatewaySeq: -1 });
    expect(lines.every((l) => l.receivedAt >= '2025-03-01T00:00:00.000Z')).toBe(true);
  });

  it('makes the same capture, byte for byte, from the same seed and start', async () => {
    const text = async (seed: number) =>
      (await offlineRun({ seed, fleet: { count: 15 } }, { batches: 6 })).lines
        .map(formatCaptureLine)
        .join('\n');
    const first = await text(7);
    expect(await text(7)).toBe(first);
    expect(await text(8)).not.toBe(first);
  });

  it('numbers batches strictly increasing, frames oldest first, batches within the upload interval', async () => {
    const { lines } = await offlineRun({ uploadIntervalS: 30 }, { batches: 12 });
    const batches = batchesOf(lines);
    batches.forEach((batch, i) => {
      if (i > 0) expect(batch.gatewaySeq).toBeGreaterThan(batches[i - 1]!.gatewaySeq);
      const times = batch.frames.map((f) => Date.parse(f.receivedAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      // Clause 5.2: published when the oldest frame has waited the upload interval, not much later.
      expect(Date.parse(batch.sentAt) - times[0]!).toBeLessThanOrEqual(31_000);
    });
  });

  it('keeps the publish rate: at most 10 a second, batches a second apart', async () => {
    // A long outage makes a backlog that must be replayed at the contract's rate.
    const { lines } = await offlineRun(
      {
        fleet: { count: 200 },
        transport: { kind: 'offline', outages: [{ afterS: 60, durationS: 3 * 3600 }] },
      },
      { batches: 60 },
    );
    const times = lines.map((l) => Date.parse(l.receivedAt));
    for (let i = 10; i < times.length; i++) {
      expect(times[i]! - times[i - 10]!).toBeGreaterThan(1000);
    }
    const batchTimes = batchesOf(lines).map((b) => Date.parse(b.sentAt));
    for (let i = 1; i < batchTimes.length; i++) {
      expect(batchTimes[i]! - batchTimes[i - 1]!).toBeGreaterThanOrEqual(1000);
    }
  });

  it('buffers through an outage and replays the frames afterwards, marked and in new batches', async () => {
    const start = Date.parse('2025-01-15T06:00:00Z');
    const outage = { from: start + 600_000, to: start + 600_000 + 2 * HOUR };
    const { lines, summary, simulator } = await offlineRun(
      { transport: { kind: 'offline', outages: [{ afterS: 600, durationS: 2 * 3600 }] } },
      { durationMs: 3 * HOUR },
    );
    expect(summary.connects).toBe(2);
    const batches = batchesOf(lines);
    // Nothing goes out while the connection is down.
    for (const line of lines) {
      const at = Date.parse(line.receivedAt);
      expect(at < outage.from || at >= outage.to).toBe(true);
    }
    const replayed = batches.flatMap((b) =>
      b.frames.filter((f) => f.replayed === true).map((f) => ({ f, b })),
    );
    expect(replayed.length).toBeGreaterThan(100);
    expect(summary.framesReplayed).toBe(replayed.length);
    for (const { f, b } of replayed) {
      // Received while offline, sent after reconnecting with the original receive time.
      const received = Date.parse(f.receivedAt);
      expect(received).toBeGreaterThanOrEqual(outage.from);
      expect(received).toBeLessThan(outage.to);
      expect(Date.parse(b.sentAt)).toBeGreaterThanOrEqual(outage.to);
    }
    // Frames received while connected are never marked.
    for (const batch of batches) {
      for (const frame of batch.frames) {
        const received = Date.parse(frame.receivedAt);
        if (received < outage.from || received >= outage.to) expect(frame.replayed).toBeUndefined();
      }
    }
    // Each replayed frame is sent once, oldest first across the replay batches.
    const order = replayed.map(({ f }) => Date.parse(f.receivedAt));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const sequences = batches.map((b) => b.gatewaySeq);
    expect(new Set(sequences).size).toBe(sequences.length);
    // After the reconnect a status comes, and the replayed frames still decrypt.
    expect(
      lines.some((l) => l.topic === topics.status(THING) && Date.parse(l.receivedAt) === outage.to),
    ).toBe(true);
    expect(decodeFrames(batches, keysOf(simulator))).toHaveLength(summary.framesForwarded);
  });

  it('drops the oldest frames when the buffer is full and reports the overflow', async () => {
    const { lines, summary } = await offlineRun(
      {
        bufferCapacityBytes: 20_000,
        transport: { kind: 'offline', outages: [{ afterS: 60, durationS: 6 * 3600 }] },
      },
      { durationMs: 7 * HOUR },
    );
    expect(summary.framesDropped).toBeGreaterThan(0);
    const overflow = lines.find((l) => l.topic === topics.event(THING, 'buffer-overflow'));
    expect(overflow?.payload).toMatchObject({
      event: 'buffer-overflow',
      details: { framesDropped: summary.framesDropped },
    });
    const status = lines
      .filter((l) => l.topic === topics.status(THING))
      .map((l) => l.payload as GatewayStatus)
      .at(-1)!;
    expect(status.buffer.framesDropped).toBe(summary.framesDropped);
    // What survived is the newest part of the outage.
    const replayed = batchesOf(lines).flatMap((b) => b.frames.filter((f) => f.replayed));
    const firstKept = Date.parse(replayed[0]!.receivedAt);
    expect(firstKept).toBeGreaterThan(Date.parse('2025-01-15T08:00:00Z'));
  });

  it('packs the air with framesPerSecond', async () => {
    const { summary } = await offlineRun(
      { framesPerSecond: 5, fleet: { count: 20 } },
      { durationMs: 60_000 },
    );
    expect(summary.framesReceived + summary.framesInvalid).toBeGreaterThanOrEqual(280);
    expect(summary.framesReceived + summary.framesInvalid).toBeLessThanOrEqual(320);
    expect(() =>
      createSimulator({
        thingName: THING,
        fleet: { count: 4 },
        framesPerSecond: 3,
        transport: { kind: 'offline' },
      }),
    ).toThrow(/at most 2/);
  });

  it('continues its gatewaySeq across restarts with a state file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zw-sim-state-'));
    dirs.push(dir);
    const statePath = join(dir, 'state.json');
    const first = await offlineRun({ statePath }, { batches: 3 });
    const second = await offlineRun({ statePath, start: '2025-01-16T06:00:00Z' }, { batches: 3 });
    const seqs = [...batchesOf(first.lines), ...batchesOf(second.lines)].map((b) => b.gatewaySeq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5]);
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { lastGatewaySeq: number };
    expect(state.lastGatewaySeq).toBe(5);
  });

  it('keeps what it could not send in the state file and sends it after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zw-sim-state-'));
    dirs.push(dir);
    const statePath = join(dir, 'state.json');
    // The run ends offline: its frames wait in the state file.
    const first = await offlineRun(
      { statePath, transport: { kind: 'offline', outages: [{ afterS: 0, durationS: 3600 }] } },
      { durationMs: 600_000 },
    );
    expect(batchesOf(first.lines)).toHaveLength(0);
    const kept = JSON.parse(await readFile(statePath, 'utf8')) as { frames: unknown[] };
    expect(kept.frames.length).toBeGreaterThan(20);
    const second = await offlineRun({ statePath, start: '2025-01-15T07:00:00Z' }, { batches: 1 });
    const replay = batchesOf(second.lines)[0]!;
    expect(replay.frames.length).toBe(kept.frames.length);
    expect(replay.frames.every((f) => f.replayed === true)).toBe(true);
  });
});

/** The decoded frames of one meter in time order. */
function framesOf(frames: ReturnType<typeof decodeFrames>, meter: VirtualMeter) {
  return frames
    .filter((f) => f.meter === `${meter.manufacturer}${meter.id}`)
    .sort((a, b) => a.receivedAtMs - b.receivedAtMs);
}

describe('the frames of a capture, decrypted with the keys written', () => {
  it('decrypt, in modes 5 and 7, and their registers never go back', async () => {
    const { lines, simulator } = await offlineRun(
      { fleet: { count: 30 } },
      { durationMs: 6 * HOUR },
    );
    const frames = decodeFrames(batchesOf(lines), keysOf(simulator));
    expect(new Set(simulator.meters.map((m) => m.securityMode))).toEqual(new Set([5, 7]));
    for (const meter of simulator.meters) {
      const own = framesOf(frames, meter);
      expect(own.length).toBeGreaterThan(10);
      const quantity =
        meter.kind === 'heat-cost-allocator'
          ? 'hcaUnits'
          : meter.kind === 'heat-meter'
            ? 'energy'
            : 'volume';
      const values = own.map((f) => current(f.records, quantity));
      values.forEach((v, i) => {
        if (i > 0) expect(v).toBeGreaterThanOrEqual(values[i - 1]!);
      });
      if (meter.kind !== 'heat-cost-allocator') expect(values.at(-1)!).toBeGreaterThan(values[0]!);
    }
  });

  it('show more heat in winter than in summer', async () => {
    const meters = createFleet({ count: 40, seed: 3 }).filter((m) => m.kind !== 'water-meter');
    const energyPerMeter = async (start: string) => {
      const { lines, simulator } = await offlineRun({ meters, start }, { durationMs: 24 * HOUR });
      const frames = decodeFrames(batchesOf(lines), keysOf(simulator));
      return meters
        .filter((m) => m.kind === 'heat-meter')
        .map((m) => {
          const own = framesOf(frames, m);
          return current(own.at(-1)!.records, 'energy') - current(own[0]!.records, 'energy');
        });
    };
    const winter = await energyPerMeter('2025-01-20T00:00:00Z');
    const summer = await energyPerMeter('2025-07-20T00:00:00Z');
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(winter)).toBeGreaterThan(5 * sum(summer) + 1000);
  });

  it('show water used by day and little at night', async () => {
    const meters = createFleet({ count: 60, seed: 11 }).filter((m) => m.kind === 'water-meter');
    const day0 = Date.parse('2025-02-03T00:00:00Z');
    const { lines, simulator } = await offlineRun(
      { meters, start: '2025-02-03T00:00:00Z' },
      { durationMs: 35 * HOUR },
    );
    const frames = decodeFrames(batchesOf(lines), keysOf(simulator));
    let dayUse = 0;
    let nightUse = 0;
    for (const meter of meters) {
      const own = framesOf(frames, meter);
      for (let day = 0; day < 2; day++) {
        // Meters keep CET: 01:00-04:00 local is 00:00-03:00 UTC, 08:00-11:00 local 07:00-10:00.
        const at = (hourUtc: number) => volumeAt(own, day0 + day * 24 * HOUR + hourUtc * HOUR);
        nightUse += at(3) - at(0);
        dayUse += at(10) - at(7);
      }
    }
    expect(nightUse).toBeGreaterThanOrEqual(0);
    expect(dayUse).toBeGreaterThan(10 * nightUse);
  });

  it('show a leak as water flowing through the night', async () => {
    // The model draws leaks per meter and day: find one that runs through a night.
    const meters = createFleet({ count: 100, seed: 5 }).filter((m) => m.kind === 'water-meter');
    const from = Date.parse('2025-01-01T00:00:00Z');
    let found: { meter: VirtualMeter; night: number } | undefined;
    for (let day = 0; day < 365 && found === undefined; day++) {
      const night = from + day * 24 * HOUR;
      const meter = meters.find(
        (m) =>
          !isWarmWater(m) &&
          leaksBetween(m, night, night + 3 * HOUR).some(
            (l) => l.startMs <= night && l.endMs >= night + 3 * HOUR,
          ),
      );
      if (meter !== undefined) found = { meter, night };
    }
    expect(found).toBeDefined();
    const { meter, night } = found!;
    const quiet = meters.filter(
      (m) => m !== meter && leaksBetween(m, night, night + 3 * HOUR).length === 0,
    );
    const { lines, simulator } = await offlineRun(
      { meters: [meter, ...quiet.slice(0, 5)], start: new Date(night - HOUR).toISOString() },
      { durationMs: 5 * HOUR },
    );
    const frames = decodeFrames(batchesOf(lines), keysOf(simulator));
    const flow = (m: VirtualMeter) => {
      const own = framesOf(frames, m);
      return volumeAt(own, night + 3 * HOUR) - volumeAt(own, night);
    };
    // A running toilet: tens of litres in three night hours; dwellings without a leak barely any.
    expect(flow(meter)).toBeGreaterThanOrEqual(0.02);
    const quietFlows = quiet.slice(0, 5).map(flow);
    expect(Math.max(...quietFlows)).toBeLessThan(flow(meter));
  });
});

/** The volume register of the first frame at or after a time. */
function volumeAt(own: ReturnType<typeof framesOf>, ms: number): number {
  const frame = own.find((f) => f.receivedAtMs >= ms);
  if (frame === undefined) throw new Error(`no frame after ${new Date(ms).toISOString()}`);
  return current(frame.records, 'volume');
}

describe('createSimulator', () => {
  it('refuses what would not work', () => {
    const base = { thingName: THING, fleet: { count: 5 }, transport: { kind: 'offline' } } as const;
    expect(() => createSimulator({ ...base, thingName: 'no spaces' })).toThrow(RangeError);
    expect(() => createSimulator({ ...base, uploadIntervalS: 2 })).toThrow(/uploadIntervalS/);
    expect(() =>
      createSimulator({
        ...base,
        start: '2025-01-01T00:00:00Z',
        transport: { kind: 'mqtt', url: 'mqtts://x:1', caPem: '', certPem: '', keyPem: '' },
      }),
    ).toThrow(/offline/);
    const sim = createSimulator(base);
    return expect(sim.run({})).rejects.toThrow(/batches or durationMs/);
  });

  it('stops on its signal and on stop()', async () => {
    const controller = new AbortController();
    const sim = createSimulator({
      thingName: THING,
      fleet: { count: 20 },
      transport: { kind: 'offline' },
    });
    controller.abort();
    expect((await sim.run({ batches: 5, signal: controller.signal })).stoppedBy).toBe('signal');
    const running = sim.run({ durationMs: 365 * 24 * HOUR });
    await sim.stop();
    expect((await running).stoppedBy).toBe('stop');
  });

  it('paces batches at least a second apart (the pacer itself)', () => {
    const pacer = new PublishPacer();
    for (let i = 0; i < 10; i++) pacer.record(1000, false);
    expect(pacer.nextSlot(1000)).toBeGreaterThan(2000);
    pacer.record(5000, true);
    expect(pacer.nextBatchSlot(5000)).toBe(6000);
  });
});
