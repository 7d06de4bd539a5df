import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseKemFile } from './kem-file.js';
import { kemDownload, kemMeterXml, kemXml, zipOf } from './kem-test-kit.js';

const hexKey = () => randomBytes(16).toString('hex').toUpperCase();
const PASSWORD = 'K1234567';

describe('parseKemFile', () => {
  const keys = [hexKey(), hexKey(), hexKey()];
  const meters = [
    { serial: '76348822', key: keys[0] },
    { serial: '76348823', key: keys[1]!.toLowerCase() },
    { serial: '76348824', key: keys[2] },
  ];

  it('reads a KEM download (zip with .kem and .xsd): one line per meter, KAM and serial number', () => {
    const report = parseKemFile(kemDownload(meters, PASSWORD), PASSWORD);
    expect(report.fileRejected).toBeUndefined();
    expect(report.summary).toEqual({ accepted: 3, rejected: 0, ignored: 0, format: 'kem' });
    expect(report.lines.map((l) => [l.line, l.status, l.entry?.meterId])).toEqual([
      [1, 'accepted', '76348822'],
      [2, 'accepted', '76348823'],
      [3, 'accepted', '76348824'],
    ]);
    expect(report.lines.map((l) => l.entry?.key)).toEqual(keys);
    for (const { entry } of report.lines) {
      expect(entry).toMatchObject({ manufacturer: 'KAM' });
      expect(entry?.version).toBeUndefined();
      expect(entry?.deviceType).toBeUndefined();
    }
    const shown = `${JSON.stringify(report)}\n${inspect(report, { depth: 10 })}`.toUpperCase();
    for (const key of keys) expect(shown).not.toContain(key);
    expect(shown).not.toContain(PASSWORD);
  });

  it('reads a KEM2 download (Devices) and a bare .kem, a stored zip and a password of 16 bytes', () => {
    const kem2 = parseKemFile(kemDownload(meters, PASSWORD, 'kem2'), PASSWORD);
    expect(kem2.summary).toMatchObject({ accepted: 3, format: 'kem2' });
    expect(kem2.lines.map((l) => l.entry?.key)).toEqual(keys);

    const bare = Buffer.from(kemXml(kemMeterXml(meters), PASSWORD));
    expect(parseKemFile(bare, PASSWORD).summary.accepted).toBe(3);

    const long = 'Ab3$Ab3$Ab3$Ab3$';
    const stored = zipOf({ 'x.KEM': kemXml(kemMeterXml(meters), long) }, true);
    expect(parseKemFile(stored, long).summary.accepted).toBe(3);

    // Were the IV prepended as XML-Enc usually does, the rest still decrypts.
    const withIv = Buffer.from(kemXml(kemMeterXml(meters), PASSWORD, { prependIv: true }));
    expect(parseKemFile(withIv, PASSWORD).summary.accepted).toBe(3);
  });

  it('refuses a wrong password as a whole, naming neither password nor content', () => {
    const file = kemDownload(meters, PASSWORD);
    for (const wrong of ['K1234568', '', 'k1234567']) {
      const report = parseKemFile(file, wrong);
      expect(report).toEqual({
        lines: [],
        summary: { accepted: 0, rejected: 0, ignored: 0, format: null },
        fileRejected: { code: 'kem-password-wrong', reason: expect.stringMatching(/password/) },
      });
      expect(JSON.stringify(report)).not.toContain(wrong || '\u0000');
    }
    expect(parseKemFile(file, 'x'.repeat(17)).fileRejected?.code).toBe('kem-password-too-long');
  });

  it('refuses damaged files, zips without a .kem, other files and other algorithms', () => {
    const kem = kemXml(kemMeterXml(meters), PASSWORD);
    const code = (bytes: Uint8Array | string) =>
      parseKemFile(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, PASSWORD).fileRejected
        ?.code;

    // One flipped bit in the ciphertext garbles its block: the XML no longer reads.
    const value = /<CipherValue>([^<]*)</.exec(kem)![1]!.replace(/\n/g, '');
    const flipped = Buffer.from(value, 'base64');
    flipped[20]! ^= 0x01;
    expect(
      code(kem.replace(/<CipherValue>[^<]*</, `<CipherValue>${flipped.toString('base64')}<`)),
    ).toBe('kem-password-wrong');
    const truncated = value.slice(0, value.length - 8);
    expect(code(kem.replace(/<CipherValue>[^<]*</, `<CipherValue>${truncated}<`))).toBe(
      'kem-corrupted',
    );
    expect(code(kem.replace(/<CipherValue>[^<]*</, '<CipherValue>not*base64<'))).toBe(
      'kem-corrupted',
    );

    const zip = kemDownload(meters, PASSWORD);
    const damaged = Buffer.from(zip);
    damaged[90]! ^= 0xff; // inside the deflated .kem: its CRC no longer matches
    expect(code(damaged)).toBe('kem-zip-unreadable');
    expect(code(zip.subarray(0, zip.length - 30))).toBe('kem-zip-unreadable');
    expect(code(zipOf({ 'meter_information_file.xsd': '<xs:schema/>' }))).toBe(
      'kem-zip-without-kem',
    );
    expect(code(zipOf({ 'a.kem': kem, 'b.kem2': kem }))).toBe('kem-zip-several-kem');

    expect(code('KAM;12345678;00112233445566778899AABBCCDDEEFF')).toBe('kem-not-zip-or-xml');
    expect(code(Uint8Array.from([0xff, 0xfe, 0x00]))).toBe('kem-not-zip-or-xml');
    expect(code('<MetersInOrder/>')).toBe('kem-not-encrypted');
    expect(
      code(
        kemXml(kemMeterXml(meters), PASSWORD, {
          algorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
        }),
      ),
    ).toBe('kem-algorithm-unsupported');
    expect(code(kemXml('<Customers><Customer/></Customers>', PASSWORD))).toBe(
      'kem-content-unknown',
    );
  });

  it('rejects meters it cannot use line by line, and accepts the others', () => {
    const good = hexKey();
    const report = parseKemFile(
      kemDownload(
        [
          { serial: '11111111', key: good },
          { serial: '11111111', key: hexKey() },
          { serial: '1234567', key: hexKey() },
          { serial: '22222222' },
          { serial: '33333333', key: good.slice(0, 30) },
          { serial: '44444444/01/24', key: hexKey() },
          { serial: 'ABCDEFGH', key: hexKey() },
        ],
        PASSWORD,
      ),
      PASSWORD,
    );
    expect(report.summary).toMatchObject({ accepted: 2, rejected: 5 });
    expect(report.lines.map((l) => [l.line, l.status, l.reason ?? l.entry?.meterId])).toEqual([
      [1, 'accepted', '11111111'],
      [2, 'rejected', 'duplicate of meter 1 (same serial number)'],
      [3, 'rejected', 'the SerialNo must be 8 digits, found 7'],
      [4, 'rejected', 'no key (DEK) for this meter'],
      [5, 'rejected', 'the key (DEK) must be 32 hex digits (AES-128)'],
      [6, 'accepted', '44444444'],
      [7, 'rejected', 'the SerialNo is not a number'],
    ]);
    expect(JSON.stringify(report)).not.toContain(good.slice(0, 30));
  });

  it('refuses more meters than the limit', () => {
    const file = kemDownload(
      [
        { serial: '11111111', key: hexKey() },
        { serial: '22222222', key: hexKey() },
      ],
      PASSWORD,
    );
    expect(parseKemFile(file, PASSWORD, { maxMeters: 1 }).fileRejected?.code).toBe('kem-too-large');
    expect(parseKemFile(file, PASSWORD, { maxMeters: 2 }).summary.accepted).toBe(2);
  });
});
