import { describe, expect, it } from 'vitest';
import {
  COMBINABLE_EXTENSION_VIFES,
  COMBINABLE_VIFES,
  FB_VIFS,
  FD_VIFS,
  PRIMARY_VIFS,
  vifCodings,
} from './vif-tables.js';

describe('the VIF tables', () => {
  it('give the primary codes of EN 13757-3 with their powers of ten', () => {
    expect(PRIMARY_VIFS[0x03]).toMatchObject({ quantity: 'energy', unit: 'Wh', exponent: 0 });
    expect(PRIMARY_VIFS[0x06]).toMatchObject({ quantity: 'energy', unit: 'Wh', exponent: 3 });
    expect(PRIMARY_VIFS[0x0e]).toMatchObject({ quantity: 'energy', unit: 'J', exponent: 6 });
    expect(PRIMARY_VIFS[0x13]).toMatchObject({ quantity: 'volume', unit: 'm3', exponent: -3 });
    expect(PRIMARY_VIFS[0x22]).toMatchObject({ quantity: 'onTime', unit: 'h' });
    expect(PRIMARY_VIFS[0x2b]).toMatchObject({ quantity: 'power', unit: 'W', exponent: 0 });
    expect(PRIMARY_VIFS[0x3b]).toMatchObject({
      quantity: 'volumeFlow',
      unit: 'm3/h',
      exponent: -3,
    });
    expect(PRIMARY_VIFS[0x43]).toMatchObject({ unit: 'm3/min', exponent: -4 });
    expect(PRIMARY_VIFS[0x4f]).toMatchObject({ unit: 'm3/s', exponent: -2 });
    expect(PRIMARY_VIFS[0x59]).toMatchObject({ quantity: 'flowTemperature', exponent: -2 });
    expect(PRIMARY_VIFS[0x5d]).toMatchObject({ quantity: 'returnTemperature', exponent: -2 });
    expect(PRIMARY_VIFS[0x61]).toMatchObject({ quantity: 'temperatureDifference', unit: 'K' });
    expect(PRIMARY_VIFS[0x67]).toMatchObject({ quantity: 'externalTemperature', exponent: 0 });
    expect(PRIMARY_VIFS[0x6a]).toMatchObject({ quantity: 'pressure', unit: 'bar', exponent: -1 });
    expect(PRIMARY_VIFS[0x6c]).toMatchObject({ quantity: 'date', reading: 'timePoint' });
    expect(PRIMARY_VIFS[0x6d]).toMatchObject({ quantity: 'dateTime', reading: 'timePoint' });
    expect(PRIMARY_VIFS[0x6e]).toMatchObject({ quantity: 'hcaUnits', unit: 'HCA' });
    expect(PRIMARY_VIFS[0x6f]).toMatchObject({ quantity: 'reserved' });
    expect(PRIMARY_VIFS[0x74]).toMatchObject({ quantity: 'actualityDuration', unit: 's' });
    expect(PRIMARY_VIFS[0x78]).toMatchObject({ quantity: 'fabricationNumber', reading: 'binary' });
  });

  it('give the 0xFD table, including volts, amperes and battery', () => {
    expect(FD_VIFS[0x08]).toMatchObject({ quantity: 'accessNumber', reading: 'binary' });
    expect(FD_VIFS[0x17]).toMatchObject({ quantity: 'errorFlags', reading: 'binary' });
    expect(FD_VIFS[0x31]).toMatchObject({ quantity: 'tariffDuration', unit: 'min' });
    expect(FD_VIFS[0x49]).toMatchObject({ quantity: 'voltage', unit: 'V', exponent: 0 });
    expect(FD_VIFS[0x5c]).toMatchObject({ quantity: 'current', unit: 'A', exponent: 0 });
    expect(FD_VIFS[0x6e]).toMatchObject({ quantity: 'batteryOperatingTime', unit: 'month' });
    expect(FD_VIFS[0x71]).toMatchObject({ quantity: 'rssi', unit: 'dBm' });
    expect(FD_VIFS[0x74]).toMatchObject({ quantity: 'remainingBatteryLife', unit: 'd' });
  });

  it('scale the 0xFB table into metric base units', () => {
    expect(FB_VIFS[0x01]).toMatchObject({ quantity: 'energy', unit: 'Wh', exponent: 6 });
    expect(FB_VIFS[0x09]).toMatchObject({ quantity: 'energy', unit: 'J', exponent: 9 });
    expect(FB_VIFS[0x10]).toMatchObject({ quantity: 'volume', unit: 'm3', exponent: 2 });
    expect(FB_VIFS[0x19]).toMatchObject({ quantity: 'mass', unit: 'kg', exponent: 6 });
    expect(FB_VIFS[0x1b]).toMatchObject({ quantity: 'relativeHumidity', unit: '%RH' });
    expect(FB_VIFS[0x2f]).toMatchObject({ quantity: 'frequency', unit: 'Hz', exponent: 0 });
    // °F → °C: value = (raw·10^e − 32) · 5/9.
    expect(FB_VIFS[0x5b]).toMatchObject({
      quantity: 'flowTemperature',
      unit: '°C',
      offset: -32,
      factor: 5 / 9,
    });
    expect(FB_VIFS[0x63]).toMatchObject({ unit: 'K', offset: 0, factor: 5 / 9 });
    expect(FB_VIFS[0x21]).toMatchObject({ unit: 'm3', exponent: -1, factor: 0.028316846592 });
    expect(FB_VIFS[0x23]).toMatchObject({ unit: 'm3', exponent: 0, factor: 0.003785411784 });
  });

  it('name every combinable VIFE, with the limit bits u (upper), f (last), b (end)', () => {
    expect(COMBINABLE_VIFES[0x22]!.modifier).toBe('perHour');
    expect(COMBINABLE_VIFES[0x3c]!.modifier).toBe('accumulationOfAbsoluteValueOnlyIfNegative');
    expect(COMBINABLE_VIFES[0x40]!.modifier).toBe('lowerLimitValue');
    expect(COMBINABLE_VIFES[0x48]!.modifier).toBe('upperLimitValue');
    expect(COMBINABLE_VIFES[0x4f]).toMatchObject({
      modifier: 'dateOfEndOfLastUpperLimitExceed',
      effect: 'timePoint',
    });
    expect(COMBINABLE_VIFES[0x56]).toMatchObject({
      modifier: 'durationOfLastLowerLimitExceed',
      effect: 'unit',
      unit: 'h',
    });
    expect(COMBINABLE_VIFES[0x73]).toMatchObject({ effect: 'scale', exponent: -3 });
    expect(COMBINABLE_VIFES[0x7d]).toMatchObject({ effect: 'scale', exponent: 3 });
    expect(COMBINABLE_VIFES[0x00]!.effect).toBe('skip');
    expect(COMBINABLE_EXTENSION_VIFES[0x01]!.modifier).toBe('atPhase1');
    for (const entry of [...COMBINABLE_VIFES, ...COMBINABLE_EXTENSION_VIFES]) {
      if (entry.effect !== 'skip') expect(entry.modifier).toMatch(/^[a-z][A-Za-z0-9]*$/);
    }
  });

  it('list codings for encoders, with the prefix bytes of the extension tables', () => {
    const codings = vifCodings();
    expect(codings).toContainEqual({ bytes: [0x13], entry: PRIMARY_VIFS[0x13] });
    expect(codings).toContainEqual({ bytes: [0xfd, 0x17], entry: FD_VIFS[0x17] });
    expect(codings).toContainEqual({ bytes: [0xfb, 0x01], entry: FB_VIFS[0x01] });
    expect(codings.every((c) => c.entry.quantity !== 'reserved')).toBe(true);
    expect(codings.some((c) => c.bytes.length === 1 && c.bytes[0]! >= 0x7b)).toBe(false);
  });
});
