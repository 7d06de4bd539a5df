import { bytesToHex } from '@zaehlwerk/wmbus';
import type { RadioMode } from '../types.js';
import { buildMeterFrame } from './meter-frame.js';
import { normalHash, unitHash } from './prng.js';
import { meterAddress, type VirtualMeter } from './virtual-meter.js';

/**
 * What the gateway's receiver makes of a transmission: the frame, the mode it
 * came in, its signal strength, and whether its CRCs checked. Signal
 * strength varies from frame to frame around the meter's base (fading, doors,
 * people); weak frames are corrupted more often.
 */

export interface RadioFrame {
  /** Manufacturer and id from the link header, `QDS12345678`. */
  meter: string;
  /** The frame as received, hex, upper case. */
  frame: string;
  crc: 'present' | 'stripped';
  frameFormat: 'A' | 'B';
  mode: RadioMode;
  /** dBm, whole numbers as receivers report them. */
  rssi: number;
  receivedAtMs: number;
  /** false when a link-layer CRC failed: the gateway counts and drops it (clause 10.4). */
  intact: boolean;
}

const SALT = { rssi: 31, fade: 32, corrupt: 33 } as const;

export function rssiOf(meter: VirtualMeter, k: number): number {
  const fade = unitHash(meter.seed, k, SALT.fade) < 0.03 ? -8 : 0;
  const rssi = meter.rssiBaseDbm + 2.5 * normalHash(meter.seed, k, SALT.rssi) + fade;
  return Math.max(-120, Math.min(-30, Math.round(rssi)));
}

function corruptChance(rssi: number): number {
  if (rssi < -100) return 0.04;
  if (rssi < -95) return 0.01;
  return 0.002;
}

/** Whether the k-th transmission of a meter arrives damaged (its CRC fails). */
export function corrupted(meter: VirtualMeter, k: number): boolean {
  return unitHash(meter.seed, k, SALT.corrupt) < corruptChance(rssiOf(meter, k));
}

/**
 * The k-th transmission of a meter as the receiver gets it at `utcMs`. A
 * damaged one is not encrypted at all: the gateway drops it on its CRC
 * before anyone could look inside, so the frame is left empty.
 */
export function receive(
  meter: VirtualMeter,
  k: number,
  utcMs: number,
  crc: 'present' | 'stripped',
): RadioFrame {
  const intact = !corrupted(meter, k);
  return {
    meter: meterAddress(meter),
    frame: intact ? bytesToHex(buildMeterFrame(meter, k, utcMs, crc).bytes) : '',
    crc,
    frameFormat: meter.frameFormat,
    mode: meter.radioMode,
    rssi: rssiOf(meter, k),
    receivedAtMs: utcMs,
    intact,
  };
}
