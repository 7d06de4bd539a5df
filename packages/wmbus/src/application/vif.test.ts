import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../hex.js';
import { readValueInformation } from './vif.js';

const read = (hex: string) => readValueInformation(hexToBytes(hex), 0);

describe('readValueInformation', () => {
  it('reads a primary VIF', () => {
    expect(read('13')).toMatchObject({
      quantity: 'volume',
      unit: 'm3',
      exponent: -3,
      modifiers: [],
      end: 1,
    });
  });

  it('follows 0xFD and 0xFB to the extension tables', () => {
    expect(read('FD17')).toMatchObject({ quantity: 'errorFlags', reading: 'binary', end: 2 });
    expect(read('FB01')).toMatchObject({ quantity: 'energy', unit: 'Wh', exponent: 6 });
    expect(read('FDFD02')).toMatchObject({ quantity: 'remainingBatteryLife', unit: 'month' });
  });

  it('adds combinable VIFEs as modifiers (amiplus: FD C9 FC 01 = volts at phase 1)', () => {
    expect(read('FDC9FC01')).toMatchObject({
      quantity: 'voltage',
      unit: 'V',
      exponent: 0,
      modifiers: ['atPhase1'],
      end: 4,
    });
    expect(read('933C')).toMatchObject({
      quantity: 'volume',
      modifiers: ['accumulationOfAbsoluteValueOnlyIfNegative'],
    });
  });

  it('applies multiplicative corrections to the exponent', () => {
    expect(read('9373')).toMatchObject({
      exponent: -6,
      modifiers: ['multiplicativeCorrectionFactor'],
    });
    expect(read('937D')).toMatchObject({ exponent: 0 });
  });

  it('turns the record into a duration or a date where a VIFE says so', () => {
    // qwater: BB 56 = duration of the last lower-limit exceed of the volume flow, in hours.
    expect(read('BB56')).toMatchObject({
      quantity: 'volumeFlow',
      unit: 'h',
      reading: 'number',
      modifiers: ['durationOfLastLowerLimitExceed'],
    });
    expect(read('BB4E')).toMatchObject({ unit: '', reading: 'timePoint' });
  });

  it('skips the "no error" VIFE that ABB appends', () => {
    expect(read('8400')).toMatchObject({ quantity: 'energy', exponent: 1, modifiers: [] });
  });

  it('keeps manufacturer-specific VIF(E)s as hex in vifText', () => {
    expect(read('FFA015')).toMatchObject({
      quantity: 'manufacturerSpecific',
      vifText: 'FFA015',
      end: 3,
    });
    // kamheat: EE FF 07 = HCA units, then Kamstrup's own VIFE 07.
    expect(read('EEFF07')).toMatchObject({
      quantity: 'hcaUnits',
      modifiers: ['manufacturerSpecific'],
      vifText: 'FF07',
    });
  });

  it('reads the text of a plain-text VIF, last character first', () => {
    expect(read('7C03626172')).toMatchObject({ quantity: 'plainText', vifText: 'rab', end: 5 });
    expect(read('FC22036C2F6D')).toMatchObject({ vifText: 'm/l', modifiers: ['perHour'], end: 6 });
  });

  it('reports reserved codes with their bytes', () => {
    expect(read('6F')).toMatchObject({ quantity: 'reserved', vifText: '6F' });
    expect(read('FD7A')).toMatchObject({ quantity: 'reserved', vifText: 'FD7A' });
  });

  it('refuses more than 10 VIFEs and chains that run off the end', () => {
    expect(() => read('93' + 'A2'.repeat(10) + '22')).toThrow(
      expect.objectContaining({ code: 'INVALID_RECORD' }),
    );
    expect(() => read('93')).toThrow(expect.objectContaining({ code: 'FRAME_TOO_SHORT' }));
    expect(() => read('FD')).toThrow(expect.objectContaining({ code: 'FRAME_TOO_SHORT' }));
    expect(() => read('7C05414243')).toThrow(expect.objectContaining({ code: 'FRAME_TOO_SHORT' }));
  });
});
