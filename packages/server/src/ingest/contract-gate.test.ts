import { topics, validate, type TelegramBatch } from '@zaehlwerk/firmware-contract';
import { describe, expect, it } from 'vitest';
import type { TelegramBatchDelivery } from '../domain/ports.js';
import { createContractGate } from './contract-gate.js';

// OMS Vol. 2 Annex N example frame, CRCs stripped (format A).
const FRAME =
  '2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3';
const AT = new Date('2025-01-15T06:01:00Z');

function batch(overrides: Partial<TelegramBatch> = {}): TelegramBatch {
  return {
    contractVersion: '1',
    gatewaySeq: 41,
    sentAt: '2025-01-15T06:00:59Z',
    frames: [
      { frame: FRAME, crc: 'stripped', receivedAt: '2025-01-15T06:00:10Z', rssi: -71, mode: 'T1' },
    ],
    ...overrides,
  };
}

function delivery(payload: unknown): TelegramBatchDelivery {
  return {
    thingName: 'gw-0001',
    topic: 'zw/v1/gw/gw-0001/telegrams',
    payload:
      payload instanceof Uint8Array ? payload : new TextEncoder().encode(JSON.stringify(payload)),
    receivedAt: AT.toISOString(),
  };
}

function gate() {
  const published: { topic: string; payload: Record<string, unknown> }[] = [];
  const handedOn: TelegramBatch[] = [];
  const warnings: string[] = [];
  const { handle, stats } = createContractGate({
    publish: async (topic, payload) => {
      published.push({ topic, payload: JSON.parse(payload) as Record<string, unknown> });
    },
    onBatch: async (b) => {
      handedOn.push(b);
    },
    log: { warn: (_f, m) => warnings.push(m), debug: () => undefined },
    now: () => AT,
  });
  return { handle, stats, published, handedOn, warnings };
}

describe('contract gate', () => {
  it('hands a batch that keeps the contract on, and answers nothing', async () => {
    const g = gate();
    await g.handle(delivery(batch()));
    expect(g.handedOn).toEqual([batch()]);
    expect(g.published).toEqual([]);
    expect(g.stats()).toEqual({ accepted: 1, rejected: {} });
  });

  it.each([
    ['INVALID_JSON', new TextEncoder().encode('{"contractVersion":"1",'), undefined],
    ['SCHEMA_VIOLATION', batch({ gatewaySeq: -1 }), undefined],
    ['SCHEMA_VIOLATION', { ...batch(), thingName: 'gw-0001' }, 41],
    [
      'PAYLOAD_TOO_LARGE',
      // 100 frames of 282 bytes with microsecond times: just over the 65 536 bytes.
      batch({
        frames: Array(100).fill({
          ...batch().frames[0],
          frame: FRAME.repeat(6),
          receivedAt: '2025-01-15T06:00:10.123456Z',
        }),
      }),
      41,
    ],
    [
      'FRAME_INVALID',
      batch({ frames: [{ ...batch().frames[0]!, frame: `FF${FRAME.slice(2)}` }] }),
      41,
    ],
  ] as const)(
    'refuses with %s, answers on the errors topic, and hands nothing on',
    async (code, payload, seq) => {
      const g = gate();
      await g.handle(delivery(payload));
      expect(g.handedOn).toEqual([]);
      expect(g.published).toHaveLength(1);
      const [answer] = g.published;
      expect(answer!.topic).toBe(topics.errors('gw-0001'));
      expect(answer!.payload).toMatchObject({
        code,
        topic: topics.telegrams('gw-0001'),
        retry: false,
        at: AT.toISOString(),
      });
      expect(answer!.payload.gatewaySeq).toBe(seq);
      // The answer itself keeps the contract, whatever the batch was.
      expect(validate('error-response', answer!.payload)).toMatchObject({ ok: true });
      expect(g.stats().rejected[code]).toBe(1);
    },
  );

  it('keeps the PUBACK back only when the rest of the ingest fails', async () => {
    const failing = createContractGate({
      publish: async () => undefined,
      onBatch: async () => {
        throw new Error('table unavailable');
      },
      log: { warn: () => undefined, debug: () => undefined },
    });
    await expect(failing.handle(delivery(batch()))).rejects.toThrow('table unavailable');

    const unreachable = createContractGate({
      publish: async () => {
        throw new Error('gateway offline');
      },
      onBatch: async () => undefined,
      log: { warn: () => undefined, debug: () => undefined },
    });
    // A refused batch is acknowledged even when its answer cannot be delivered.
    await expect(unreachable.handle(delivery(new Uint8Array([0xff])))).resolves.toBeUndefined();
  });
});
