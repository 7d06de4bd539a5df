import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../hex.js';
import {
  decodeDateG,
  decodeDateTimeF,
  decodeDateTimeI,
  decodeTimeJ,
  encodeDateG,
  encodeDateTimeF,
  encodeDateTimeI,
  encodeTimeJ,
} from './date-time.js';

const at0 = (hex: string) => [hexToBytes(hex), 0] as const;

describe('type G (date)', () => {
  it('decodes the corpus’s set days', () => {
    expect(decodeDateG(...at0('BF2C'))).toBe('2021-12-31'); // qwaterv2
    expect(decodeDateG(...at0('FF2C'))).toBe('2023-12-31'); // relhca
    expect(decodeDateG(...at0('7F2A'))).toBe('2019-10-31'); // kamheat compact frame
  });

  it('reads year 127 as wmbusmeters does: 2127 (EN 13757-3: "every year")', () => {
    expect(decodeDateG(...at0('E1F1'))).toBe('2127-01-01'); // supercal, kaden
  });

  it('gives null for 0x0000 and 0xFFFF and for months and days that do not exist', () => {
    expect(decodeDateG(...at0('0000'))).toBeNull();
    expect(decodeDateG(...at0('FFFF'))).toBeNull();
    expect(decodeDateG(...at0('E10D'))).toBeNull(); // month 13
    expect(decodeDateG(...at0('E0F1'))).toBeNull(); // day 0
  });
});

describe('type F (date and time)', () => {
  it('decodes minute, hour, day, month and 7-bit year (supercal: 2023-03-04 18:54)', () => {
    expect(decodeDateTimeF(...at0('3612E423'))).toBe('2023-03-04 18:54');
  });

  it('ignores the summer-time and hundred-year bits of the hour byte', () => {
    // aptmbusna: hour byte 0xB4 = summer time, HY = 1, 20 h.
    expect(decodeDateTimeF(...at0('1DB45834'))).toBe('2026-04-24 20:29');
  });

  it('gives null when the invalid bit is set, or for an all-zero value', () => {
    expect(decodeDateTimeF(...at0('9C021732'))).toBeNull(); // relhca: IV set
    expect(decodeDateTimeF(...at0('00000000'))).toBeNull();
    expect(decodeDateTimeF(...at0('3C121723'))).toBeNull(); // minute 60
  });
});

describe('type I (date and time to the second)', () => {
  it('decodes seconds (itronheat: 2023-11-01 10:19:45)', () => {
    expect(decodeDateTimeI(...at0('2D130AE12B00'))).toBe('2023-11-01 10:19:45');
    expect(decodeDateTimeI(...at0('00790C742340'))).toBe('2019-03-20 12:57:00'); // amiplus
  });

  it('gives null when the invalid bit (bit 7 of the minute byte) is set', () => {
    expect(decodeDateTimeI(...at0('2D930AE12B00'))).toBeNull();
  });
});

describe('type J (time of day)', () => {
  it('decodes HH:MM:SS and refuses out-of-range fields', () => {
    expect(decodeTimeJ(...at0('1E0217'))).toBe('23:02:30');
    expect(decodeTimeJ(...at0('FFFFFF'))).toBeNull();
  });
});

describe('encoding', () => {
  it('writes the bytes the decoders read', () => {
    expect(Array.from(encodeDateG('2021-12-31'))).toEqual([0xbf, 0x2c]);
    expect(Array.from(encodeDateTimeF('2023-03-04 18:54'))).toEqual([0x36, 0x12, 0xe4, 0x23]);
    expect(Array.from(encodeTimeJ('23:02:30'))).toEqual([0x1e, 0x02, 0x17]);
  });

  it('refuses what the types cannot carry', () => {
    expect(() => encodeDateG('1999-12-31')).toThrow(RangeError);
    expect(() => encodeDateG('2021-13-01')).toThrow(RangeError);
    expect(() => encodeDateTimeF('2021-12-01')).toThrow(RangeError);
    expect(() => encodeTimeJ('24:00:00')).toThrow(RangeError);
  });

  const pad = (n: number) => String(n).padStart(2, '0');
  const dates = fc
    .record({
      y: fc.integer({ min: 2000, max: 2127 }),
      mo: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 31 }),
      h: fc.integer({ min: 0, max: 23 }),
      mi: fc.integer({ min: 0, max: 59 }),
      s: fc.integer({ min: 0, max: 59 }),
    })
    .map(({ y, mo, d, h, mi, s }) => ({
      date: `${y}-${pad(mo)}-${pad(d)}`,
      minute: `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}`,
      second: `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}`,
      time: `${pad(h)}:${pad(mi)}:${pad(s)}`,
    }));

  it('round-trips every date and time the types can carry', () => {
    fc.assert(
      fc.property(dates, (t) => {
        expect(decodeDateG(encodeDateG(t.date), 0)).toBe(t.date);
        expect(decodeDateTimeF(encodeDateTimeF(t.minute), 0)).toBe(t.minute);
        expect(decodeDateTimeI(encodeDateTimeI(t.second), 0)).toBe(t.second);
        expect(decodeTimeJ(encodeTimeJ(t.time), 0)).toBe(t.time);
      }),
      { numRuns: 500 },
    );
  });
});
