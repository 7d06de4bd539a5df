import { describe, expect, it } from 'vitest';
import { topics } from '../topics.js';
import type { TelegramFrame } from '../types.js';
import { checkCapture } from './check-capture.js';
import {
  CaptureBuilder,
  clause,
  decryptedFrame,
  failed,
  frameOf,
  goodCapture,
  iso,
  THING,
} from './checker-test-kit.js';

const base64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64');

/** The line the builder wrote last (1-based, as findings count). */
const lastLine = (c: CaptureBuilder) => c.lines.length;

describe('checkCapture on a well-behaved gateway', () => {
  it('passes every clause a capture shows and leaves the live ones not observed', () => {
    const report = checkCapture(goodCapture().text());
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.source).toBe('capture');
    expect(report.thingName).toBe(THING);
    for (const id of ['3.1', '4.1', '5.1', '6.1', '6.2', '7.2', '7.3', '10.1', '10.2', '11.4']) {
      expect(clause(report, id).status, id).toBe('pass');
    }
    for (const id of ['2.5', '11.3']) {
      expect(clause(report, id)).toMatchObject({ status: 'not-observed', findings: [] });
      expect(clause(report, id).reason).toMatch(/live/);
    }
    expect(report.summary.pass + report.summary.notObserved).toBe(report.clauses.length);
    expect(report.input).toMatchObject({ lines: 10, messages: 10, unreadable: [] });
  });

  it('judges lines already parsed the same as the text', () => {
    const c = goodCapture();
    expect(checkCapture(c.lines)).toEqual(checkCapture(c.text()));
  });

  it('takes the thing name it is given', () => {
    expect(checkCapture(goodCapture().text(), { thingName: THING }).ok).toBe(true);
  });
});

describe('checkCapture on broken gateways: each fails exactly its clause', () => {
  it('3.1: a batch without the Basic Ingest prefix', () => {
    const c = goodCapture();
    c.batch();
    c.lines[c.lines.length - 1]!.topic = `zw/v1/gw/${THING}/telegrams`;
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['3.1']);
    expect(clause(report, '3.1').findings).toEqual([
      expect.objectContaining({
        line: lastLine(c),
        topic: `zw/v1/gw/${THING}/telegrams`,
        expected: topics.telegrams(THING),
      }),
    ]);
  });

  it('3.1 and 3.4: a batch on a topic outside the table', () => {
    const c = goodCapture();
    c.batch();
    c.lines[c.lines.length - 1]!.topic = `$aws/rules/zw_ingest/zw/v1/gw/${THING}/telegram`;
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['3.1', '3.4']);
    expect(clause(report, '3.4').findings[0]).toMatchObject({ line: lastLine(c) });
  });

  it("3.4: a status on another thing's topic", () => {
    const c = goodCapture();
    c.status();
    c.lines[c.lines.length - 1]!.topic = topics.status('gw-test-0002');
    const report = checkCapture(c.text());
    expect(report.thingName).toBe(THING);
    expect(failed(report)).toEqual(['3.4']);
    expect(clause(report, '3.4').findings[0]).toMatchObject({
      line: lastLine(c),
      message: expect.stringContaining("another thing's topic (gw-test-0002)"),
    });
  });

  it('3.4: a publish on the errors topic, where only the cloud publishes', () => {
    const c = goodCapture();
    c.publish(topics.errors(THING), { contractVersion: '1' });
    expect(failed(checkCapture(c.text()))).toEqual(['3.4']);
  });

  it('3.2 and 3.3: QoS 0 and retained publishes', () => {
    const c = goodCapture();
    c.lines[3]!.qos = 0;
    c.lines[5]!.retain = true;
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['3.2', '3.3']);
    expect(clause(report, '3.2').findings[0]).toMatchObject({ line: 4, actual: 'QoS 0' });
    expect(clause(report, '3.3').findings[0]).toMatchObject({ line: 6 });
  });

  it('3.6: an event on the topic of another event', () => {
    const c = goodCapture();
    c.boot();
    c.lines[c.lines.length - 1]!.topic = topics.event(THING, 'tamper');
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['3.6']);
    expect(clause(report, '3.6').findings[0]).toMatchObject({
      line: lastLine(c),
      expected: topics.event(THING, 'boot'),
    });
  });

  it('4.1: a batch that is not JSON', () => {
    const c = goodCapture();
    c.publish(topics.telegrams(THING), { base64: base64('{"gatewaySeq":7') });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['4.1']);
    expect(clause(report, '4.1').findings).toEqual([
      expect.objectContaining({
        line: lastLine(c),
        topic: topics.telegrams(THING),
        message: expect.stringContaining('not JSON'),
        expected: 'one UTF-8 JSON object',
      }),
    ]);
  });

  it('4.1: a byte-order mark, a JSON array, and a missing contractVersion', () => {
    const c = goodCapture();
    c.publish(topics.status(THING), { base64: base64('\uFEFF{}') });
    c.publish(topics.status(THING), [1, 2]);
    c.batch(undefined, { contractVersion: undefined as unknown as '1' });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['4.1']);
    const messages = clause(report, '4.1').findings.map((f) => [f.line, f.message]);
    expect(messages).toEqual([
      [11, expect.stringContaining('byte-order mark')],
      [12, 'the payload is JSON but not an object'],
      [13, '/contractVersion is missing'],
    ]);
  });

  it('4.1: a payload its schema does not accept', () => {
    const c = goodCapture();
    c.status({ uptimeS: -5 });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['4.1']);
    expect(clause(report, '4.1').findings[0]).toMatchObject({
      line: lastLine(c),
      message: '/uptimeS: must be >= 0',
      expected: 'gateway-status (minimum)',
      actual: '-5',
    });
  });

  it('4.2: an unknown property', () => {
    const c = goodCapture();
    c.status({ uptimeSeconds: 5 } as object);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['4.2']);
    expect(clause(report, '4.2').findings[0]).toMatchObject({
      line: lastLine(c),
      message: "/uptimeSeconds: 'uptimeSeconds' is not part of this payload",
    });
  });

  it('5.2: a frame held longer than uploadIntervalS while online', () => {
    const c = goodCapture();
    c.tick(400_000);
    c.batch([frameOf('hca-sontex-mode5', c.now - 300_000), frameOf('hca-sontex-mode7', c.now)]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['5.2']);
    expect(clause(report, '5.2').findings[0]).toMatchObject({
      line: lastLine(c),
      gatewaySeq: c.seq,
      frameIndex: 0,
      message: 'the oldest frame waited 301 s before its batch was published',
    });
  });

  it('5.2 does not blame a frame that waited across a reconnect', () => {
    const c = goodCapture();
    const heard = c.now;
    c.tick(300_000);
    c.shadowGet().status();
    c.batch([frameOf('hca-sontex-mode5', heard)]);
    expect(failed(checkCapture(c.text()))).toEqual([]);
  });

  it('5.1: a batch of 101 frames', () => {
    const c = goodCapture();
    const at = c.now;
    c.batch(Array.from({ length: 101 }, (_, i) => frameOf('hca-sontex-mode5', at - 5_000 + i)));
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['5.1']);
    expect(clause(report, '5.1').findings[0]).toMatchObject({
      line: lastLine(c),
      gatewaySeq: c.seq,
      message: expect.stringContaining('/frames'),
    });
  });

  it('4.4 and 5.1: a batch over 65 536 bytes', () => {
    const c = goodCapture();
    const at = c.now;
    c.batch(Array.from({ length: 400 }, (_, i) => frameOf('heat-engelmann-mode7', at - 5_000 + i)));
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['4.4', '5.1']);
    const size = clause(report, '4.4').findings[0]!;
    expect(size).toMatchObject({ line: lastLine(c), gatewaySeq: c.seq });
    expect(size.expected).toBe('at most 65536 bytes for a telegram batch');
    expect(Number(size.actual?.split(' ')[0])).toBeGreaterThan(65_536);
    expect(clause(report, '5.1').findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/^the batch has \d+ bytes$/),
      expect.stringContaining('/frames'),
    ]);
  });

  it('4.4: an event over 8 192 bytes', () => {
    const c = goodCapture();
    c.event({
      contractVersion: '1',
      event: 'x-debug-dump',
      occurredAt: iso(c.now),
      details: { dump: 'A'.repeat(9000) },
    });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['4.4']);
    expect(clause(report, '4.4').findings[0]).toMatchObject({
      line: lastLine(c),
      expected: 'at most 8192 bytes',
    });
  });

  it('6.1: a batch without gatewaySeq', () => {
    const c = goodCapture();
    c.batch(undefined, { gatewaySeq: undefined as unknown as number });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['6.1']);
    expect(clause(report, '6.1').findings).toEqual([
      expect.objectContaining({
        line: lastLine(c),
        message: expect.stringContaining('gatewaySeq'),
      }),
    ]);
    expect(clause(report, '6.1').findings[0]!.gatewaySeq).toBeUndefined();
  });

  it('6.1: a gatewaySeq that is not a non-negative integer', () => {
    const c = goodCapture();
    c.batch(undefined, { gatewaySeq: 1.5 });
    c.batch(undefined, { gatewaySeq: -1 });
    expect(failed(checkCapture(c.text()))).toEqual(['6.1']);
  });

  it('6.2: a gatewaySeq smaller than an earlier one, and one reused for other frames', () => {
    const c = goodCapture();
    const highest = c.seq;
    c.batch(undefined, { gatewaySeq: highest - 10 });
    c.batch([frameOf('water-sensus-mode0', c.now - 100)], { gatewaySeq: highest });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['6.2']);
    expect(clause(report, '6.2').findings).toEqual([
      expect.objectContaining({ line: c.lines.length - 1, gatewaySeq: highest - 10 }),
      expect.objectContaining({
        line: c.lines.length,
        gatewaySeq: highest,
        message: expect.stringContaining('reused'),
      }),
    ]);
  });

  it('7.2: a resend whose frames changed', () => {
    const c = goodCapture();
    c.batch();
    const first = c.lines[c.lines.length - 1]!;
    const payload = structuredClone(first.payload) as { frames: TelegramFrame[] };
    payload.frames.pop();
    c.publish(first.topic, payload);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['7.2']);
    expect(clause(report, '7.2').findings[0]).toMatchObject({
      line: lastLine(c),
      gatewaySeq: c.seq,
    });
  });

  it('7.3: replayed frames newer than their batch, and out of order', () => {
    const c = goodCapture();
    c.batch([frameOf('hca-sontex-mode5', c.now + 5000, { replayed: true })]);
    c.batch([frameOf('hca-sontex-mode7', c.now - 100_000, { replayed: true })]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['7.3']);
    expect(clause(report, '7.3').findings.map((f) => [f.line, f.frameIndex])).toEqual([
      [c.lines.length - 1, 0],
      [c.lines.length, 0],
    ]);
  });

  it('10.1: a mode-5 frame forwarded decrypted (2F2F payload)', () => {
    const c = goodCapture();
    const frame = {
      ...frameOf('hca-sontex-mode5', c.now),
      frame: decryptedFrame('hca-sontex-mode5'),
    };
    c.batch([frameOf('hca-sontex-mode0', c.now - 10), frame]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['10.1']);
    expect(clause(report, '10.1').findings).toEqual([
      expect.objectContaining({
        line: lastLine(c),
        gatewaySeq: c.seq,
        frameIndex: 1,
        message: expect.stringContaining('announces security mode 5'),
      }),
    ]);
  });

  it('10.1: a frame of a meter that encrypts, rewritten to security mode 0', () => {
    const c = goodCapture();
    const frame = {
      ...frameOf('hca-sontex-mode5', c.now),
      frame: decryptedFrame('hca-sontex-mode5', { rewriteMode0: true }),
    };
    c.batch([frame]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['10.1']);
    expect(clause(report, '10.1').findings[0]).toMatchObject({
      line: lastLine(c),
      frameIndex: 0,
      actual: 'security mode 0',
      message: expect.stringContaining('meter SON 10000002 sends encrypted frames'),
    });
  });

  it('10.1: a frame that is not hex', () => {
    const c = goodCapture();
    c.batch([{ ...frameOf('hca-sontex-mode0', c.now), frame: 'not a frame, decoded: 1234 HCA' }]);
    expect(failed(checkCapture(c.text()))).toEqual(['10.1']);
  });

  it('10.2: CRCs stated present that do not check, and CRCs stated stripped that are there', () => {
    const c = goodCapture();
    const withCrcs = frameOf('hca-sontex-mode0', c.now - 10, { withCrcs: true });
    const broken = `${withCrcs.frame.slice(0, 20)}0000${withCrcs.frame.slice(24)}`;
    c.batch([
      { ...withCrcs, frame: broken },
      { ...withCrcs, crc: 'stripped', receivedAt: iso(c.now) },
    ]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['10.2']);
    expect(clause(report, '10.2').findings.map((f) => [f.frameIndex, f.message])).toEqual([
      [0, expect.stringContaining('CRC at byte 10 does not check')],
      [1, expect.stringContaining('still holds every format-A CRC')],
    ]);
  });

  it('10.3: an L field that does not fit the frame', () => {
    const c = goodCapture();
    const frame = frameOf('hca-sontex-mode0', c.now);
    c.batch([{ ...frame, frame: `${frame.frame}${'00'.repeat(20)}` }]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['10.3']);
    expect(clause(report, '10.3').findings[0]).toMatchObject({ frameIndex: 0 });
  });

  it('1.4: a batch that names its gateway', () => {
    const c = goodCapture();
    c.batch(undefined, { thingName: THING } as object);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['1.4']);
    expect(clause(report, '1.4').findings[0]).toMatchObject({
      line: lastLine(c),
      message: expect.stringContaining("property 'thingName'"),
    });
  });

  it('1.4 spares the thingName AWS SDKs add to shadow requests', () => {
    const c = goodCapture();
    c.publish(topics.shadow(THING, 'get'), { clientToken: 't-1', thingName: THING });
    expect(failed(checkCapture(c.text()))).toEqual([]);
  });

  it('8.1, 9.1, 9.2: a local time, an rssi out of range, format B in mode T1', () => {
    const c = goodCapture();
    const frame = frameOf('hca-sontex-mode0', c.now);
    c.batch([{ ...frame, receivedAt: frame.receivedAt.replace('Z', '+00:00') }]);
    c.batch([{ ...frame, rssi: 12 }]);
    c.batch([{ ...frame, frameFormat: 'B' }]);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['8.1', '9.1', '9.2']);
    expect(clause(report, '8.1').findings[0]).toMatchObject({ line: 11, frameIndex: 0 });
    expect(clause(report, '9.1').findings[0]).toMatchObject({ line: 12, frameIndex: 0 });
    expect(clause(report, '9.2').findings[0]).toMatchObject({ line: 13, frameIndex: 0 });
  });

  it('11.1: a gateway that writes the desired state or an overlong clientToken', () => {
    const c = goodCapture();
    c.publish(topics.shadow(THING, 'update'), { state: { desired: { configVersion: 9 } } });
    c.publish(topics.shadow(THING, 'get'), { clientToken: 'x'.repeat(65) });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['11.1']);
    expect(clause(report, '11.1').findings.map((f) => f.line)).toEqual([11, 12]);
  });

  it('11.4: a reported state that is not whole, and a configVersion going back', () => {
    const c = goodCapture();
    c.reported(3);
    c.reported(2);
    c.publish(topics.shadow(THING, 'update'), {
      state: { reported: { contractVersion: '1', configVersion: 3 } },
    });
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['11.4']);
    const findings = clause(report, '11.4').findings;
    expect(findings).toContainEqual(
      expect.objectContaining({ line: 12, message: expect.stringContaining('went back from 3') }),
    );
    expect(findings).toContainEqual(
      expect.objectContaining({
        line: 13,
        message: "/state/reported/uploadIntervalS: must have required property 'uploadIntervalS'",
      }),
    );
  });

  it('11.5: a configuration reported applied after it was rejected', () => {
    const c = goodCapture();
    c.event({
      contractVersion: '1',
      event: 'config-rejected',
      occurredAt: iso(c.now),
      details: { configVersion: 2, reason: 'mode S1 not supported' },
    });
    c.reported(2);
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['11.5']);
    expect(clause(report, '11.5').findings[0]).toMatchObject({ line: 12 });
  });

  it('12.1: more than statusIntervalS without a status', () => {
    const c = goodCapture();
    c.tick(2 * 3600_000);
    c.batch();
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['12.1']);
    expect(clause(report, '12.1').findings[0]).toMatchObject({
      expected: 'a status at least every 3600 s (statusIntervalS)',
    });
  });

  it('12.2: an unknown event', () => {
    const c = goodCapture();
    c.publish(topics.event(THING, 'reboot'), {
      contractVersion: '1',
      event: 'reboot',
      occurredAt: iso(c.now),
      details: {},
    });
    expect(failed(checkCapture(c.text()))).toEqual(['12.2']);
  });

  it('5.3: more than 10 publishes within a second', () => {
    const c = goodCapture();
    for (let i = 0; i < 12; i++) {
      c.batch();
      c.now -= 950;
    }
    const report = checkCapture(c.text());
    expect(failed(report)).toEqual(['5.3']);
    expect(clause(report, '5.3').findings).toHaveLength(1);
  });
});

describe('checkCapture on awkward input', () => {
  it('reports an empty capture as not judged', () => {
    for (const input of ['', '\n\n', []]) {
      const report = checkCapture(input);
      expect(report.ok).toBe(false);
      expect(report.summary.fail).toBe(0);
      expect(report.input.problem).toBe('the capture holds no lines');
      expect(report.clauses.every((c) => c.status === 'not-observed')).toBe(true);
    }
  });

  it('keeps unreadable lines (bad JSON, bad base64) with their line numbers and judges the rest', () => {
    const c = goodCapture();
    const text = c.text().split('\n');
    text.splice(2, 0, '{"topic": "zw/v1/gw/x/status", "payload": ');
    text.splice(4, 0, '');
    text.splice(
      5,
      0,
      JSON.stringify({
        topic: topics.status(THING),
        payload: { base64: '***' },
        qos: 1,
        receivedAt: iso(c.now),
      }),
    );
    const report = checkCapture(text.join('\n'));
    expect(report.ok).toBe(false);
    expect(report.summary.fail).toBe(0);
    expect(report.input.unreadable).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringContaining('not JSON') }),
      expect.objectContaining({
        line: 6,
        topic: topics.status(THING),
        message: 'not a capture line: payload.base64 is not base64',
      }),
    ]);
    expect(report.input.messages).toBe(10);
    expect(clause(report, '3.1').status).toBe('pass');
  });

  it('reports an unknown or invalid thing name, and a capture naming no thing', () => {
    const text = goodCapture().text();
    expect(checkCapture(text, { thingName: 'gw-unknown' }).input.problem).toMatch(
      /no publish of gw-unknown/,
    );
    expect(checkCapture(text, { thingName: 'no spaces' }).input.problem).toMatch(
      /not a thing name/,
    );
    const elsewhere = new CaptureBuilder().publish('sensors/temp', { contractVersion: '1' });
    expect(checkCapture(elsewhere.text()).input.problem).toMatch(/name it with --thing/);
  });

  it("picks the named gateway out of an emulator's capture and judges its client id (2.2)", () => {
    const a = goodCapture();
    const b = new CaptureBuilder('gw-test-0002').status();
    const lines = [
      ...a.lines.map((l) => ({ ...l, clientId: THING, outcome: 'accepted' as const })),
      ...b.lines.map((l) => ({ ...l, clientId: 'gw-test-0002', outcome: 'accepted' as const })),
    ];
    expect(checkCapture(lines).input.problem).toMatch(/2 clients/);
    const report = checkCapture(lines, { thingName: THING });
    expect(report.ok).toBe(true);
    expect(report.input).toMatchObject({ messages: 10, otherClients: 1 });
    expect(clause(report, '2.2').status).toBe('pass');

    lines[3] = { ...lines[3]!, clientId: 'impostor' };
    const impostor = checkCapture(lines, { thingName: THING });
    expect(failed(impostor)).toEqual(['2.2']);
    expect(clause(impostor, '2.2').findings[0]).toMatchObject({ line: 4, actual: 'impostor' });
  });

  it('caps the findings of a clause and counts the rest', () => {
    const c = goodCapture();
    for (let i = 0; i < 30; i++) c.status({ contractVersion: '2' as '1' });
    const result = clause(checkCapture(c.text()), '4.1');
    expect(result.findings).toHaveLength(20);
    expect(result.omittedFindings).toBe(10);
  });
});
