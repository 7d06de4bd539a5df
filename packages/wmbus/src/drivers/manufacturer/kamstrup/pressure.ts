import { genericRecords } from '../../generic/generic-drivers.js';
import { findRecord } from '../../record-names.js';
import type { Driver, DriverInput, NamedValue } from '../../../types.js';
import { findManufacturerRecord, KAMSTRUP, KAMSTRUP_RECORD_CIS } from './kamstrup-records.js';

/*
 * Kamstrup pressure sensor (device type 0x18): current, minimum and maximum pressure in
 * standard records, two real values under Kamstrup's VIFEs 0x09 and 0x0A (wmbusmeters calls
 * them the alfa and beta counters; their meaning is not published, so they keep those names
 * and no unit), and the error flags.
 */
const PRESSURE = 0x18;

function decodePressure(input: DriverInput): Record<string, NamedValue> {
  const out = genericRecords.decode(input);
  const { records } = input;
  const named = [
    ['pressure', findRecord(records, { quantity: 'pressure' })],
    ['minPressure', findRecord(records, { quantity: 'pressure', function: 'minimum' })],
    ['maxPressure', findRecord(records, { quantity: 'pressure', function: 'maximum' })],
    ['errorFlags', findRecord(records, { quantity: 'errorFlags' })],
    ['alfaCounter', findManufacturerRecord(records, { vifText: 'FF09' })],
    ['betaCounter', findManufacturerRecord(records, { vifText: 'FF0A' })],
  ] as const;
  for (const [name, r] of named) {
    if (r && (typeof r.value === 'number' || r.value === null)) {
      out[name] = { value: r.value, unit: r.unit };
    }
  }
  return out;
}

export const kamstrupPressure: Driver = {
  name: 'kamstrup-pressure',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === KAMSTRUP && meter.deviceType === PRESSURE && KAMSTRUP_RECORD_CIS.has(ci),
  decode: decodePressure,
};
