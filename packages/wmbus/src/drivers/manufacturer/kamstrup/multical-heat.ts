import { scaleByPowerOfTen } from '../../../application/data-field.js';
import { genericHeatMeter } from '../../generic/generic-drivers.js';
import type { DataRecord, Driver, DriverInput, NamedValue } from '../../../types.js';
import {
  currentVolume,
  findManufacturerRecord,
  KAMSTRUP,
  KAMSTRUP_RECORD_CIS,
  volumeExponent,
} from './kamstrup-records.js';

/*
 * Kamstrup MULTICAL heat and cooling meters (302, 303, 403, 602, 603, 803 and the wired M-Bus
 * modules of 403/603): standard records plus Kamstrup's manufacturer-specific VIFEs.
 *
 * - VIF 0xFF, VIFE 0x07 / 0x08: the registers E8 and E9 (Kamstrup technical descriptions of
 *   MULTICAL 403, 603, 803: E8 accumulates m³ × t1, E9 m³ × t2, with every volume count). Their
 *   resolution follows the volume V1: m³·°C × 10 for 0.001 m³, m³·°C for 0.01 m³, × 0.1 for
 *   0.1 m³, × 0.01 for 1 m³; one count is 100 × the volume resolution in m³·°C. We read that
 *   resolution off the VIF of the frame's volume record. The corpus confirms it: E8 / V1 is the
 *   volume-weighted mean flow temperature, and with this scaling it is 18 °C for the cooling meter
 *   kamheat-007 (t1 17 °C), 66 °C for kamheat-013 (t1 65 °C), 78 °C for kamheat-015 (t1 81 °C,
 *   volume in whole m³), where the unscaled count would give 180 °C, 66 °C and 0.8 °C.
 * - The same VIFEs behind the dimensionless VIF 0x6E (0xEE 0xFF 0x07 / 0x08), as the MULTICAL
 *   602 module sends them: by their code the same E8 / E9 registers, and the values agree (E8/V1
 *   66 °C, E9/V1 44 °C against t1 59 °C, t2 46 °C in kamheat-009). wmbusmeters calls them the
 *   pulse counters VA / VB; we keep the raw register under both readings' common ground:
 *   forwardEnergyRegister / returnEnergyRegister (unit '').
 * - VIF 0xFF, VIFE 0x22: the info code, bit format as in the MULTICAL 403 technical description
 *   (7.7.1), checked against the corpus (kamheat-011: 0x10060 = t1 and t2 below range, V1
 *   communication error; kamheat-029: 0x200 = wrong flow direction).
 */

/** Info code bits (MULTICAL 403/603/803 bit format) and our names for them. */
const INFO_BITS: readonly (readonly [number, string])[] = [
  [0x1, 'infoNoVoltageSupply'],
  [0x2, 'infoLowBattery'],
  [0x4, 'infoExternalAlarm'],
  [0x8, 'infoT1AboveRange'],
  [0x10, 'infoT2AboveRange'],
  [0x20, 'infoT1BelowRange'],
  [0x40, 'infoT2BelowRange'],
  [0x80, 'infoInvalidTemperatureDifference'],
  [0x100, 'infoV1Air'],
  [0x200, 'infoV1WrongFlowDirection'],
  [0x800, 'infoV1AboveMaximumFlow'],
  [0x1000, 'infoPulseInputALeak'],
  [0x2000, 'infoPulseInputBLeak'],
  [0x4000, 'infoPulseInputAExternalAlarm'],
  [0x8000, 'infoPulseInputBExternalAlarm'],
  [0x10000, 'infoV1CommunicationError'],
];

/** Device types of heat and cooling meters: heat out/in, cooling out/in, combined. */
const HEAT_TYPES: ReadonlySet<number> = new Set([0x04, 0x0a, 0x0b, 0x0c, 0x0d]);

function registerOf(records: readonly DataRecord[], vife: 'FF07' | 'FF08', storage: number) {
  return (
    findManufacturerRecord(records, { vifText: vife, storage }) ??
    findManufacturerRecord(records, { vifText: vife, quantity: 'hcaUnits', storage })
  );
}

/** E8 / E9 in m³·°C, from the raw count and the volume resolution; undefined when unknown. */
function inCubicMetreDegrees(count: number | null, exponent: number | undefined) {
  if (exponent === undefined) return undefined;
  if (count === null) return null;
  return scaleByPowerOfTen(count, exponent + 2);
}

function energyRegisters(records: readonly DataRecord[], out: Record<string, NamedValue>): void {
  const volume = currentVolume(records);
  const exponent = volume ? volumeExponent(volume) : undefined;
  const registers = [
    ['forwardEnergy', 'FF07', 0],
    ['returnEnergy', 'FF08', 0],
    ['targetForwardEnergy', 'FF07', 1],
    ['targetReturnEnergy', 'FF08', 1],
  ] as const;
  for (const [name, vife, storage] of registers) {
    const r = registerOf(records, vife, storage);
    if (r === undefined || (typeof r.value !== 'number' && r.value !== null)) continue;
    out[`${name}Register`] = { value: r.value, unit: '' };
    const scaled = inCubicMetreDegrees(r.value, exponent);
    if (scaled !== undefined) out[name] = { value: scaled, unit: 'm3·°C' };
  }
}

/** Integer sizes by DIF data field (EN 13757-3 table 4). */
const INTEGER_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 3, 4: 4, 6: 6, 7: 8 };

/** A bit field's value: its data bytes read unsigned (a type B integer reads 0x80000000 as negative). */
function unsignedValue(r: DataRecord): number {
  const size = INTEGER_SIZE[r.raw[0]! & 0x0f];
  if (size === undefined || size > 6 || r.raw.length < size) return r.value as number;
  let v = 0;
  for (let i = r.raw.length - 1; i >= r.raw.length - size; i--) v = v * 256 + r.raw[i]!;
  return v;
}

function infoCodes(records: readonly DataRecord[], out: Record<string, NamedValue>): void {
  const r = findManufacturerRecord(records, { vifText: 'FF22' });
  if (r === undefined || typeof r.value !== 'number') return;
  const code = unsignedValue(r);
  out.infoCodes = { value: code, unit: '' };
  for (const [bit, name] of INFO_BITS) {
    out[name] = { value: code % (bit * 2) >= bit, unit: '' };
  }
}

function decodeHeat(input: DriverInput): Record<string, NamedValue> {
  const out = genericHeatMeter.decode(input);
  energyRegisters(input.records, out);
  infoCodes(input.records, out);
  return out;
}

export const kamstrupMulticalHeat: Driver = {
  name: 'kamstrup-multical-heat',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === KAMSTRUP &&
    HEAT_TYPES.has(meter.deviceType) &&
    KAMSTRUP_RECORD_CIS.has(ci),
  decode: decodeHeat,
};
