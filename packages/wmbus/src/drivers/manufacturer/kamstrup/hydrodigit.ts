import { readUnsigned } from '../../../application/data-field.js';
import { genericWaterMeter } from '../../generic/generic-drivers.js';
import type { Driver, DriverInput, NamedValue } from '../../../types.js';

/*
 * B METERS HydroDigit water meters (manufacturer BMT, device types 0x06 / 0x07, CI 0x7A): the
 * standard records hold the volume and the date-time; the bytes after DIF 0x0F hold the rest,
 * announced by a contents byte. Layout as the corpus proves it (hydrodigit-001 … 007):
 *
 *   contents   bit 0 battery byte, bit 7 leak date, bit 2 backflow, bit 4 monthly data
 *   [bit 0]    1 byte battery (its voltage coding is not published; kept raw)
 *   [bit 7]    3 bytes leak date, BCD YY MM DD (hydrodigit-004: 24 04 25 = 2024-04-25)
 *   [bit 2]    4 bytes backflow volume, unsigned little-endian, 0.001 m³
 *   [bit 4]    12 × 3 bytes month-end volume, unsigned little-endian, 0.01 m³, January first;
 *              FF FF FF = no value (months before the radio module was fitted)
 *
 * Bits 1 (fraud date) and 3 appear only in telegrams whose sections are all zero, so their
 * length and place are not proven: when they are set, nothing after the battery byte is read.
 */

const BATTERY = 0x01;
const BACKFLOW = 0x04;
const MONTHLY = 0x10;
const LEAK_DATE = 0x80;
const PROVEN = BATTERY | BACKFLOW | MONTHLY | LEAK_DATE;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

function bcd(byte: number): number | undefined {
  const hi = byte >> 4;
  const lo = byte & 0x0f;
  return hi > 9 || lo > 9 ? undefined : hi * 10 + lo;
}

/** A BCD YY MM DD date; null for all zeros or anything that is not a calendar date. */
function bcdDate(bytes: Uint8Array, at: number): string | null {
  const [y, m, d] = [bcd(bytes[at]!), bcd(bytes[at + 1]!), bcd(bytes[at + 2]!)];
  if (y === undefined || m === undefined || d === undefined) return null;
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `20${pad(y)}-${pad(m)}-${pad(d)}`;
}

function manufacturerValues(data: Uint8Array, out: Record<string, NamedValue>): void {
  if (data.length < 1) return;
  const contents = data[0]!;
  out.contents = { value: contents, unit: '' };
  let i = 1;
  if (contents & BATTERY) {
    if (i + 1 > data.length) return;
    out.batteryRaw = { value: data[i]!, unit: '' };
    i += 1;
  }
  if ((contents & ~PROVEN) !== 0) return;
  if (contents & LEAK_DATE) {
    if (i + 3 > data.length) return;
    out.leakDate = { value: bcdDate(data, i), unit: '' };
    i += 3;
  }
  if (contents & BACKFLOW) {
    if (i + 4 > data.length) return;
    out.backflowVolume = { value: readUnsigned(data, i, 4) / 1000, unit: 'm3' };
    i += 4;
  }
  if (contents & MONTHLY) {
    if (i + 36 > data.length) return;
    for (const [n, month] of MONTHS.entries()) {
      const raw = readUnsigned(data, i + 3 * n, 3);
      out[`volume${month}`] = { value: raw === 0xffffff ? null : raw / 100, unit: 'm3' };
    }
  }
}

function decodeHydrodigit(input: DriverInput): Record<string, NamedValue> {
  const out = genericWaterMeter.decode(input);
  if (input.manufacturerData) manufacturerValues(input.manufacturerData, out);
  return out;
}

/** HydroDigit versions in the corpus; other BMT water meters (0x05 RFM-TX1, 0x18 IWM-TX5) differ. */
const VERSIONS: ReadonlySet<number> = new Set([0x13, 0x15, 0x17]);

export const bmetersHydrodigit: Driver = {
  name: 'bmeters-hydrodigit',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'BMT' &&
    VERSIONS.has(meter.version) &&
    (meter.deviceType === 0x06 || meter.deviceType === 0x07) &&
    ci === 0x7a,
  decode: decodeHydrodigit,
};
