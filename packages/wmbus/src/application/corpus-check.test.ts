import { describe, expect, it } from 'vitest';
import { dataRecord as record } from '../../test/driver-test-support.js';
import { bytesToHex, hexToBytes } from '../hex.js';
import { corpusPayload, expectedValues, matchExpected, matches } from './corpus-check.js';

describe('corpusPayload', () => {
  it('skips the DLL and the short TPL header (abbb23, CI 0x7A)', () => {
    const p = corpusPayload(hexToBytes('844442040011223320027A3E0000200E8400'));
    expect(p?.ci).toBe(0x7a);
    expect(bytesToHex(p!.payload)).toBe('0E8400');
  });

  it('skips ELL, AFL and the configuration field extension of mode 7', () => {
    // 8C CC ACC | 90 AFLL=2 xx xx | 7A ACC STS CFG=0x0730 CFE | payload
    const p = corpusPayload(
      hexToBytes('00440000000000000000' + '8C2001' + '900211' + '22' + '7A01003007AA2F2F'),
    );
    expect(p?.ci).toBe(0x7a);
    expect(bytesToHex(p!.payload)).toBe('2F2F');
  });

  it('walks a wired long frame to its checksum', () => {
    const p = corpusPayload(hexToBytes('68151568080072000000000000000000000000041301000000AA16'));
    expect(p?.ci).toBe(0x72);
    expect(bytesToHex(p!.payload)).toBe('041301000000');
  });

  it('gives null for manufacturer-specific CIs', () => {
    expect(corpusPayload(hexToBytes('00440000000000000000A0112233'))).toBeNull();
  });
});

describe('matching expected values', () => {
  it('takes numbers and date strings, not metadata or status text', () => {
    expect(
      expectedValues({
        _: 'telegram',
        id: '1',
        total_m3: 1.5,
        status: 'OK',
        set_date: '2020-12-31',
      }),
    ).toEqual([
      { field: 'total_m3', value: 1.5, suffix: 'm3' },
      { field: 'set_date', value: '2020-12-31', suffix: 'date' },
    ]);
  });

  it('converts the record’s unit to the field’s before comparing, within six decimals', () => {
    const kwh = { field: 'total_kwh', value: 5249.17, suffix: 'kwh' };
    expect(matches(kwh, record({ unit: 'Wh', value: 5_249_170 }))).toBe(true);
    expect(matches(kwh, record({ unit: 'J', value: 5249.17 * 3.6e6 }))).toBe(true);
    expect(matches(kwh, record({ unit: 'm3', value: 5249.17 }))).toBe(false);
    const years = { field: 'battery_y', value: 13.686797, suffix: 'y' };
    expect(matches(years, record({ unit: 'd', value: 4999 }))).toBe(true);
  });

  it('compares dates as strings, allowing the ":00" seconds wmbusmeters leaves out', () => {
    const at = { field: 'device_datetime', value: '2019-03-20 12:57', suffix: 'date' };
    expect(matches(at, record({ kind: 'datetime', value: '2019-03-20 12:57:00' }))).toBe(true);
    expect(matches(at, record({ kind: 'datetime', value: '2019-03-20 12:58' }))).toBe(false);
  });

  it('reports what is missing', () => {
    const report = matchExpected([record({ value: 1 })], { a_m3: 1, b_m3: 2 });
    expect(report).toMatchObject({ total: 2, matched: 1, missing: [{ field: 'b_m3' }] });
  });
});
