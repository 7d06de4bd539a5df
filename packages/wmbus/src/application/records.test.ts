import { describe, expect, it } from 'vitest';
import { readCorpus, type CorpusCase } from '../../test/corpus.js';
import { hexToBytes } from '../hex.js';
import { corpusPayload, matchExpected } from './corpus-check.js';
import { parseRecords } from './records.js';

const parse = (hex: string) => parseRecords(hexToBytes(hex));

describe('parseRecords', () => {
  // The application payload of abbb23-001 (CI 0x7A, 4-byte TPL header skipped).
  const ABB =
    '0E840017495200000004FFA0150000000004FFA1150000000004FFA2150000000004FFA3150000000007FFA6' +
    '00000000000000000007FFA700000000000000000007FFA800000000000000000007FFA90000000000000000' +
    '000DFD8E0007302E38322E31420DFFAA000B3030312D313131203332421F';

  it('decodes a whole payload: BCD energy, LVAR text, manufacturer records, DIF 0x1F', () => {
    const { records, manufacturerData, moreRecordsFollow, truncatedAt } = parse(ABB);
    expect(records).toHaveLength(11);
    expect(records[0]).toMatchObject({
      quantity: 'energy',
      unit: 'Wh',
      kind: 'number',
      value: 5249170,
      storage: 0,
      tariff: 0,
      subunit: 0,
      function: 'instantaneous',
      modifiers: [],
      offset: 0,
    });
    expect(Array.from(records[0]!.raw)).toEqual(Array.from(hexToBytes('0E8400174952000000')));
    expect(records[1]).toMatchObject({
      quantity: 'manufacturerSpecific',
      vifText: 'FFA015',
      value: 0,
    });
    expect(records[9]).toMatchObject({
      quantity: 'firmwareVersion',
      kind: 'text',
      value: 'B1.28.0',
    });
    expect(moreRecordsFollow).toBe(true);
    expect(manufacturerData).toEqual(new Uint8Array(0));
    expect(truncatedAt).toBeNull();
  });

  it('skips idle fillers anywhere between records', () => {
    const { records } = parse('2F2F0413F4010000' + '2F' + '02FD1700002F2F');
    expect(records.map((r) => [r.quantity, r.value, r.offset])).toEqual([
      ['volume', 0.5, 2],
      ['errorFlags', 0, 9],
    ]);
  });

  it('stops at DIF 0x0F and hands the rest on as manufacturer data', () => {
    const { records, manufacturerData, moreRecordsFollow } = parse('0413F40100000F0102FF');
    expect(records).toHaveLength(1);
    expect(Array.from(manufacturerData!)).toEqual([0x01, 0x02, 0xff]);
    expect(moreRecordsFollow).toBe(false);
  });

  it('ends the records at a reserved special DIF and keeps it in the manufacturer data', () => {
    // evo868-001 ends with FF FF after its last record.
    const { records, manufacturerData } = parse('0413F4010000FFFF');
    expect(records).toHaveLength(1);
    expect(Array.from(manufacturerData!)).toEqual([0xff, 0xff]);
  });

  it('reads storage, tariff, subunit and function from the DIF chain', () => {
    const { records } = parse('CC201359423500' + '8440140000000084804014010000003B3B010000');
    expect(records[0]).toMatchObject({ storage: 1, tariff: 2, value: 354.259 });
    expect(records[1]).toMatchObject({ subunit: 1, storage: 0, value: 0 });
    expect(records[2]).toMatchObject({ subunit: 2, value: 0.01 });
    expect(records[3]).toMatchObject({ function: 'error', quantity: 'volumeFlow', value: 0.001 });
  });

  it('decodes the signed and special codings', () => {
    const { records } = parse(
      '0213FEFF' + // int16 −2 → −0.002 m³
        '0B5A341200' + // BCD, 6 digits: 1234 × 0.1 °C
        '0A5A12F0' + // BCD with F in the top digit: −12 × 0.1 °C
        '0513 0000C03F'.replace(' ', '') + // real 1.5 × 0.001 m³
        '0013' + // no data
        '0D13C23412' + // LVAR positive BCD: 1234 → 1.234 m³
        '0D13D23412' + // LVAR negative BCD
        '0D13E3010203' + // LVAR binary
        '0A13AAAA', // BCD with non-decimal digits: unknown value
    );
    expect(records.map((r) => [r.kind, r.value])).toEqual([
      ['number', -0.002],
      ['number', 123.4],
      ['number', -1.2],
      ['number', 0.0015],
      ['number', null],
      ['number', 1.234],
      ['number', -1.234],
      ['bytes', '010203'],
      ['number', null],
    ]);
  });

  it('decodes dates by the data length of a time-point VIF', () => {
    const { records } = parse(
      '426CBF2C' + '046D3612E423' + '066D2D130AE12B00' + '036D1E0217' + '326CFFFF',
    );
    expect(records.map((r) => [r.quantity, r.kind, r.value])).toEqual([
      ['date', 'date', '2021-12-31'],
      ['dateTime', 'datetime', '2023-03-04 18:54'],
      ['dateTime', 'datetime', '2023-11-01 10:19:45'],
      ['dateTime', 'text', '23:02:30'],
      ['date', 'date', null],
    ]);
    expect(records[4]!.function).toBe('error');
  });

  it('copies raw, so the caller may reuse its buffer', () => {
    const payload = hexToBytes('0413F4010000');
    const { records } = parseRecords(payload);
    payload.fill(0);
    expect(Array.from(records[0]!.raw)).toEqual([0x04, 0x13, 0xf4, 0x01, 0x00, 0x00]);
  });

  it('throws FRAME_TOO_SHORT at the offset of a record that runs past the end', () => {
    expect(() => parse('0413F4010000' + '0413F401')).toThrow(
      expect.objectContaining({ name: 'WmbusError', code: 'FRAME_TOO_SHORT', offset: 6 }),
    );
    expect(() => parse('0D13')).toThrow(expect.objectContaining({ code: 'FRAME_TOO_SHORT' }));
    expect(() => parse('0D1305414243')).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_SHORT' }),
    );
  });

  it('with truncated: "stop", returns the records before an incomplete last one', () => {
    // qwaterv2-001 ends with two stray bytes (FE D0) after its last record.
    const result = parseRecords(hexToBytes('046D1E02DE21FED0'), { truncated: 'stop' });
    expect(result.records).toHaveLength(1);
    expect(result.truncatedAt).toBe(6);
  });

  it('throws INVALID_RECORD for reserved LVARs', () => {
    expect(() => parse('0D13F7')).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }));
  });
});

interface Outcome {
  id: string;
  total: number;
  matched: number;
  missing: string[];
}

/**
 * Cases whose expected values are not all in the records, and why. Each is a driver's job
 * or a deliberate difference from wmbusmeters; the test checks that every case listed here
 * does miss something, so the list cannot go stale silently.
 */
const WHY_NOT_ALL: Record<string, string> = {};
const because = (reason: string, ids: string[]) => ids.forEach((id) => (WHY_NOT_ALL[id] = reason));
because('history dates the driver computes from a reference date and the storage interval', [
  'evo868-001',
  'evo868-002',
  'microclima-002',
  'uiws-001',
]);
because('values in manufacturer-specific data or LVAR records (driver)', [
  'hydroclima-001',
  'hydroclimav2-001',
  'hydroclimav2-002',
  'hydroclimav2-003',
  'hydrodigit-001',
  'hydrodigit-002',
  'hydrodigit-003',
  'hydrodigit-004',
  'hydrodigit-005',
  'hydrodigit-006',
  'hydrodigit-007',
  'zenner0b-001',
  'zenner0b-002',
  'qwater-001',
  'qwater-003',
  'qwater-004',
  'qwater-005',
  'qwater-009',
  'qwater-010',
  'qwater-012',
  'qwater-018',
  'qwater-019',
  'qwater-020',
  'qwaterv2-002',
  'qwaterv2-008',
]);
because('Kamstrup m³·°C and pulse counters behind manufacturer-specific VIFEs (driver)', [
  'kamheat-005',
  'kamheat-006',
  'kamheat-007',
  'kamheat-009',
  'kamheat-011',
  'kamheat-012',
  'kamheat-013',
  'kamheat-014',
  'kamheat-015',
  'kamheat-017',
  'kamheat-018',
  'kamheat-023',
  'kamheat-025',
  'kamheat-027',
  'kamheat-029',
  'kamheat-030',
]);
because('battery % sent as FD 74 (remaining days) or years rounded by the driver', [
  'q400-002',
  'q400-003',
  'q400-004',
  'q400-005',
  'q400-006',
  'gwfwater-001',
  'gwfwater-002',
]);
because('VIF BB 56: EN 13757-3 reads a duration of a limit exceed (h), wmbusmeters a flow', [
  'qwater-002',
  'qwater-006',
  'qwater-007',
  'qwater-008',
  'qwater-011',
  'qwater-015',
  'qwater-016',
  'qwater-017',
  'qwaterv2-001',
  'qwaterv2-005',
  'qwaterv2-006',
  'qwaterv2-007',
]);
because('invalid dates are null here (type F invalid bit; 0x0000), printed by wmbusmeters', [
  'relhca-001',
  'emerlin868-001',
  'emerlin868-002',
]);

/** Telegrams whose last two bytes are a stray CRC after the last record. */
const STRAY_TAIL = new Set(['qwaterv2-001', 'qwaterv2-002', 'qwater-011', 'qwater-012']);

function recordPayload(c: CorpusCase): Uint8Array | null {
  const found = corpusPayload(hexToBytes(c.telegram_hex));
  if (!found || found.ci === 0x79) return null;
  // A header announcing TPL encryption over a plaintext payload: the 2F2F check must be there.
  if (c.encryption.startsWith('mode') && (found.payload[0] !== 0x2f || found.payload[1] !== 0x2f)) {
    return null;
  }
  return found.payload;
}

function outcome(c: CorpusCase, payload: Uint8Array): Outcome {
  const { records } = parseRecords(payload, { truncated: STRAY_TAIL.has(c.id) ? 'stop' : 'throw' });
  const report = matchExpected(records, c.expected);
  return {
    id: c.id,
    total: report.total,
    matched: report.matched,
    missing: report.missing.map((e) => e.field),
  };
}

function summary(label: string, outcomes: Outcome[]): string {
  const total = outcomes.reduce((n, o) => n + o.total, 0);
  const matched = outcomes.reduce((n, o) => n + o.matched, 0);
  const full = outcomes.filter((o) => o.matched === o.total).length;
  return `${label}: ${outcomes.length} cases parsed, ${full} fully matched, ${matched}/${total} expected values found (${((100 * matched) / total).toFixed(1)} %)`;
}

describe('the corpus', () => {
  const corpus = readCorpus();
  const plaintext = corpus.filter((c) => c.payload_ciphertext === false);
  const unencrypted = plaintext.filter((c) => c.encryption === 'none');
  const decrypted = plaintext.filter((c) => c.encryption !== 'none');

  it('parses every unencrypted record payload (CI 0x72/0x78/0x7A)', () => {
    const payloads = unencrypted.map((c) => [c, recordPayload(c)] as const);
    expect(payloads.filter(([, p]) => p !== null)).toHaveLength(73);
    for (const [c, payload] of payloads) {
      if (!payload) continue;
      if (STRAY_TAIL.has(c.id)) {
        expect(() => parseRecords(payload), c.id).toThrow(
          expect.objectContaining({ code: 'FRAME_TOO_SHORT' }),
        );
        expect(parseRecords(payload, { truncated: 'stop' }).truncatedAt, c.id).toBe(
          payload.length - 2,
        );
      } else {
        expect(() => parseRecords(payload), c.id).not.toThrow();
      }
    }
  });

  const check = (label: string, cases: CorpusCase[], minimum: number) => {
    const outcomes = cases.flatMap((c) => {
      const payload = recordPayload(c);
      return payload ? [outcome(c, payload)] : [];
    });
    console.log(summary(label, outcomes));
    for (const o of outcomes) {
      if (WHY_NOT_ALL[o.id]) {
        expect(o.missing.length, `${o.id} is listed as missing values`).toBeGreaterThan(0);
      } else {
        expect(o.missing, o.id).toEqual([]);
      }
    }
    const matched = outcomes.reduce((n, o) => n + o.matched, 0);
    expect(matched).toBeGreaterThanOrEqual(minimum);
  };

  it('finds the expected values of the unencrypted cases among the records', () => {
    check('unencrypted (encryption none)', unencrypted, 480);
  });

  it('finds the expected values of the payloads stored already decrypted', () => {
    check('stored already decrypted (mode 5/7, ELL)', decrypted, 460);
  });
});
