/**
 * Apator layouts without encryption (manufacturers APT and APA).
 *
 * AT-WMBUS-08 and AT-WMBUS-17-2 water meter radios (APT, CI 0xA0): p[0..3]
 * is the total volume (uint32 LE), in thirds of a litre for the -08 (device
 * types 0x03, 0x0F) and, as the corpus has it, in thirds of a cubic metre
 * for the 17-2 (device type 0x11).
 *
 * E-ITN 30.51 heat cost allocators (APA or APT, device type 0x08): the body
 * follows CI 0xA0 directly, or CI 0xB6 + length byte + that many bytes of
 * a header + 0xA0. Body:
 *   b[0..1]    start of the billing season, a 16-bit packed date (day bits
 *              0–4, month bits 5–8, year since 2000 bits 9–15); the year is
 *              0: the season starts on that day every year
 *   b[3..4]    consumption of the previous season, HCA units (uint16 LE)
 *   b[5..6]    date the electronic seal was broken (packed date; 0: intact)
 *   b[7..8]    consumption of the current season, HCA units
 *   b[9..10]   current date (packed date)
 *   b[11..12]  average room temperature of the previous season, 1/256 °C
 *   b[13..14]  average room temperature of the current season, 1/256 °C
 */
import type { Driver, DriverInput, MeterAddress, NamedValue } from '../../types.js';
import { WmbusError } from '../../wmbus-error.js';
import { requireLength, u16le, u32le } from '../support/bytes.js';
import { formatDate, packedDate16 } from '../support/dates.js';

function apatorWater(divisor: number): (input: DriverInput) => Record<string, NamedValue> {
  return (input) => {
    const p = input.frame.payload;
    requireLength(p, 4, 'an Apator AT-WMBUS telegram');
    return { totalVolume: { value: u32le(p, 0) / divisor, unit: 'm3' } };
  };
}

export const apator08Driver: Driver = {
  name: 'apator-at-wmbus-08',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return (
      meter.manufacturer === 'APT' &&
      (meter.deviceType === 0x03 || meter.deviceType === 0x0f) &&
      payloadCi === 0xa0
    );
  },
  decode: apatorWater(3000),
};

export const apator172Driver: Driver = {
  name: 'apator-at-wmbus-17-2',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return meter.manufacturer === 'APT' && meter.deviceType === 0x11 && payloadCi === 0xa0;
  },
  decode: apatorWater(3),
};

const EITN_BODY = 15;

/** The E-ITN body: after CI 0xA0, or after CI 0xB6's header and its 0xA0. */
export function eitnBody(ci: number, payload: Uint8Array): Uint8Array {
  if (ci === 0xa0) return payload;
  if (ci !== 0xb6)
    throw new WmbusError('UNSUPPORTED_CI', `E-ITN telegrams use CI 0xA0 or 0xB6, got ${ci}`);
  requireLength(payload, 1, 'an E-ITN 0xB6 header');
  const next = 1 + payload[0]!;
  requireLength(payload, next + 1, 'an E-ITN 0xB6 header');
  if (payload[next] !== 0xa0) {
    throw new WmbusError(
      'UNSUPPORTED_CI',
      'the E-ITN 0xB6 header is not followed by CI 0xA0',
      next,
    );
  }
  return payload.subarray(next + 1);
}

function packed(value: number): string | null {
  const d = packedDate16(value);
  return formatDate(d.year, d.month, d.day);
}

/** The latest `month`-`day` on or before `current` (YYYY-MM-DD), or null. */
function latestOnOrBefore(current: string | null, month: number, day: number): string | null {
  if (current === null) return null;
  const year = Number(current.slice(0, 4));
  const candidate = formatDate(year, month, day);
  if (candidate === null) return null;
  return candidate <= current ? candidate : formatDate(year - 1, month, day);
}

export const apatorEitnDriver: Driver = {
  name: 'apator-e-itn-30',
  priority: 50,
  matches(meter: MeterAddress, payloadCi: number): boolean {
    return (
      (meter.manufacturer === 'APA' || meter.manufacturer === 'APT') &&
      meter.deviceType === 0x08 &&
      (payloadCi === 0xa0 || payloadCi === 0xb6)
    );
  },
  decode(input: DriverInput): Record<string, NamedValue> {
    const b = eitnBody(input.frame.payloadCi, input.frame.payload);
    requireLength(b, EITN_BODY, 'an Apator E-ITN body');
    const season = packedDate16(u16le(b, 0));
    const currentDate = packed(u16le(b, 9));
    const sealDate = u16le(b, 5);
    return {
      currentConsumption: { value: u16le(b, 7), unit: 'HCA' },
      previousConsumption: { value: u16le(b, 3), unit: 'HCA' },
      currentDate: { value: currentDate, unit: '' },
      seasonStartDate: {
        value: latestOnOrBefore(currentDate, season.month, season.day),
        unit: '',
      },
      sealBroken: { value: sealDate !== 0, unit: '' },
      sealBrokenDate: { value: sealDate === 0 ? null : packed(sealDate), unit: '' },
      roomTemperatureAverage: { value: u16le(b, 13) / 256, unit: '°C' },
      previousRoomTemperatureAverage: { value: u16le(b, 11) / 256, unit: '°C' },
    };
  },
};
