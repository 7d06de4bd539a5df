import { genericWaterMeter } from '../../generic/generic-drivers.js';
import type { Driver, DriverInput, NamedValue } from '../../../types.js';

/*
 * Ecomess Picoflux AiR water meters (manufacturer ECM, version 0x05, water 0x07, CI 0x7A):
 * standard records, plus a leak alarm in the manufacturer bits of the TPL status byte.
 * The corpus case picoflux-003 (status 0x63, "leak with flow both below and above the 100 l/h
 * limit") against picoflux-001 (status 0x00, same data) proves that bits 5 and 6 are the two
 * leak-flow alarms; which of them is the low and which the high flow is not proven (both are
 * set in the one case), so both are reported together as alarmLeak, and raw as leakFlowBits.
 */
const LEAK_BITS = 0x60;

function decodePicoflux(input: DriverInput): Record<string, NamedValue> {
  const out = genericWaterMeter.decode(input);
  const status = input.frame.status;
  if (status) {
    out.alarmLeak = { value: (status.raw & LEAK_BITS) !== 0, unit: '' };
    out.leakFlowBits = { value: (status.raw & LEAK_BITS) >> 5, unit: '' };
  }
  return out;
}

export const ecomessPicoflux: Driver = {
  name: 'ecomess-picoflux',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'ECM' &&
    meter.version === 0x05 &&
    meter.deviceType === 0x07 &&
    ci === 0x7a,
  decode: decodePicoflux,
};
