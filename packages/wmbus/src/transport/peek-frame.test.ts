import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCorpus, type CorpusCase } from '../../test/corpus.js';
import { decode } from '../decode.js';
import { encode } from '../encode.js';
import type { RecordSpec } from '../application/encode-records.js';
import { bytesToHex, hexToBytes } from '../hex.js';
import { addCrcs, checkAndRemoveCrcs } from '../link/frame-format.js';
import { emptyDecoderState, type MeterAddress } from '../types.js';
import { isWmbusError } from '../wmbus-error.js';
import { openFrame } from './open-frame.js';
import { peekFrame, type PeekFrameOptions } from './peek-frame.js';
import { sealFrame } from './seal-frame.js';

const cases: CorpusCase[] = [...readCorpus(), ...readCorpus('corpus-reencrypted.jsonl')];
const keyOf = (c: CorpusCase) => (c.key !== null && c.key.length === 32 ? c.key : null);
const OMS_KEY = '000102030405060708090A0B0C0D0E0F';
const WATER: MeterAddress = { manufacturer: 'ELS', id: '12345678', version: 0x33, deviceType: 7 };
const volume = (m3: number): RecordSpec[] => [
  { quantity: 'volume', unit: 'm3', value: m3, coding: 'int32' },
];

/** The code of the WmbusError `fn` throws; fails the test on any other exception. */
function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (!isWmbusError(err)) throw err;
    return err.code;
  }
}

/** corpus-reencrypted.jsonl has no `header`: its cases are all wireless mode-5 frames. */
const linkOf = (c: CorpusCase): string =>
  (c.header as CorpusCase['header'] | undefined)?.link ?? 'wireless M-Bus (EN 13757-4)';
const wireless = cases.filter((c) => linkOf(c).startsWith('wireless'));

/** A wireless corpus frame cut to what its L field declares (format A, CRCs stripped). */
function declared(c: CorpusCase): Uint8Array {
  const bytes = hexToBytes(c.telegram_hex);
  return bytes.subarray(0, bytes[0]! + 1);
}

describe('peekFrame over the corpus', () => {
  const decodable = cases.flatMap((c) => {
    let state = emptyDecoderState();
    for (const hex of c.preceding_telegrams) {
      try {
        state = decode(hex, { key: keyOf(c), state }).state;
      } catch (err) {
        if (!isWmbusError(err)) throw err;
      }
    }
    try {
      return [{ c, telegram: decode(c.telegram_hex, { key: keyOf(c), state }).telegram }];
    } catch (err) {
      if (!isWmbusError(err)) throw err;
      return [];
    }
  });

  it('decodes most of the corpus, so the comparison below covers it', () => {
    expect(decodable.length).toBeGreaterThan(240);
  });

  it.each(decodable.map((d) => [d.c.id, d] as const))(
    '%s: names the meter, access number, security mode and counter that decode() reports with the key',
    (_id, { c, telegram }) => {
      const peeked = peekFrame(c.telegram_hex);
      expect(peeked.sealed).toBe(false);
      expect(peeked.medium).toBe(telegram.medium);
      expect(peeked.meter).toEqual({
        manufacturer: telegram.manufacturer,
        id: telegram.id,
        version: telegram.version,
        deviceType: telegram.deviceType,
      });
      expect(peeked.accessNumber).toBe(telegram.accessNumber);
      expect(peeked.securityMode).toBe(telegram.security.mode);
      expect(peeked.messageCounter).toBe(telegram.security.messageCounter);
      expect(peeked.ciChain).toEqual(telegram.ciChain);
    },
  );

  it('needs no key for any frame decode() opens with one', () => {
    const encrypted = decodable.filter((d) => d.telegram.security.verified);
    expect(encrypted.length).toBeGreaterThan(20);
    for (const { c } of encrypted) expect(codeOf(() => peekFrame(c.telegram_hex))).toBeNull();
  });

  it('gives the L-declared bytes of a stripped frame as canonical, ELL repeater bits cleared', () => {
    let withEll = 0;
    for (const c of wireless) {
      const peeked = peekFrame(c.telegram_hex, { crc: 'stripped' });
      const expected = declared(c).slice();
      if (expected[10]! >= 0x8c && expected[10]! <= 0x8f) {
        expected[11] = expected[11]! & ~(0x10 | 0x02);
        withEll++;
      }
      expect(bytesToHex(peeked.canonical)).toBe(bytesToHex(expected));
    }
    expect(withEll).toBeGreaterThan(0);
  });
});

describe('peekFrame: canonical bytes of one transmission', () => {
  it('are identical with and without format-A CRCs, and with bytes a receiver appended', () => {
    let compared = 0;
    for (const c of wireless) {
      const stripped = declared(c);
      const withCrcs = addCrcs(stripped, 'A');
      const a = peekFrame(stripped, { crc: 'stripped' });
      const b = peekFrame(withCrcs, { crc: 'present' });
      const auto = peekFrame(bytesToHex(withCrcs));
      const rssi = peekFrame(Uint8Array.from([...stripped, 0xc4]), { crc: 'stripped' });
      expect(bytesToHex(b.canonical)).toBe(bytesToHex(a.canonical));
      expect(bytesToHex(auto.canonical)).toBe(bytesToHex(a.canonical));
      expect(bytesToHex(rssi.canonical)).toBe(bytesToHex(a.canonical));
      expect(b.meter).toEqual(a.meter);
      expect(b.accessNumber).toBe(a.accessNumber);
      compared++;
    }
    expect(compared).toBe(wireless.length);
  });

  it('are identical with and without format-B CRCs', () => {
    const withCrcs = encode({
      meter: WATER,
      accessNumber: 9,
      records: volume(12.5),
      security: { mode: 5, key: OMS_KEY },
      crc: 'B',
    });
    const stripped = checkAndRemoveCrcs(withCrcs, 'B');
    const b = peekFrame(withCrcs, { crc: 'present', frameFormat: 'B' });
    const s = peekFrame(stripped, { crc: 'stripped', frameFormat: 'B' });
    expect(bytesToHex(b.canonical)).toBe(bytesToHex(s.canonical));
    expect(bytesToHex(s.canonical)).toBe(bytesToHex(stripped));
    expect(b.accessNumber).toBe(9);
    expect(b.securityMode).toBe(5);
  });

  it('differ for another transmission of the same meter (access number, reading)', () => {
    const frame = (accessNumber: number, m3: number) =>
      peekFrame(encode({ meter: WATER, accessNumber, records: volume(m3), security: { mode: 0 } }))
        .canonical;
    expect(bytesToHex(frame(1, 1))).not.toBe(bytesToHex(frame(2, 1)));
    expect(bytesToHex(frame(1, 1))).not.toBe(bytesToHex(frame(1, 2)));
    expect(bytesToHex(frame(1, 1))).toBe(bytesToHex(frame(1, 1)));
  });

  it('are identical heard directly and through a repeater (ELL hop count and R bit set)', () => {
    const direct = sealFrame({
      meter: WATER,
      accessNumber: 17,
      mode: 7,
      key: hexToBytes(OMS_KEY),
      messageCounter: 5,
      ell: { communicationControl: 0x20 },
      payload: new Uint8Array(20).fill(0x01),
    });
    const repeated = direct.slice();
    expect(repeated[10]).toBe(0x8c);
    repeated[11] = repeated[11]! | 0x10 | 0x02;
    // The repeated copy still opens with the key: the bits are outside the MAC and the counter block.
    expect(openFrame(repeated, { key: hexToBytes(OMS_KEY) }).security.verified).toBe(true);
    expect(bytesToHex(peekFrame(repeated).canonical)).toBe(bytesToHex(peekFrame(direct).canonical));
    const otherCc = direct.slice();
    otherCc[11] = otherCc[11]! | 0x80;
    expect(bytesToHex(peekFrame(otherCc).canonical)).not.toBe(
      bytesToHex(peekFrame(direct).canonical),
    );
  });

  it('are a copy: changing the input afterwards does not change them', () => {
    const input = encode({
      meter: WATER,
      accessNumber: 3,
      records: volume(1),
      security: { mode: 0 },
    });
    const peeked = peekFrame(input);
    const before = bytesToHex(peeked.canonical);
    input[5] = input[5]! ^ 0xff;
    expect(bytesToHex(peeked.canonical)).toBe(before);
  });

  it('of a wired long frame are the frame itself', () => {
    const wired = cases.find((c) => linkOf(c).startsWith('wired'))!;
    const peeked = peekFrame(wired.telegram_hex);
    expect(peeked.medium).toBe('wired');
    expect(bytesToHex(peeked.canonical)).toBe(wired.telegram_hex);
  });
});

describe('peekFrame: security without the key', () => {
  it('reads the mode-7 message counter from the AFL, with or without CRCs', () => {
    for (const crc of ['A', 'none'] as const) {
      const frame = encode({
        meter: WATER,
        accessNumber: 0x42,
        records: volume(7.25),
        security: { mode: 7, key: OMS_KEY, messageCounter: 0x01020304 },
        crc,
      });
      const peeked = peekFrame(frame);
      expect(peeked).toMatchObject({
        meter: WATER,
        accessNumber: 0x42,
        securityMode: 7,
        messageCounter: 0x01020304,
        sealed: false,
      });
      expect(peeked.ciChain).toEqual([0x90, 0x7a]);
      const { telegram } = decode(frame, { key: OMS_KEY });
      expect(telegram.security.messageCounter).toBe(peeked.messageCounter);
      expect(telegram.security.verified).toBe(true);
    }
  });

  it('reads counters up to 2^32 - 1 as unsigned', () => {
    const frame = encode({
      meter: WATER,
      accessNumber: 1,
      records: volume(1),
      security: { mode: 7, key: OMS_KEY, messageCounter: 0xffffffff },
    });
    expect(peekFrame(frame).messageCounter).toBe(0xffffffff);
  });

  it('names the meter of the long header behind a radio adapter, as openFrame does', () => {
    const adapter: MeterAddress = {
      manufacturer: 'RAD',
      id: '11223344',
      version: 3,
      deviceType: 0x37,
    };
    const frame = sealFrame({
      meter: WATER,
      link: adapter,
      ci: 0x72,
      accessNumber: 17,
      mode: 7,
      key: hexToBytes(OMS_KEY),
      messageCounter: 99,
      ell: { communicationControl: 0x20 },
      payload: new Uint8Array(20).fill(0x01),
    });
    const peeked = peekFrame(frame);
    const opened = openFrame(frame, { key: hexToBytes(OMS_KEY) });
    expect(peeked.link).toEqual(adapter);
    expect(peeked.meter).toEqual(WATER);
    expect(peeked.meter).toEqual(opened.meter);
    expect(peeked.accessNumber).toBe(opened.accessNumber);
    expect(peeked.messageCounter).toBe(99);
    expect(peeked.ciChain).toEqual([0x8c, 0x90, 0x72]);
  });

  it('has no counter and mode 5 for a mode-5 frame, and mode 0 for a plain one', () => {
    const mode5 = encode({
      meter: WATER,
      accessNumber: 4,
      records: volume(1),
      security: { mode: 5, key: OMS_KEY },
    });
    expect(peekFrame(mode5).securityMode).toBe(5);
    expect(peekFrame(mode5).messageCounter).toBeUndefined();
    const plain = encode({
      meter: WATER,
      accessNumber: 4,
      records: volume(1),
      security: { mode: 0 },
    });
    expect(peekFrame(plain).securityMode).toBe(0);
  });

  it('stops at ELL AES-CTR ciphertext: the link address and the ELL access number, sealed', () => {
    // OMS.md test vector V3: Kamstrup, ELL 0x8D with AES-CTR; the key opens a CI 0x78 payload.
    const v3 =
      '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
    const peeked = peekFrame(v3);
    expect(peeked.sealed).toBe(true);
    expect(peeked.ciChain).toEqual([0x8d]);
    expect(peeked.securityMode).toBe(0);
    const { telegram } = decode(v3, { key: '28F64A24988064A079AA2C807D6102AE' });
    expect(peeked.meter).toEqual({
      manufacturer: telegram.manufacturer,
      id: telegram.id,
      version: telegram.version,
      deviceType: telegram.deviceType,
    });
    expect(peeked.accessNumber).toBe(telegram.accessNumber);
  });
});

describe('peekFrame on any input (fuzz)', () => {
  const optionsArb: fc.Arbitrary<PeekFrameOptions> = fc.record(
    {
      crc: fc.constantFrom('auto' as const, 'present' as const, 'stripped' as const),
      frameFormat: fc.constantFrom('auto' as const, 'A' as const, 'B' as const),
    },
    { requiredKeys: [] },
  );

  /**
   * A result or a WmbusError, never another exception; and where peekFrame
   * refuses a frame, openFrame refuses it too (they share the header walk).
   */
  function peekOrWmbusError(frame: Uint8Array, options: PeekFrameOptions): void {
    const code = codeOf(() => {
      const peeked = peekFrame(frame, options);
      expect(peeked.canonical.length).toBeLessThanOrEqual(frame.length);
      expect(peeked.ciChain.length).toBeGreaterThan(0);
    });
    if (code !== null) {
      const openOptions = { crc: options.crc ?? 'auto', format: options.frameFormat ?? 'auto' };
      expect(codeOf(() => openFrame(frame, openOptions))).toBe(code);
    }
  }

  const seeds = cases.map((c) => hexToBytes(c.telegram_hex));

  it('ends in a result or a WmbusError for random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), optionsArb, peekOrWmbusError), {
      numRuns: 2000,
    });
  });

  it('ends in a result or a WmbusError for random frames whose L fits, with any CI chain', () => {
    const ci = fc.constantFrom(0x72, 0x78, 0x79, 0x7a, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0xa0, 0xb7);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 9, maxLength: 9 }),
        fc.array(ci, { minLength: 1, maxLength: 3 }),
        fc.uint8Array({ maxLength: 200 }),
        (cma, cis, rest) => {
          const frame = Uint8Array.from([0, ...cma, ...cis, ...rest]);
          frame[0] = frame.length - 1;
          peekOrWmbusError(frame, {});
          peekOrWmbusError(addCrcs(frame, 'A'), { crc: 'present' });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('ends in a result or a WmbusError for corpus frames with bytes changed or cut', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(),
        optionsArb,
        (index, changes, cut, options) => {
          const frame = seeds[index]!.slice();
          for (const [at, value] of changes) frame[at % frame.length] = value;
          peekOrWmbusError(frame.subarray(0, frame.length - (cut % 4)), options);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses text that is not hex with INVALID_HEX', () => {
    expect(codeOf(() => peekFrame('not hex'))).toBe('INVALID_HEX');
    expect(codeOf(() => peekFrame('ABC'))).toBe('INVALID_HEX');
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        codeOf(() => peekFrame(text));
      }),
      { numRuns: 500 },
    );
  });
});
