/**
 * B METERS Hydroclima heat cost allocators (manufacturer BMP, device type 0x08): the standard
 * records hold the current value and the set day (date and value at storage 1); the bytes
 * after DIF 0x0F hold temperatures, a history and the running total. Their first byte names
 * the layout; the two known ones, as the corpus proves them (hydroclima-001,
 * hydroclimav2-001 … 003). Temperatures are signed 16-bit little-endian in 0.01 °C,
 * 0x8000 for "no value"; consumptions unsigned 16-bit little-endian in HCA units.
 *
 *   layout 0x10 (24 bytes)                layout 0x11 (47 bytes)
 *    1  status flags (16 bit)              1  status flags (16 bit)
 *    7  average ambient temperature        9  average heater temperature
 *    9  maximum ambient temperature       11  average ambient temperature
 *   15  average ambient, last month       13  maximum ambient temperature
 *   17  average heater, last month        17  average heater, last month
 *   21  total consumption                 19  average ambient, last month
 *                                         21  consumption history 1 … 4 (2 bytes each)
 *                                         29  ambient temperature history 1 … 3
 *                                         44  total consumption
 *
 * History entry 1 is the newest; in hydroclimav2-002 entry 2 equals the value the records
 * give for the set day. The telegram gives no date per entry, so none is named. Other
 * offsets (a date-time-like field at 3, and 15, 35 … 43 of layout 0x11) are not proven and
 * are left out; other layouts (hydroclima-002 sends 0x9D) are not read.
 */
import { readSigned, readUnsigned } from '../../../application/data-field.js';
import { genericHeatCostAllocator } from '../../generic/generic-drivers.js';
import type { Driver, DriverInput, NamedValue } from '../../../types.js';
import { named } from '../../support/named.js';

type Field = readonly [name: string, offset: number, kind: 'temperature' | 'hca' | 'flags'];

const LAYOUTS: Record<number, { length: number; fields: readonly Field[] }> = {
  0x10: {
    length: 24,
    fields: [
      ['statusFlags', 1, 'flags'],
      ['averageAmbientTemperature', 7, 'temperature'],
      ['maxAmbientTemperature', 9, 'temperature'],
      ['averageAmbientTemperatureLastMonth', 15, 'temperature'],
      ['averageHeaterTemperatureLastMonth', 17, 'temperature'],
      ['totalConsumption', 21, 'hca'],
    ],
  },
  0x11: {
    length: 47,
    fields: [
      ['statusFlags', 1, 'flags'],
      ['averageHeaterTemperature', 9, 'temperature'],
      ['averageAmbientTemperature', 11, 'temperature'],
      ['maxAmbientTemperature', 13, 'temperature'],
      ['averageHeaterTemperatureLastMonth', 17, 'temperature'],
      ['averageAmbientTemperatureLastMonth', 19, 'temperature'],
      ['historyConsumption1', 21, 'hca'],
      ['historyConsumption2', 23, 'hca'],
      ['historyConsumption3', 25, 'hca'],
      ['historyConsumption4', 27, 'hca'],
      ['historyAmbientTemperature1', 29, 'temperature'],
      ['historyAmbientTemperature2', 31, 'temperature'],
      ['historyAmbientTemperature3', 33, 'temperature'],
      ['totalConsumption', 44, 'hca'],
    ],
  },
};

function fieldValue(data: Uint8Array, offset: number, kind: Field[2]): NamedValue {
  if (kind === 'flags') return named(readUnsigned(data, offset, 2));
  if (kind === 'hca') return named(readUnsigned(data, offset, 2), 'HCA');
  const raw = readSigned(data, offset, 2);
  return named(raw === -0x8000 ? null : raw / 100, '°C');
}

function manufacturerValues(data: Uint8Array | null): Record<string, NamedValue> {
  const layout = data && data.length > 0 ? LAYOUTS[data[0]!] : undefined;
  if (!data || !layout || data.length < layout.length) return {};
  const out: Record<string, NamedValue> = { layout: named(data[0]!) };
  for (const [name, offset, kind] of layout.fields) out[name] = fieldValue(data, offset, kind);
  return out;
}

export const bmetersHydroclima: Driver = {
  name: 'bmeters-hydroclima',
  priority: 30,
  matches: (meter, ci) =>
    meter.manufacturer === 'BMP' &&
    meter.deviceType === 0x08 &&
    (ci === 0x7a || ci === 0x72 || ci === 0x78),
  decode: (input: DriverInput) => ({
    ...genericHeatCostAllocator.decode(input),
    ...manufacturerValues(input.manufacturerData),
  }),
};
