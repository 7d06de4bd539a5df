import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode } from './decode.js';
import { encode, type EncodeInput } from './encode.js';

const meter = { manufacturer: 'ZWK', id: '12345678', version: 0x01, deviceType: 0x07 };
const key = '000102030405060708090A0B0C0D0E0F';
const records: EncodeInput['records'] = [
  { quantity: 'volume', unit: 'm3', value: 123.456, coding: 'int32' },
  { quantity: 'volume', unit: 'm3', value: 100.5, coding: 'int32', storage: 1 },
  { quantity: 'date', value: '2026-10-31', coding: 'dateG', storage: 1 },
];

describe('encode', () => {
  for (const security of [
    { mode: 0 },
    { mode: 5, key },
    { mode: 7, key, messageCounter: 42 },
  ] as const) {
    it(`builds a mode ${security.mode} frame the decoder reads back`, () => {
      const frame = encode({ meter, accessNumber: 0x21, records, security, crc: 'A' });
      const { telegram } = decode(frame, { key: security.mode === 0 ? null : key });
      expect(telegram).toMatchObject({ manufacturer: 'ZWK', id: '12345678', accessNumber: 0x21 });
      expect(telegram.security).toMatchObject({
        mode: security.mode,
        verified: security.mode !== 0,
      });
      expect(telegram.values).toMatchObject({
        totalVolume: { value: 123.456, unit: 'm3' },
        targetVolume: { value: 100.5, unit: 'm3' },
        targetDate: { value: '2026-10-31', unit: '' },
      });
      if (security.mode === 7) expect(telegram.security.messageCounter).toBe(42);
    });
  }

  it('round-trips random readings through mode 5 and refuses the wrong key', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 255 }),
        (litres, acc) => {
          const frame = encode({
            meter,
            accessNumber: acc,
            records: [{ quantity: 'volume', unit: 'm3', value: litres / 1000, coding: 'int32' }],
            security: { mode: 5, key },
          });
          expect(decode(frame, { key }).telegram.values.totalVolume?.value).toBeCloseTo(
            litres / 1000,
            9,
          );
          expect(() => decode(frame, { key: 'FF'.repeat(16) })).toThrow(
            expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
