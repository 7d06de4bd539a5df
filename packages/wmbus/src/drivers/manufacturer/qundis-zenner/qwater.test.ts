import { describe, expect, it } from 'vitest';
import { parseRecords } from '../../../application/records.js';
import { hexToBytes } from '../../../hex.js';
import { openFrame } from '../../../transport/open-frame.js';
import { qundisQwater } from './qwater.js';
import {
  assertNeverThrows,
  corpusCase,
  decodeCase,
  expectValues,
} from '../../../../test/driver-test-support.js';

describe('qundis-qwater', () => {
  it('reads the standard records and the flow behind BB 56 (qwater-002)', () => {
    const t = decodeCase('qwater-002');
    expect(t.driver).toBe('qundis-qwater');
    expectValues(t.values, {
      totalVolume: [105.797, 'm3'],
      targetVolume: [79.73, 'm3'],
      targetDate: ['2023-12-31'],
      lastMonthVolume: [104.787, 'm3'],
      lastMonthDate: ['2024-11-30'],
      volumeFlow: [0, 'm3/h'],
      errorDate: [null],
      meterDateTime: ['2024-12-17 15:30'],
    });
  });

  it('reads the long-header variant of the radio converter (qwater-013)', () => {
    const t = decodeCase('qwater-013');
    expect(t.driver).toBe('qundis-qwater');
    expectValues(t.values, {
      totalVolume: [120.567, 'm3'],
      targetVolume: [31.061, 'm3'],
      lastMonthVolume: [115.044, 'm3'],
      lastMonthDate: ['2022-08-31'],
    });
  });

  it('reads the walk-by telegram with the monthly deltas (qwaterv2-008)', () => {
    const t = decodeCase('qwaterv2-008');
    expect(t.driver).toBe('qundis-qwater');
    expectValues(t.values, {
      totalVolume: [139.663, 'm3'],
      targetDate: ['2022-12-31'],
      targetVolume: [127.382, 'm3'],
      lastMonthDate: ['2023-04-30'],
      lastMonthVolume: [138.163, 'm3'],
      volumeDeltaMonth1: [0.271, 'm3'],
      volumeDeltaMonth2: [0.295, 'm3'],
      volumeDeltaMonth12: [0.164, 'm3'],
      meterDateTime: ['2023-05-18 17:02'],
    });
  });

  it('gives null for the meter\'s "no value" markers (qwater-009: FFFF dates, 0x8000 deltas)', () => {
    const t = decodeCase('qwater-009');
    expectValues(t.values, {
      totalVolume: [0.066, 'm3'],
      targetDate: [null],
      targetVolume: [0, 'm3'],
      lastMonthDate: [null],
      volumeDeltaMonth1: [null, 'm3'],
    });
  });

  it('reads the radio converter walk-by telegram (qwater-004)', () => {
    expectValues(decodeCase('qwater-004').values, {
      totalVolume: [6.696, 'm3'],
      targetDate: ['2024-12-31'],
      targetVolume: [0, 'm3'],
      lastMonthDate: ['2025-04-30'],
      lastMonthVolume: [5.819, 'm3'],
    });
  });

  it('matches every value of the qwater and qwaterv2 cases that decode', () => {
    for (const id of ['qwater-001', 'qwater-003', 'qwater-005', 'qwater-010', 'qwater-018']) {
      const t = decodeCase(id);
      expect(t.driver, id).toBe('qundis-qwater');
      const exp = corpusCase(id).expected;
      expect(t.values.totalVolume?.value, id).toBeCloseTo(exp.total_m3 as number, 9);
      expect(t.values.lastMonthDate?.value, id).toBe(exp.due_17_date);
      expect(t.values.targetDate?.value, id).toBe(exp.due_date);
    }
  });

  it('reads the telegrams with a stray CRC once the records stop before it (qwater-011, -012)', () => {
    // decode() still throws FRAME_TOO_SHORT on the two stray bytes after the last record.
    for (const [id, total, flow] of [
      ['qwater-011', 1.991, 0],
      ['qwater-012', 2.048, undefined],
    ] as const) {
      const frame = openFrame(hexToBytes(corpusCase(id).telegram_hex), { key: null, crc: 'auto' });
      const parsed = parseRecords(frame.payload, { truncated: 'stop' });
      expect(parsed.truncatedAt, id).toBe(frame.payload.length - 2);
      const values = qundisQwater.decode({
        frame,
        records: parsed.records,
        manufacturerData: parsed.manufacturerData,
        key: null,
      });
      expect(values.totalVolume?.value, id).toBeCloseTo(total, 9);
      if (flow !== undefined) expect(values.volumeFlow?.value, id).toBe(flow);
    }
  });

  it('never throws on any records', () => {
    const meter = { manufacturer: 'QDS', id: '00000000', version: 0x18, deviceType: 6 };
    assertNeverThrows(qundisQwater, meter, 0x78, hexToBytes('0DFF5F35'));
    assertNeverThrows(qundisQwater, meter, 0x7a, hexToBytes('02BB56'));
    assertNeverThrows(qundisQwater, meter, 0x7a);
  });

  it('matches Qundis water meters only', () => {
    const m = { manufacturer: 'QDS', id: '1', version: 0x18, deviceType: 7 };
    expect(qundisQwater.matches(m, 0x7a)).toBe(true);
    expect(qundisQwater.matches({ ...m, deviceType: 8 }, 0x7a)).toBe(false);
    expect(qundisQwater.matches({ ...m, manufacturer: 'ZRI' }, 0x7a)).toBe(false);
    expect(qundisQwater.matches(m, 0xa0)).toBe(false);
  });
});
