import { describe, expect, it } from 'vitest';
import {
  capturePayload,
  formatCaptureLine,
  isBase64Payload,
  parseCaptureLine,
  payloadBytes,
  type CaptureLine,
} from './capture.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('capture format', () => {
  it('keeps a JSON payload as its value, and anything else as the bytes sent', () => {
    expect(capturePayload(bytes('{"gatewaySeq":1}'))).toEqual({ gatewaySeq: 1 });
    // Not JSON, not UTF-8, empty, or JSON behind a byte-order mark: "as sent" means bytes.
    for (const sent of [
      bytes('{"gatewaySeq":'),
      new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]),
      new Uint8Array(),
      bytes('\uFEFF{"gatewaySeq":1}'),
    ]) {
      const payload = capturePayload(sent);
      expect(isBase64Payload(payload)).toBe(true);
      expect(payloadBytes(payload)).toEqual(sent);
    }
  });

  it('reads back what it writes', () => {
    const line: CaptureLine = {
      topic: '$aws/rules/zw_ingest/zw/v1/gw/gw-1/telegrams',
      payload: capturePayload(bytes('{"frames":[]}')),
      qos: 1,
      receivedAt: '2025-01-15T06:00:00.000Z',
      outcome: 'accepted',
    };
    const text = formatCaptureLine(line);
    expect(text).not.toContain('\n');
    expect(parseCaptureLine(text)).toEqual({ ok: true, value: line });
  });

  it('says what is wrong with a line it cannot read, without throwing', () => {
    const base = { topic: 't', payload: {}, qos: 1, receivedAt: '2025-01-15T06:00:00Z' };
    const problems = [
      ['{', /not JSON/],
      ['[1]', /not a JSON object/],
      [JSON.stringify({ ...base, topic: '' }), /topic/],
      [JSON.stringify({ topic: 't', qos: 1, receivedAt: base.receivedAt }), /payload is missing/],
      [JSON.stringify({ ...base, qos: 3 }), /qos/],
      [JSON.stringify({ ...base, receivedAt: 'yesterday' }), /receivedAt/],
    ] as const;
    for (const [text, error] of problems) {
      const result = parseCaptureLine(text);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.error).toMatch(error);
    }
  });

  it('refuses base64 that is not base64', () => {
    expect(payloadBytes({ base64: 'not base64!' })).toBeNull();
    expect(payloadBytes({ base64: 'e30=' })).toEqual(bytes('{}'));
  });
});
