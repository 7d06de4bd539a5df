import { describe, expect, it } from 'vitest';
import { decodeCase } from '../../../../test/driver-test-support.js';

describe('kamstrup-multical-heat', () => {
  it('is chosen for Kamstrup heat and cooling meters', () => {
    for (const id of ['kamheat-001', 'kamheat-007', 'kamheat-013', 'kamheat-018', 'kamheat-030']) {
      expect(decodeCase(id).driver, id).toBe('kamstrup-multical-heat');
    }
  });

  it('keeps the generic heat meter values', () => {
    const v = decodeCase('kamheat-005').values;
    expect(v.totalEnergy).toEqual({ value: 165000, unit: 'Wh' });
    expect(v.totalVolume).toEqual({ value: 5.45, unit: 'm3' });
    expect(v.flowTemperature).toEqual({ value: 53.28, unit: '°C' });
  });

  it('reads E8/E9 in m³·°C at the resolution of a 0.01 m³ volume (count = m³·°C)', () => {
    const v = decodeCase('kamheat-005').values;
    expect(v.forwardEnergy).toEqual({ value: 299, unit: 'm3·°C' });
    expect(v.returnEnergy).toEqual({ value: 156, unit: 'm3·°C' });
    expect(v.forwardEnergyRegister).toEqual({ value: 299, unit: '' });
  });

  it('scales E8/E9 by the volume resolution (0.001 m³: /10; 1 m³: x100; 0.1 m³: x10)', () => {
    const cooling = decodeCase('kamheat-007').values;
    expect(cooling.forwardEnergyRegister).toEqual({ value: 65528, unit: '' });
    expect(cooling.forwardEnergy).toEqual({ value: 6552.8, unit: 'm3·°C' });
    const big = decodeCase('kamheat-015').values;
    expect(big.forwardEnergy).toEqual({ value: 6713600, unit: 'm3·°C' });
    expect(big.targetForwardEnergy).toEqual({ value: 6393300, unit: 'm3·°C' });
    expect(decodeCase('kamheat-017').values.returnEnergy).toEqual({ value: 44290, unit: 'm3·°C' });
  });

  it('gives volume-weighted mean temperatures near the current ones (the scaling is right)', () => {
    for (const id of ['kamheat-005', 'kamheat-007', 'kamheat-012', 'kamheat-013', 'kamheat-015']) {
      const v = decodeCase(id).values;
      const mean = (v.forwardEnergy!.value as number) / (v.totalVolume!.value as number);
      const t1 = v.flowTemperature!.value as number;
      expect(Math.abs(mean - t1), id).toBeLessThan(15);
    }
  });

  it('reads E8/E9 behind the dimensionless VIF of the MULTICAL 602 (EE FF 07/08)', () => {
    const v = decodeCase('kamheat-009').values;
    expect(v.forwardEnergyRegister).toEqual({ value: 179393, unit: '' });
    expect(v.returnEnergyRegister).toEqual({ value: 119952, unit: '' });
  });

  it('names the info code bits', () => {
    const v = decodeCase('kamheat-011').values;
    expect(v.infoCodes).toEqual({ value: 0x10060, unit: '' });
    expect(v.infoT1BelowRange).toEqual({ value: true, unit: '' });
    expect(v.infoT2BelowRange).toEqual({ value: true, unit: '' });
    expect(v.infoV1CommunicationError).toEqual({ value: true, unit: '' });
    expect(v.infoT1AboveRange).toEqual({ value: false, unit: '' });
    const wrongWay = decodeCase('kamheat-029').values;
    expect(wrongWay.infoV1WrongFlowDirection).toEqual({ value: true, unit: '' });
    expect(decodeCase('kamheat-013').values.infoCodes).toEqual({ value: 0, unit: '' });
  });

  it('does not invent a target date the bytes do not hold (kamheat-018: 42 6C 00 00)', () => {
    const v = decodeCase('kamheat-018').values;
    expect(v.targetDate).toEqual({ value: null, unit: '' });
  });
});
