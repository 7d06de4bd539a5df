import { describe, expect, it } from 'vitest';
import { decode } from '../../../decode.js';
import { kamstrupWaterAlarms } from './index.js';

// OMS.md vector V3: a Kamstrup MULTICAL 21 (C1, ELL AES-CTR) with its key.
const V3 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const V3_KEY = '28F64A24988064A079AA2C807D6102AE';

describe('kamstrup-water', () => {
  it('decodes the MULTICAL 21 vector: 6.408 m³, dry for 22–31 days', () => {
    const { telegram } = decode(V3, { key: V3_KEY });
    expect(telegram.driver).toBe('kamstrup-water');
    expect(telegram.security).toMatchObject({ ellEncrypted: true, verified: true });
    expect(telegram.values).toMatchObject({
      totalVolume: { value: 6.408, unit: 'm3' },
      targetVolume: { value: 6.408, unit: 'm3' },
      infoCodes: { value: 0x71, unit: '' },
      alarmDry: { value: true, unit: '' },
      alarmDryHoursFrom: { value: 528, unit: 'h' },
      alarmDryHoursTo: { value: 744, unit: 'h' },
      alarmLeak: { value: false, unit: '' },
      alarmBurst: { value: false, unit: '' },
      alarmBackflow: { value: false, unit: '' },
    });
  });

  it('reads each alarm and its duration from its own bits', () => {
    // Leak now (bit 2) for 9–24 h (code 2 at bits 10–12); burst over (bit 3 clear) but 1–8 h recorded.
    const v = kamstrupWaterAlarms((1 << 2) | (2 << 10) | (1 << 13));
    expect(v.alarmLeak).toEqual({ value: true, unit: '' });
    expect(v.alarmLeakHoursFrom).toEqual({ value: 9, unit: 'h' });
    expect(v.alarmLeakHoursTo).toEqual({ value: 24, unit: 'h' });
    expect(v.alarmBurst).toEqual({ value: false, unit: '' });
    expect(v.alarmBurstHoursTo).toEqual({ value: 8, unit: 'h' });
    expect(v.alarmDry).toEqual({ value: false, unit: '' });
  });
});
