import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../test/corpus.js';
import { crc16En13757 } from '../crc.js';
import { bytesToHex, hexToBytes } from '../hex.js';
import { corpusPayload, matchExpected } from './corpus-check.js';
import { expandCompactFrame, parseCompactRecords, parseRecords, recordFormat } from './records.js';

describe('recordFormat', () => {
  it('keeps the DIF/VIF chain of every record and drops data, fillers and manufacturer data', () => {
    const payload = hexToBytes(
      '2F2F' + '0413F4010000' + '2F' + '84401400000000' + '8480401401000000' + '0F0102',
    );
    expect(bytesToHex(recordFormat(payload))).toBe('0413' + '844014' + '84804014');
  });

  it('reads LVAR lengths to skip variable data', () => {
    expect(bytesToHex(recordFormat(hexToBytes('0DFD0E03414243' + '026C0000')))).toBe('0DFD0E026C');
  });
});

describe('parseCompactRecords', () => {
  it('puts the format over the data and gives each record its full-frame bytes as raw', () => {
    const format = hexToBytes('0413' + '026C');
    const records = parseCompactRecords(format, hexToBytes('F4010000' + 'BF2C'));
    expect(records.map((r) => [r.quantity, r.value, r.offset, bytesToHex(r.raw)])).toEqual([
      ['volume', 0.5, 0, '0413F4010000'],
      ['date', '2021-12-31', 4, '026CBF2C'],
    ]);
  });

  it('refuses data that does not fit the format', () => {
    const format = hexToBytes('0413');
    expect(() => parseCompactRecords(format, hexToBytes('F40100'))).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_SHORT' }),
    );
    expect(() => parseCompactRecords(format, hexToBytes('F401000000'))).toThrow(
      expect.objectContaining({ code: 'LENGTH_MISMATCH' }),
    );
  });

  // Kamstrup frames of the corpus, stored with the ELL already decrypted: DLL, CI 0x8D with
  // CC ACC SN(4) PayloadCRC(2), then CI 0x78 (full frame) or 0x79 (compact frame).
  const compactCases = readCorpus().filter(
    (c) =>
      corpusPayload(hexToBytes(c.telegram_hex))?.ci === 0x79 && c.preceding_telegrams.length > 0,
  );

  it('finds four compact frames with their full frames in the corpus', () => {
    expect(compactCases.map((c) => c.id)).toEqual([
      'kamheat-002',
      'kamheat-004',
      'kamheat-008',
      'kamheat-010',
    ]);
  });

  for (const c of compactCases) {
    it(`decodes ${c.id}: the signature is the CRC of the full frame's format`, () => {
      const compact = corpusPayload(hexToBytes(c.telegram_hex))!.payload;
      const full = c.preceding_telegrams
        .map((hex) => corpusPayload(hexToBytes(hex)))
        .find((p) => p?.ci === 0x78)!.payload;
      const format = recordFormat(full);
      const signature = compact[0]! | (compact[1]! << 8);
      const fullFrameCrc = compact[2]! | (compact[3]! << 8);
      expect(crc16En13757(format)).toBe(signature);

      const data = compact.subarray(4);
      expect(crc16En13757(expandCompactFrame(format, data))).toBe(fullFrameCrc);

      const records = parseCompactRecords(format, data);
      expect(records.map((r) => [r.quantity, r.storage, r.tariff, r.subunit])).toEqual(
        parseRecords(full).records.map((r) => [r.quantity, r.storage, r.tariff, r.subunit]),
      );
      // What stays missing is behind Kamstrup's own VIFEs (m³·°C, pulse counters): a driver's job.
      const { missing } = matchExpected(records, c.expected);
      expect(missing.map((e) => e.field).filter((f) => !/_m3c$|^v[ab]_counter$/.test(f))).toEqual(
        [],
      );
    });
  }
});
