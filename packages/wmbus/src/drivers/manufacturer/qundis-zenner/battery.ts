/**
 * Water meters whose battery value needs the meter's own reading:
 *
 * - Axioma Qalcosonic W1 / Q400 (AXI, water): the record `01 FD 74` (EN 13757-3: remaining
 *   battery lifetime in days) holds the remaining battery capacity in percent.
 * - Diehl Hydrus (DME 0x70), Aquametro Topas ES KR (AMT 0xF1): remaining lifetime in days
 *   (`FD 74`), also given in years of 365.2425 days (the mean Gregorian year) as
 *   `batteryRemainingYears`.
 * - GWF water meters: manufacturer data after DIF 0x0F of type 0x01: byte 1 status (bit 5
 *   battery low), byte 2 bits 7–4 the remaining battery lifetime in whole years (0xE3 with
 *   `FD 74` = 5301 days: 14). Other types are not decoded; without them the years come
 *   from `FD 74` as above.
 */
import { genericWaterMeter } from '../../generic/generic-drivers.js';
import type { DataRecord, Driver, DriverInput, MeterAddress, NamedValue } from '../../../types.js';
import { named } from '../../support/named.js';

const MEAN_YEAR_DAYS = 365.2425;

function batteryRecord(records: readonly DataRecord[]): DataRecord | undefined {
  return records.find(
    (r) =>
      r.quantity === 'remainingBatteryLife' &&
      r.unit === 'd' &&
      r.storage === 0 &&
      r.tariff === 0 &&
      r.subunit === 0 &&
      r.function === 'instantaneous' &&
      r.modifiers.length === 0,
  );
}

function isWater(meter: MeterAddress): boolean {
  return meter.deviceType === 0x06 || meter.deviceType === 0x07 || meter.deviceType === 0x16;
}

const RECORD_CIS = new Set([0x72, 0x7a]);

export const axiomaWater: Driver = {
  name: 'axioma-water',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'AXI' && meter.deviceType === 0x07 && RECORD_CIS.has(ci),
  decode(input: DriverInput): Record<string, NamedValue> {
    const out = genericWaterMeter.decode(input);
    const battery = batteryRecord(input.records);
    const value = battery?.value;
    if (battery) out.batteryPercent = named(typeof value === 'number' ? value : null, '%');
    return out;
  },
};

function yearsOf(input: DriverInput): Record<string, NamedValue> {
  const value = batteryRecord(input.records)?.value;
  if (typeof value !== 'number') return {};
  return {
    batteryRemainingDays: named(value, 'd'),
    batteryRemainingYears: named(value / MEAN_YEAR_DAYS, 'year'),
  };
}

const BATTERY_IN_YEARS: readonly { manufacturer: string; version: number }[] = [
  { manufacturer: 'DME', version: 0x70 },
  { manufacturer: 'AMT', version: 0xf1 },
];

export const batteryInYears: Driver = {
  name: 'water-battery-years',
  priority: 30,
  matches: (meter, ci) =>
    RECORD_CIS.has(ci) &&
    isWater(meter) &&
    BATTERY_IN_YEARS.some(
      (m) => m.manufacturer === meter.manufacturer && m.version === meter.version,
    ),
  decode: (input) => ({ ...genericWaterMeter.decode(input), ...yearsOf(input) }),
};

/** GWF manufacturer data of type 0x01 (see above). */
function gwfStatus(data: Uint8Array | null): Record<string, NamedValue> {
  if (!data || data.length < 3 || data[0] !== 0x01) return {};
  return {
    batteryLow: named((data[1]! & 0x20) !== 0),
    batteryRemainingYears: named(data[2]! >> 4, 'year'),
  };
}

export const gwfWater: Driver = {
  name: 'gwf-water',
  priority: 31,
  matches: (meter, ci) =>
    meter.manufacturer === 'GWF' &&
    (meter.deviceType === 0x0e || isWater(meter)) &&
    RECORD_CIS.has(ci),
  decode: (input) => ({
    ...genericWaterMeter.decode(input),
    ...yearsOf(input),
    // The meter's own whole years, where it sends them.
    ...gwfStatus(input.manufacturerData),
  }),
};
