import { describe, expect, it } from 'vitest';
import { topics } from '../topics.js';
import type { GatewayEvent, ShadowReported, TelegramBatch } from '../types.js';
import { createFleet } from './fleet.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import type { Link } from './link.js';
import { meterAddress } from './virtual-meter.js';

/**
 * The gateway against a hand-driven broker: acknowledgements held or given,
 * connections cut, shadow documents sent as IoT Core sends them.
 */

const THING = 'gw-test-0001';
const T0 = Date.parse('2025-01-15T06:00:00Z');
const utf8 = new TextEncoder();

interface Published {
  topic: string;
  payload: string;
}

class FakeLink implements Link {
  readonly published: Published[] = [];
  filters: readonly string[] = [];
  holdAcks = false;
  readonly #held: Array<{ reject: (e: Error) => void }> = [];

  publish(topic: string, payload: string): Promise<void> {
    this.published.push({ topic, payload });
    if (!this.holdAcks) return Promise.resolve();
    return new Promise((_, reject) => this.#held.push({ reject }));
  }

  subscribe(filters: readonly string[]): Promise<string[]> {
    this.filters = filters;
    return Promise.resolve([]);
  }

  /** The connection ends: held publishes fail. */
  cut(): void {
    for (const held of this.#held.splice(0)) held.reject(new Error('connection lost'));
  }

  on(topic: string) {
    return this.published.filter((p) => p.topic === topic).map((p) => JSON.parse(p.payload));
  }
}

function setup(overrides: Partial<GatewayOptions> = {}) {
  const clock = { now: T0 };
  const meters = createFleet({ count: 20, seed: 2 });
  const gateway = new Gateway({
    thingName: THING,
    meters,
    clock: () => clock.now,
    shadowAnswers: true,
    restored: null,
    clientTokenPrefix: 'test',
    ...overrides,
  });
  /** Runs the gateway up to a time, as the runners do. */
  const advance = async (toMs: number) => {
    for (;;) {
      await gateway.runDue();
      await Promise.resolve();
      const next = Math.min(gateway.nextDueAt(), toMs);
      if (clock.now >= toMs) return;
      clock.now = Math.max(clock.now + 1, next);
    }
  };
  const send = (topic: string, document: unknown) =>
    gateway.message(topic, utf8.encode(JSON.stringify(document)));
  return { clock, meters, gateway, advance, send };
}

const getTokenOf = (link: FakeLink) =>
  (link.on(topics.shadow(THING, 'get')).at(-1) as { clientToken: string }).clientToken;

const reports = (link: FakeLink) =>
  link
    .on(topics.shadow(THING, 'update'))
    .map((u) => (u as { state: { reported: ShadowReported } }).state.reported);

describe('Gateway', () => {
  it('subscribes to its errors and shadow responses, gets its shadow and applies the desired state', async () => {
    const { gateway, advance, send, clock } = setup();
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    expect([...link.filters].sort()).toEqual(
      [
        topics.errors(THING),
        topics.shadow(THING, 'get/accepted'),
        topics.shadow(THING, 'get/rejected'),
        topics.shadow(THING, 'update/accepted'),
        topics.shadow(THING, 'update/rejected'),
        topics.shadow(THING, 'update/delta'),
      ].sort(),
    );
    await advance(T0);
    send(topics.shadow(THING, 'get/accepted'), {
      state: { desired: { configVersion: 3, uploadIntervalS: 30, maxBatchFrames: 4 } },
      version: 7,
      clientToken: getTokenOf(link),
    });
    await advance(T0 + 10 * 60_000);
    expect(reports(link).at(-1)).toMatchObject({
      configVersion: 3,
      uploadIntervalS: 30,
      maxBatchFrames: 4,
    });
    const batches = link.on(topics.telegrams(THING)) as TelegramBatch[];
    expect(batches.length).toBeGreaterThan(5);
    for (const batch of batches) expect(batch.frames.length).toBeLessThanOrEqual(4);
    expect(clock.now).toBe(T0 + 10 * 60_000);
  });

  it("ignores another client's shadow answers but applies a delta", async () => {
    const { gateway, advance, send, meters } = setup();
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    await advance(T0);
    send(topics.shadow(THING, 'get/rejected'), {
      code: 404,
      message: 'No shadow exists with name: gw-test-0001~zw-config',
      clientToken: getTokenOf(link),
    });
    await advance(T0 + 1000);
    const before = reports(link).length;
    // A monitor asked for the same shadow: its answer is not the gateway's to act on.
    send(topics.shadow(THING, 'get/accepted'), {
      state: { desired: { configVersion: 9, uploadIntervalS: 5 } },
      clientToken: 'monitor-1',
    });
    await advance(T0 + 2000);
    expect(reports(link)).toHaveLength(before);
    expect(gateway.config.configVersion).toBe(0);

    const only = meterAddress(meters[0]!);
    send(topics.shadow(THING, 'update/delta'), {
      state: { configVersion: 4, forwardAllMeters: false, meterAllowList: [only] },
      version: 3,
      clientToken: 'cloud-api',
    });
    await advance(T0 + 3000);
    expect(reports(link).at(-1)).toMatchObject({
      configVersion: 4,
      forwardAllMeters: false,
      meterAllowList: [only],
    });
    const sent = link.published.length;
    await advance(T0 + 3 * 3600_000);
    const frames = (link.published.slice(sent) as Published[])
      .filter((p) => p.topic === topics.telegrams(THING))
      .flatMap((p) => (JSON.parse(p.payload) as TelegramBatch).frames);
    expect(frames.length).toBeGreaterThan(0);
    const ids = new Set(frames.map((f) => f.frame.slice(4, 16)));
    expect(ids.size).toBe(1);
    expect(gateway.radioStats().framesFiltered).toBeGreaterThan(0);
  });

  it('answers a configuration its radio cannot receive with config-rejected, once', async () => {
    const { gateway, advance, send } = setup();
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    await advance(T0);
    const delta = { state: { configVersion: 5, radioModes: ['T1', 'N'] }, version: 2 };
    send(topics.shadow(THING, 'update/delta'), delta);
    send(topics.shadow(THING, 'update/delta'), delta);
    await advance(T0 + 5000);
    const rejected = link.on(topics.event(THING, 'config-rejected')) as GatewayEvent[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ details: { configVersion: 5 } });
    expect(reports(link).at(-1)).toMatchObject({
      configVersion: 0,
      radioModes: ['S1', 'T1', 'C1'],
    });
  });

  it('resends a batch that got no PUBACK under the same number after reconnecting', async () => {
    const { gateway, advance, send } = setup({ shadowAnswers: false });
    const first = new FakeLink();
    await gateway.linkUp(first, false);
    await advance(T0 + 90_000);
    first.holdAcks = true;
    await advance(T0 + 200_000);
    const held = first.on(topics.telegrams(THING)).at(-1) as TelegramBatch;
    const heldPayload = first.published.filter((p) => p.topic === topics.telegrams(THING)).at(-1)!;
    expect(gateway.bufferStats().framesQueued).toBeGreaterThanOrEqual(held.frames.length);

    first.cut();
    gateway.linkDown();
    await advance(T0 + 400_000);
    const second = new FakeLink();
    await gateway.linkUp(second, true);
    expect(second.filters).toEqual([]);
    await advance(T0 + 500_000);
    const again = second.published.filter((p) => p.topic === topics.telegrams(THING));
    expect(again[0]!.payload).toBe(heldPayload.payload);
    const later = again.slice(1).map((p) => JSON.parse(p.payload) as TelegramBatch);
    expect(later.length).toBeGreaterThan(0);
    for (const batch of later) expect(batch.gatewaySeq).toBeGreaterThan(held.gatewaySeq);
    // Frames heard while cut off are marked replayed; those sent before were not.
    expect(later.some((b) => b.frames.some((f) => f.replayed === true))).toBe(true);
    expect(held.frames.every((f) => f.replayed === undefined)).toBe(true);
    void send;
  });

  it('continues above the lastGatewaySeq its shadow reported when it lost its counter', async () => {
    const { gateway, advance, send } = setup();
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    await advance(T0 + 5000);
    // Until it knows, it reports nothing: a -1 would hide the number from the next restart.
    expect(reports(link)).toEqual([]);
    send(topics.shadow(THING, 'get/accepted'), {
      state: { reported: { lastGatewaySeq: 41 } },
      clientToken: getTokenOf(link),
    });
    await advance(T0 + 5 * 60_000);
    const batches = link.on(topics.telegrams(THING)) as TelegramBatch[];
    expect(batches[0]!.gatewaySeq).toBe(41 + 1 + 1_000_000);
    expect(reports(link)[0]).toMatchObject({ lastGatewaySeq: 41 });
  });

  it('counts on above a margin when its last life reported no batch yet', async () => {
    const { gateway, advance, send } = setup();
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    await advance(T0);
    send(topics.shadow(THING, 'get/accepted'), {
      state: { reported: { lastGatewaySeq: -1 } },
      clientToken: getTokenOf(link),
    });
    await advance(T0 + 3 * 60_000);
    expect((link.on(topics.telegrams(THING)) as TelegramBatch[])[0]!.gatewaySeq).toBe(1_000_000);
  });

  it('waits for the shadow before its first batch, asking again until it answers', async () => {
    const { gateway, advance, send } = setup();
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    await advance(T0);
    send(topics.shadow(THING, 'get/rejected'), {
      code: 429,
      message: 'Too Many Requests',
      clientToken: getTokenOf(link),
    });
    await advance(T0 + 5 * 60_000);
    // Without its counter it would risk reusing numbers (clause 6.2): nothing goes out meanwhile.
    expect(link.on(topics.telegrams(THING))).toEqual([]);
    const gets = link.on(topics.shadow(THING, 'get'));
    expect(gets.length).toBeGreaterThanOrEqual(4);
    expect(gateway.bufferStats().framesQueued).toBeGreaterThan(20);
    send(topics.shadow(THING, 'get/rejected'), {
      code: 404,
      message: 'No shadow exists with name: gw-test-0001~zw-config',
      clientToken: getTokenOf(link),
    });
    await advance(T0 + 6 * 60_000);
    const batches = link.on(topics.telegrams(THING)) as TelegramBatch[];
    expect(batches[0]!.gatewaySeq).toBe(0);
  });

  it('sends a batch again after a retryable error response', async () => {
    const { gateway, advance, send } = setup({ shadowAnswers: false });
    const link = new FakeLink();
    await gateway.linkUp(link, false);
    await advance(T0 + 90_000);
    const first = link.published.find((p) => p.topic === topics.telegrams(THING))!;
    const { gatewaySeq } = JSON.parse(first.payload) as TelegramBatch;
    send(topics.errors(THING), {
      contractVersion: '1',
      code: 'INTERNAL',
      message: 'try again',
      topic: topics.telegrams(THING),
      gatewaySeq,
      retry: true,
      at: '2025-01-15T06:01:31Z',
    });
    send(topics.errors(THING), {
      contractVersion: '1',
      code: 'SCHEMA_VIOLATION',
      message: 'a firmware defect',
      topic: topics.status(THING),
      retry: false,
      at: '2025-01-15T06:01:31Z',
    });
    await advance(T0 + 120_000);
    const copies = link.published.filter((p) => p.payload === first.payload);
    expect(copies).toHaveLength(2);
    expect(gateway.counters.errorResponses).toBe(2);
  });
});
