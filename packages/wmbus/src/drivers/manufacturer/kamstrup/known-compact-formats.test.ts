import { describe, expect, it } from 'vitest';
import { crc16En13757 } from '../../../crc.js';
import { bytesToHex, hexToBytes } from '../../../hex.js';
import { openFrame } from '../../../transport/open-frame.js';
import { emptyDecoderState, type DecoderState } from '../../../types.js';
import { KNOWN_COMPACT_FORMATS, knownCompactFormat } from './known-compact-formats.js';
import { corpusCase, decodeCase } from '../../../../test/driver-test-support.js';

/** The state decode.ts would need: what the proposed knownFormats fallback supplies. */
function stateFor(id: string): DecoderState {
  const c = corpusCase(id);
  const key = c.key !== null && c.key.length === 32 ? hexToBytes(c.key) : null;
  const opened = openFrame(hexToBytes(c.telegram_hex), { key });
  const format = knownCompactFormat(opened.meter, opened.compact!.signature);
  if (format === undefined) throw new Error(`no known format for ${id}`);
  const signature = opened.compact!.signature.toString(16).padStart(4, '0');
  const state = emptyDecoderState();
  state.formats[`${opened.meter.manufacturer}.${opened.meter.id}`] = {
    [signature]: bytesToHex(format),
  };
  return state;
}

describe('known compact formats', () => {
  it.each(KNOWN_COMPACT_FORMATS.map((f) => [f.from, f] as const))(
    'the format from %s has the signature it is filed under',
    (_from, f) => {
      expect(crc16En13757(hexToBytes(f.format))).toBe(f.signature);
    },
  );

  it('equals the format of the full frame it was taken from', () => {
    const c = corpusCase('kamheat-001');
    const opened = openFrame(hexToBytes(c.telegram_hex));
    expect(bytesToHex(knownCompactFormat(opened.meter, 0xf1e7)!)).toBe(
      '030643060314426C022D01FF21',
    );
  });

  it('knows nothing for other manufacturers or signatures', () => {
    expect(knownCompactFormat({ manufacturer: 'KAM' }, 0x1234)).toBeUndefined();
    expect(knownCompactFormat({ manufacturer: 'LSE' }, 0xf1e7)).toBeUndefined();
  });

  it('hands out a fresh copy', () => {
    const a = knownCompactFormat({ manufacturer: 'KAM' }, 0xf1e7)!;
    a[0] = 0;
    expect(knownCompactFormat({ manufacturer: 'KAM' }, 0xf1e7)![0]).toBe(0x03);
  });

  // decode() checks the data CRC of the expanded frame: decoding at all proves the fit.
  it('opens kamheat-020 (MULTICAL 302) with the values of its full frame kamheat-019', () => {
    const v = decodeCase('kamheat-020', stateFor('kamheat-020')).values;
    expect(v.totalEnergy).toEqual({ value: 398000, unit: 'Wh' });
    expect(v.totalVolume).toEqual({ value: 25.06, unit: 'm3' });
    expect(v.power).toEqual({ value: 100, unit: 'W' });
    expect(v.targetDate).toEqual({ value: null, unit: '' });
  });

  it('opens kamheat-022, 024, 026, 028 and kampress-002', () => {
    expect(decodeCase('kamheat-022', stateFor('kamheat-022')).values.totalVolume).toEqual({
      value: 1568.308,
      unit: 'm3',
    });
    const k24 = decodeCase('kamheat-024', stateFor('kamheat-024')).values;
    expect(k24.forwardEnergy).toEqual({ value: 153189, unit: 'm3·°C' });
    expect(k24.returnEnergy).toEqual({ value: 124887, unit: 'm3·°C' });
    expect(k24.flowTemperature).toEqual({ value: 32.01, unit: '°C' });
    const k26 = decodeCase('kamheat-026', stateFor('kamheat-026')).values;
    expect(k26.infoT1BelowRange).toEqual({ value: true, unit: '' });
    expect(k26.targetDate).toEqual({ value: '2020-11-01', unit: '' });
    const k28 = decodeCase('kamheat-028', stateFor('kamheat-028')).values;
    expect(k28.forwardEnergyRegister).toEqual({ value: 179393, unit: '' });
    const p2 = decodeCase('kampress-002', stateFor('kampress-002')).values;
    expect(p2.pressure).toEqual({ value: 1.02, unit: 'bar' });
    expect(p2.betaCounter!.value).toBeCloseTo(-0.000706, 6);
  });

  it('gives the Engelmann FAW compact frame (CI 0x73) its format: signature 052D', () => {
    const c = corpusCase('engelmann_faw-002');
    const opened = openFrame(hexToBytes(c.telegram_hex), { key: hexToBytes(c.key!) });
    expect(opened.compact?.signature).toBe(0x052d);
    expect(knownCompactFormat(opened.meter, 0x052d)).toBeDefined();
  });
});
