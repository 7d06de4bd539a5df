import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../hex.js';
import { isWmbusError } from '../wmbus-error.js';
import type { MeterAddress } from '../types.js';
import { openFrame } from './open-frame.js';
import { encryptablePayload, sealFrame, type SealFrameInput } from './seal-frame.js';

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (isWmbusError(err)) return err.code;
    throw err;
  }
  return 'no error';
};

const GAS_METER: MeterAddress = {
  manufacturer: 'ELS',
  id: '12345678',
  version: 0x33,
  deviceType: 3,
};
const GAS_PLAINTEXT = hexToBytes(
  '2F2F0C1427048502046D32371F1502FD1700002F2F2F2F2F2F2F2F2F2F2F2F2F',
);

describe('sealFrame: the OMS Vol. 2 Annex N examples, byte for byte', () => {
  it('security profile A (mode 5), with format-A CRCs', () => {
    const frame = sealFrame({
      meter: GAS_METER,
      accessNumber: 0x2a,
      configurationFlags: 0x2000,
      mode: 5,
      key: hexToBytes('0102030405060708090A0B0C0D0E0F11'),
      payload: GAS_PLAINTEXT,
      crc: 'A',
    });
    expect(bytesToHex(frame)).toBe(
      '2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A',
    );
  });

  it('security profile B (mode 7) with a short ELL, with format-A CRCs', () => {
    const frame = sealFrame({
      meter: GAS_METER,
      accessNumber: 0x75,
      mode: 7,
      key: hexToBytes('000102030405060708090A0B0C0D0E0F'),
      messageCounter: 0x0ab3,
      ell: { communicationControl: 0x20 },
      payload: GAS_PLAINTEXT,
      crc: 'A',
    });
    expect(bytesToHex(frame)).toBe(
      '434493157856341233037AC98C2075900F002C25B30A000021924D4FBA372FB66E017A75002007109058475F4BC9D1281DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1',
    );
  });
});

const letter = fc.integer({ min: 65, max: 90 }).map((c) => String.fromCharCode(c));
const addressArb: fc.Arbitrary<MeterAddress> = fc.record({
  manufacturer: fc.tuple(letter, letter, letter).map((l) => l.join('')),
  id: fc.uint8Array({ minLength: 4, maxLength: 4 }).map(bytesToHex),
  version: fc.integer({ min: 0, max: 255 }),
  deviceType: fc.integer({ min: 0, max: 255 }),
});
const keyArb = fc.uint8Array({ minLength: 16, maxLength: 16 });

/** Inputs sealFrame accepts: modes 0, 5, 7; short, long or no header; optional ELL, radio-adapter address, CRCs. */
const inputArb: fc.Arbitrary<SealFrameInput> = fc
  .record({
    meter: addressArb,
    adapter: fc.option(addressArb),
    header: fc.constantFrom('short', 'long', 'none'),
    accessNumber: fc.integer({ min: 0, max: 255 }),
    status: fc.integer({ min: 0, max: 255 }),
    configurationFlags: fc.integer({ min: 0, max: 0xffff }),
    mode: fc.constantFrom(0, 5, 7) as fc.Arbitrary<0 | 5 | 7>,
    key: keyArb,
    messageCounter: fc.integer({ min: 0, max: 0xffffffff }),
    ell: fc.option(fc.integer({ min: 0, max: 255 })),
    payload: fc.uint8Array({ maxLength: 150 }),
    crc: fc.constantFrom('none', 'A', 'B') as fc.Arbitrary<'none' | 'A' | 'B'>,
  })
  .map((x) => {
    const header = x.mode === 0 ? x.header : x.header === 'none' ? 'short' : x.header;
    return {
      meter: x.meter,
      ...(x.adapter !== null && header === 'long' ? { link: x.adapter } : {}),
      ci: header === 'short' ? 0x7a : header === 'long' ? 0x72 : 0x78,
      accessNumber: x.accessNumber,
      status: x.status,
      configurationFlags: x.configurationFlags,
      mode: x.mode,
      key: x.key,
      messageCounter: x.messageCounter,
      ...(x.ell !== null ? { ell: { communicationControl: x.ell } } : {}),
      payload: x.payload,
      crc: x.crc,
    };
  });

describe('sealFrame and openFrame (round trip)', () => {
  it('openFrame gives back what sealFrame put in (property)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const frame = sealFrame(input);
        const opened = openFrame(frame, {
          key: input.key,
          crc: input.crc === 'none' ? 'stripped' : 'present',
          format: input.crc === 'B' ? 'B' : 'A',
        });
        const plaintext = input.mode === 0 ? input.payload : encryptablePayload(input.payload);
        expect(bytesToHex(opened.payload)).toBe(bytesToHex(plaintext));
        expect(opened.meter).toEqual(input.meter);
        expect(opened.link).toEqual(input.link ?? input.meter);
        expect(opened.security.mode).toBe(input.ci === 0x78 ? 0 : input.mode);
        expect(opened.security.verified).toBe(input.mode !== 0);
        expect(opened.security.alreadyDecrypted).toBe(false);
        expect(opened.security.messageCounter).toBe(
          input.mode === 7 ? input.messageCounter : undefined,
        );
        if (input.ci === 0x78) {
          expect(opened.accessNumber).toBe(input.ell ? input.accessNumber : null);
        } else {
          expect(opened.accessNumber).toBe(input.accessNumber);
          expect(opened.status?.raw).toBe(input.status);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('pads encrypted payloads with 2F to whole blocks, 2F2F in front', () => {
    expect(bytesToHex(encryptablePayload(hexToBytes('0413')))).toBe('2F2F0413' + '2F'.repeat(12));
    expect(encryptablePayload(GAS_PLAINTEXT)).toEqual(GAS_PLAINTEXT);
    expect(encryptablePayload(new Uint8Array(0))).toEqual(new Uint8Array(16).fill(0x2f));
  });

  it('a wrong key never yields a payload: DECRYPTION_FAILED (mode 5), MAC_INVALID (mode 7)', () => {
    // Mode 5 has only the 2F2F check: a wrong key passes it once in 65,536 tries,
    // so this property runs with a fixed seed; mode 7's 8-byte MAC leaves no such chance.
    fc.assert(
      fc.property(inputArb, keyArb, (input, wrongKey) => {
        fc.pre(input.mode !== 0 && bytesToHex(wrongKey) !== bytesToHex(input.key!));
        const frame = sealFrame(input);
        const options = {
          key: wrongKey,
          crc: input.crc === 'none' ? ('stripped' as const) : ('present' as const),
          format: input.crc === 'B' ? ('B' as const) : ('A' as const),
        };
        expect(errorOf(() => openFrame(frame, options))).toBe(
          input.mode === 5 ? 'DECRYPTION_FAILED' : 'MAC_INVALID',
        );
      }),
      { numRuns: 1000, seed: 20_260_804 },
    );
  });

  it('refuses input that cannot become a frame', () => {
    const base: SealFrameInput = {
      meter: GAS_METER,
      accessNumber: 1,
      mode: 0,
      payload: new Uint8Array(4),
    };
    expect(errorOf(() => sealFrame({ ...base, mode: 5 }))).toBe('INVALID_KEY');
    expect(errorOf(() => sealFrame({ ...base, mode: 7, key: new Uint8Array(16) }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(errorOf(() => sealFrame({ ...base, accessNumber: 256 }))).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => sealFrame({ ...base, payload: new Uint8Array(250) }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      errorOf(() =>
        sealFrame({ ...base, mode: 5, key: new Uint8Array(16), payload: new Uint8Array(240) }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => sealFrame({ ...base, ci: 0x78, mode: 5, key: new Uint8Array(16) }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(errorOf(() => sealFrame({ ...base, ci: 0x77 }))).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => sealFrame({ ...base, link: GAS_METER }))).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => sealFrame({ ...base, meter: { ...GAS_METER, id: '1234' } }))).toBe(
      'INVALID_HEX',
    );
    expect(errorOf(() => sealFrame({ ...base, meter: { ...GAS_METER, manufacturer: 'el' } }))).toBe(
      'INVALID_MANUFACTURER',
    );
  });

  it('seals manufacturer-specific layouts and codes outside A–Z as they are', () => {
    const frame = sealFrame({
      meter: { manufacturer: '@8001', id: '00000001', version: 1, deviceType: 0x80 },
      ci: 0xa2,
      accessNumber: 0,
      mode: 0,
      payload: hexToBytes('0102030405'),
    });
    const opened = openFrame(frame);
    expect(opened.payloadCi).toBe(0xa2);
    expect(opened.link.manufacturer).toBe('@8001');
    expect(bytesToHex(opened.payload)).toBe('0102030405');
  });
});
