import { decode } from '@zaehlwerk/wmbus';
import { describe, expect, it } from 'vitest';
import { validate } from '../validate.js';
import { createFleet } from './fleet.js';
import { buildMeterFrame } from './meter-frame.js';
import { messageCounter, transmissionTime } from './transmission-schedule.js';

const AT = Date.parse('2025-01-15T06:00:00Z');

describe('buildMeterFrame', () => {
  const fleet = createFleet({ count: 20, seed: 6 });

  it('makes frames that decrypt with the meter key to its reading, and not without it', () => {
    for (const meter of fleet) {
      const { bytes, reading } = buildMeterFrame(meter, 3, AT, 'stripped');
      const { telegram } = decode(bytes, { key: meter.key });
      expect(telegram.security.mode).toBe(meter.securityMode);
      expect(telegram.manufacturer).toBe(meter.manufacturer);
      expect(telegram.id).toBe(meter.id);
      const first = telegram.records[0]!;
      const expected =
        reading.kind === 'heat-cost-allocator'
          ? reading.currentUnits
          : reading.kind === 'heat-meter'
            ? reading.energyKwh * 1000
            : reading.volumeM3;
      expect(first.value).toBe(expected);
      expect(() => decode(bytes, { key: '00'.repeat(16) })).toThrow();
    }
  });

  it('hands frames on as a receiver does: L as sent, CRCs as stated, fitting the validator', () => {
    for (const meter of fleet) {
      for (const crc of ['stripped', 'present'] as const) {
        const { bytes } = buildMeterFrame(meter, 1, AT, crc);
        const frame = Buffer.from(bytes).toString('hex').toUpperCase();
        const batch = {
          contractVersion: '1',
          gatewaySeq: 0,
          sentAt: '2025-01-15T06:00:01Z',
          frames: [
            {
              frame,
              crc,
              frameFormat: meter.frameFormat,
              receivedAt: '2025-01-15T06:00:00Z',
              rssi: -80,
              mode: meter.radioMode,
            },
          ],
        };
        expect(validate('telegram-batch', batch)).toMatchObject({ ok: true });
      }
      // Receivers strip format B's CRCs and leave L alone; the codec still opens it.
      const stripped = buildMeterFrame(meter, 1, AT, 'stripped').bytes;
      expect(decode(stripped, { key: meter.key, crc: 'stripped' }).telegram.id).toBe(meter.id);
    }
  });

  it('raises the mode-7 counter with time, whatever interval the meter is made to send at', () => {
    const meter = fleet.find((m) => m.securityMode === 7)!;
    const times = [
      transmissionTime(meter, 100_000),
      transmissionTime(meter, 100_001),
      transmissionTime(meter, 10_000_000, 2000),
      transmissionTime(meter, 10_000_001, 2000),
    ].sort((a, b) => a - b);
    const counters = times.map((t) => messageCounter(meter, t));
    counters.forEach((c, i) => {
      if (i > 0) expect(c).toBeGreaterThan(counters[i - 1]!);
    });
    const { bytes } = buildMeterFrame(meter, 5, AT, 'stripped');
    expect(decode(bytes, { key: meter.key }).telegram.security).toMatchObject({
      mode: 7,
      verified: true,
      messageCounter: messageCounter(meter, AT),
    });
  });
});
