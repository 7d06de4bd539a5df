import { describe, expect, it } from 'vitest';
import { decodeCase } from '../../../../test/driver-test-support.js';

describe('ecomess-picoflux', () => {
  it('reports the leak alarm of the TPL status byte (picoflux-003: 0x63)', () => {
    const t = decodeCase('picoflux-003');
    expect(t.driver).toBe('ecomess-picoflux');
    expect(t.values.alarmLeak).toEqual({ value: true, unit: '' });
    expect(t.values.leakFlowBits).toEqual({ value: 3, unit: '' });
    expect(t.values.totalVolume).toEqual({ value: 4.492, unit: 'm3' });
  });

  it('reports no alarm when the status is clear (picoflux-001)', () => {
    expect(decodeCase('picoflux-001').values.alarmLeak).toEqual({ value: false, unit: '' });
  });
});
