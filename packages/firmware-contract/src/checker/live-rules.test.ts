import { describe, expect, it } from 'vitest';
import { readMessage } from './captured-message.js';
import { clause, frameOf, goodCapture, THING } from './checker-test-kit.js';
import { judgeLive, type LiveObservation, type PresenceEvent } from './live-rules.js';
import { buildReport } from './check-capture.js';

const T0 = Date.parse('2025-01-15T06:00:00Z');

const connected = (at: number): PresenceEvent => ({
  eventType: 'connected',
  clientId: THING,
  timestamp: at,
});
const disconnected = (at: number, reason = 'API_INITIATED_DISCONNECT'): PresenceEvent => ({
  eventType: 'disconnected',
  clientId: THING,
  timestamp: at,
  disconnectReason: reason,
  clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
});

/** A run in which the gateway is cut at T0+60 s and back 3 s later. */
function observation(overrides: Partial<LiveObservation> = {}): LiveObservation {
  const c = goodCapture();
  return {
    thingName: THING,
    startedAt: T0,
    endedAt: T0 + 200_000,
    messages: c.lines.map((line, i) => readMessage(line, i + 1)),
    presence: [disconnected(T0 + 60_000), connected(T0 + 63_000)],
    disconnect: {
      ran: true,
      requestedAt: T0 + 60_000,
      disconnectedAt: T0 + 60_000,
      reconnectedAt: T0 + 63_000,
    },
    config: { ran: false, reason: 'not run (--no-config-change)' },
    timeoutSeconds: 30,
    ...overrides,
  };
}

/** Judged alone, as a report, so `clause()` can look results up. */
function judged(o: LiveObservation) {
  return buildReport({
    source: 'live',
    thingName: THING,
    results: judgeLive(o),
    lines: o.messages.length,
    messages: o.messages.length,
    otherClients: 0,
    unreadable: [],
  });
}

/** The gateway's publishes after the reconnect: shadow get, status, a batch. */
function afterReconnect(frames = [frameOf('hca-sontex-mode5', T0 + 61_500, { replayed: true })]) {
  const c = goodCapture();
  c.lines.length = 0;
  c.now = T0 + 63_100;
  c.shadowGet().status().batch(frames);
  return c.lines.map((line, i) => readMessage(line, 100 + i));
}

describe('judgeLive', () => {
  it('passes a gateway that reconnects after backoff, replays, gets its shadow and reports status', () => {
    const report = judged(observation({ messages: afterReconnect() }));
    expect(clause(report, '2.2').status).toBe('pass');
    expect(clause(report, '2.5')).toMatchObject({
      status: 'pass',
      reason: 'reconnected 3.0 s after the checker cut the connection',
    });
    expect(clause(report, '7.3')).toMatchObject({ status: 'pass' });
    expect(clause(report, '11.3').status).toBe('pass');
    expect(clause(report, '12.1').status).toBe('pass');
    expect(clause(report, '2.3').status).toBe('not-observed');
    expect(clause(report, '2.4').status).toBe('not-observed');
    expect(report.summary.fail).toBe(0);
  });

  it('2.5: reconnecting within a second, or not at all', () => {
    const fast = judged(
      observation({
        presence: [disconnected(T0 + 60_000), connected(T0 + 60_200)],
        disconnect: {
          ran: true,
          requestedAt: T0 + 60_000,
          disconnectedAt: T0 + 60_000,
          reconnectedAt: T0 + 60_200,
        },
      }),
    );
    expect(clause(fast, '2.5')).toMatchObject({
      status: 'fail',
      findings: [expect.objectContaining({ actual: '200 ms' })],
    });
    const never = judged(
      observation({
        presence: [disconnected(T0 + 60_000)],
        disconnect: {
          ran: true,
          requestedAt: T0 + 60_000,
          disconnectedAt: T0 + 60_000,
          reconnectedAt: null,
        },
      }),
    );
    expect(clause(never, '2.5').findings[0]?.message).toBe(
      'did not reconnect within 30 s after the checker cut the connection',
    );
  });

  it('2.3: a keep-alive timeout', () => {
    const report = judged(
      observation({ presence: [disconnected(T0 + 10_000, 'MQTT_KEEP_ALIVE_TIMEOUT')] }),
    );
    expect(clause(report, '2.3').status).toBe('fail');
  });

  it('7.3: a frame received while offline and sent without "replayed"', () => {
    const messages = afterReconnect([frameOf('hca-sontex-mode5', T0 + 61_500)]);
    const report = judged(observation({ messages }));
    expect(clause(report, '7.3')).toMatchObject({
      status: 'fail',
      findings: [expect.objectContaining({ line: 102, frameIndex: 0, actual: 'absent' })],
    });
  });

  it('11.3 and 12.1: no shadow get and no status after a connect', () => {
    const messages = afterReconnect().filter((m) => m.route.kind === 'telegrams');
    const report = judged(observation({ messages }));
    expect(clause(report, '11.3').findings[0]?.message).toMatch(/no shadow get within 30 s/);
    expect(clause(report, '12.1').findings[0]?.message).toMatch(/no status within 30 s/);
  });

  it('11.3: a connect too close to the end of the run is not judged', () => {
    const report = judged(observation({ messages: [], endedAt: T0 + 70_000 }));
    expect(clause(report, '11.3')).toMatchObject({ status: 'not-observed' });
  });

  it('11.4 and 11.5: the answer to a desired change', () => {
    const desired = { configVersion: 2, uploadIntervalS: 60 };
    const config = { ran: true as const, requestedAt: T0 + 100_000, configVersion: 2, desired };
    const c = goodCapture();
    c.lines.length = 0;
    c.now = T0 + 101_000;
    c.reported(2);
    const applied = judged(
      observation({ config, messages: c.lines.map((l, i) => readMessage(l, i + 1)) }),
    );
    expect(clause(applied, '11.4').status).toBe('pass');

    c.lines.length = 0;
    c.reported(2, { uploadIntervalS: 300 });
    const wrong = judged(
      observation({ config, messages: c.lines.map((l, i) => readMessage(l, i + 1)) }),
    );
    expect(clause(wrong, '11.4').findings[0]).toMatchObject({ expected: '60', actual: '300' });

    c.lines.length = 0;
    c.event({
      contractVersion: '1',
      event: 'config-rejected',
      occurredAt: new Date(c.now).toISOString(),
      details: { configVersion: 2, reason: 'no' },
    });
    const rejected = judged(
      observation({ config, messages: c.lines.map((l, i) => readMessage(l, i + 1)) }),
    );
    expect(clause(rejected, '11.5').status).toBe('pass');
    expect(clause(rejected, '11.4').status).toBe('not-observed');

    const silent = judged(observation({ config, messages: [] }));
    expect(clause(silent, '11.4').findings[0]?.message).toMatch(
      /set desired configVersion 2 .* neither reported it applied nor rejected it/,
    );
  });

  it('says why the active checks were not observed when they did not run', () => {
    const report = judged(
      observation({
        presence: [],
        disconnect: { ran: false, reason: 'not run (--no-disconnect)' },
      }),
    );
    expect(clause(report, '2.5')).toMatchObject({
      status: 'not-observed',
      reason: 'not run (--no-disconnect)',
    });
    expect(clause(report, '11.4').reason).toBe('not run (--no-config-change)');
  });
});
