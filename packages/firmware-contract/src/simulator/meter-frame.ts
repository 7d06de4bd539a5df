import { encode, type RecordSpec } from '@zaehlwerk/wmbus';
import { localDateTimeText } from './meter-clock.js';
import { readMeter, type MeterReading } from './meter-reading.js';
import { accessNumber, messageCounter } from './transmission-schedule.js';
import type { VirtualMeter } from './virtual-meter.js';

/**
 * The frame a meter sends: its registers as OMS data records with fixed
 * VIFs (a meter does not change its units from one frame to the next),
 * encrypted with its own key in its security mode.
 */

/** VIFs of EN 13757-3 the simulated meters use. */
const VIF = {
  energyKwh: 0x06,
  volumeLitre: 0x13,
  volume10Litre: 0x14,
  powerW: 0x2b,
  volumeFlowLitrePerHour: 0x3b,
  flowTemperatureTenth: 0x5a,
  returnTemperatureTenth: 0x5e,
  date: 0x6c,
  dateTime: 0x6d,
  hcaUnits: 0x6e,
} as const;

/** The data records of a reading, as the meter lays them out; `meterTime` is its clock (local). */
export function meterRecords(reading: MeterReading, meterTime: string): RecordSpec[] {
  const clock: RecordSpec = { vif: [VIF.dateTime], value: meterTime, coding: 'dateTimeF' };
  const dueDate: RecordSpec = {
    vif: [VIF.date],
    value: reading.dueDate,
    coding: 'dateG',
    storage: 1,
  };
  switch (reading.kind) {
    case 'heat-cost-allocator':
      return [
        { vif: [VIF.hcaUnits], value: reading.currentUnits, coding: 'int24' },
        dueDate,
        { vif: [VIF.hcaUnits], value: reading.dueDateUnits, coding: 'int24', storage: 1 },
        clock,
      ];
    case 'heat-meter':
      return [
        // Energy VIFs count in Wh: 0x06 is 10^3 Wh, so the value goes in as Wh.
        { vif: [VIF.energyKwh], value: reading.energyKwh * 1000, coding: 'int32' },
        { vif: [VIF.volume10Litre], value: reading.volumeM3, coding: 'int32' },
        { vif: [VIF.powerW], value: reading.powerW, coding: 'int24' },
        { vif: [VIF.volumeFlowLitrePerHour], value: reading.volumeFlowM3h, coding: 'int24' },
        { vif: [VIF.flowTemperatureTenth], value: reading.flowTemperatureC, coding: 'int16' },
        { vif: [VIF.returnTemperatureTenth], value: reading.returnTemperatureC, coding: 'int16' },
        dueDate,
        {
          vif: [VIF.energyKwh],
          value: reading.dueDateEnergyKwh * 1000,
          coding: 'int32',
          storage: 1,
        },
        clock,
      ];
    case 'water-meter':
      return [
        { vif: [VIF.volumeLitre], value: reading.volumeM3, coding: 'int32' },
        dueDate,
        { vif: [VIF.volumeLitre], value: reading.dueDateVolumeM3, coding: 'int32', storage: 1 },
        clock,
      ];
  }
}

export interface MeterFrame {
  /** The frame from the L field on, as the receiver delivers it. */
  bytes: Uint8Array;
  reading: MeterReading;
  accessNumber: number;
  /** Mode 7 only. */
  messageCounter?: number;
}

/** Format B: blocks 1 and 2 with their CRC, when a third block follows. */
const B_BLOCKS_1_2 = 128;

/**
 * A format-B frame without its CRCs, L unchanged (format B's L counts them):
 * what receivers that strip CRCs deliver. The codec keeps its block layout
 * internal, so the two cases of EN 13757-4 are spelt out here.
 */
function stripFormatB(frame: Uint8Array): Uint8Array {
  if (frame.length <= B_BLOCKS_1_2) return frame.slice(0, frame.length - 2);
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, B_BLOCKS_1_2 - 2));
  out.set(frame.subarray(B_BLOCKS_1_2, frame.length - 2), B_BLOCKS_1_2 - 2);
  return out;
}

/**
 * The k-th frame of a meter, sent at `utcMs`, as a receiver hands it on:
 * with the link-layer CRCs of the meter's frame format (`present`, as on
 * air) or without them (`stripped`, as most receivers deliver frames). The L
 * field is the meter's either way.
 */
export function buildMeterFrame(
  meter: VirtualMeter,
  k: number,
  utcMs: number,
  crc: 'present' | 'stripped',
): MeterFrame {
  const reading = readMeter(meter, utcMs);
  const acc = accessNumber(meter, k);
  const counter = meter.securityMode === 7 ? messageCounter(meter, utcMs) : undefined;
  // Format A's L leaves the CRCs out, so the codec's frame without CRCs is the stripped one;
  // format B's L counts them, so the frame is made with them and they are removed after.
  const onAir = meter.frameFormat === 'B' || crc === 'present';
  const bytes = encode({
    meter: {
      manufacturer: meter.manufacturer,
      id: meter.id,
      version: meter.version,
      deviceType: meter.deviceType,
    },
    accessNumber: acc,
    records: meterRecords(reading, localDateTimeText(utcMs)),
    security:
      counter === undefined
        ? { mode: 5, key: meter.key }
        : { mode: 7, key: meter.key, messageCounter: counter },
    crc: onAir ? meter.frameFormat : 'none',
  });
  return {
    bytes: meter.frameFormat === 'B' && crc === 'stripped' ? stripFormatB(bytes) : bytes,
    reading,
    accessNumber: acc,
    ...(counter === undefined ? {} : { messageCounter: counter }),
  };
}
