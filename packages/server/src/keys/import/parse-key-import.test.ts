import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { createFleet, METERS_CSV_HEADER, metersCsv } from '@zaehlwerk/firmware-contract/simulator';
import { bytesToHex, encode, encodeManufacturer } from '@zaehlwerk/wmbus';
import { describe, expect, it } from 'vitest';
import { parseKeyImport, SIMULATOR_CSV_HEADER, type KeyImportReport } from './parse-key-import.js';

const hexKey = () => randomBytes(16).toString('hex').toUpperCase();
const accepted = (r: KeyImportReport) => r.lines.filter((l) => l.status === 'accepted');
const reasons = (r: KeyImportReport) => r.lines.map((l) => l.reason);

/** The M and A fields exactly as a meter sends them, from the codec the simulator uses. */
function airAddress(m: { manufacturer: string; id: string; version: number; deviceType: number }) {
  const frame = encode({
    meter: m,
    accessNumber: 1,
    records: [],
    security: { mode: 0 },
    ci: 0x78,
  });
  return bytesToHex(frame.subarray(2, 10));
}

describe('parseKeyImport', () => {
  it('reads the gateway simulator CSV as it writes it', () => {
    expect(SIMULATOR_CSV_HEADER).toBe(METERS_CSV_HEADER);
    const fleet = createFleet({ count: 12, seed: 7 });
    const report = parseKeyImport(metersCsv(fleet));
    expect(report.fileRejected).toBeUndefined();
    expect(report.summary).toMatchObject({
      format: 'simulator-csv',
      accepted: fleet.length,
      rejected: 0,
      ignored: 1,
    });
    expect(report.lines.map((l) => l.entry)).toEqual(
      fleet.map((m) => ({
        manufacturer: m.manufacturer,
        meterId: m.id,
        version: m.version,
        deviceType: m.deviceType,
        key: m.key,
      })),
    );
    expect(report.lines.map((l) => l.line)).toEqual(fleet.map((_, i) => i + 2));
  });

  it('reads ; and , files without a header, with or without manufacturer', () => {
    const [a, b, c] = [hexKey(), hexKey(), hexKey()];
    for (const sep of [';', ',']) {
      const text = [`KAM${sep}12345678${sep}${a}`, `23456789${sep}${b}`, `${sep}34567890${sep}${c}`]
        .map((l) => `${l}\n`)
        .join('');
      const report = parseKeyImport(text);
      expect(report.summary).toMatchObject({ format: 'csv', accepted: 3, rejected: 0 });
      expect(report.lines.map((l) => l.entry)).toEqual([
        { manufacturer: 'KAM', meterId: '12345678', key: a },
        { meterId: '23456789', key: b },
        { meterId: '34567890', key: c },
      ]);
    }
  });

  it('reads version and device type by position after the meter id, in decimal or 0x hex', () => {
    const key = hexKey();
    const report = parseKeyImport(`qds;12345678;1;0x08;${key}`);
    expect(report.lines[0]?.entry).toEqual({
      manufacturer: 'QDS',
      meterId: '12345678',
      version: 1,
      deviceType: 8,
      key,
    });
    const ambiguous = parseKeyImport(`QDS;12345678;8;${key}`);
    expect(reasons(ambiguous)[0]).toMatch(/version or device type/);
  });

  it('reads headers as people write them, in any column order, quoted or not', () => {
    const [a, b] = [hexKey(), hexKey()];
    const text = [
      '"AES-Schlüssel";"Zählernummer";"Hersteller";"Bemerkung"',
      `"${a}";"12345678";"EFE";"Keller; links"`,
      `${b};23456789;;`,
    ].join('\r\n');
    const report = parseKeyImport(text);
    expect(report.summary).toMatchObject({ format: 'csv-header', accepted: 2, ignored: 1 });
    expect(report.lines.map((l) => l.entry)).toEqual([
      { manufacturer: 'EFE', meterId: '12345678', key: a },
      { meterId: '23456789', key: b },
    ]);
  });

  it('normalises keys with dashes, spaces and lower case to 32 upper-case hex digits', () => {
    const key = hexKey();
    const spaced = key.toLowerCase().replace(/(....)(?!$)/g, '$1 ');
    const dashed = key.replace(/(..)(?!$)/g, '$1-');
    const report = parseKeyImport(`12345678;${spaced}\n23456789;${dashed}\n`);
    expect(accepted(report).map((l) => l.entry?.key)).toEqual([key, key]);
  });

  it('reads the 16-hex-digit secondary address in the order meters send it', () => {
    const meters = [
      { manufacturer: 'KAM', id: '12345678', version: 0x1b, deviceType: 0x04 },
      { manufacturer: 'QDS', id: '00000042', version: 0x35, deviceType: 0x08 },
    ];
    const keys = meters.map(hexKey);
    const headerless = meters.map((m, i) => `${airAddress(m)};${keys[i]}`).join('\n');
    const withHeader = `address,key\n${meters.map((m, i) => `${airAddress(m).toLowerCase()},${keys[i]}`).join('\n')}`;
    for (const text of [headerless, withHeader]) {
      const report = parseKeyImport(text);
      expect(report.lines.map((l) => l.entry)).toEqual(
        meters.map((m, i) => ({
          manufacturer: m.manufacturer,
          meterId: m.id,
          version: m.version,
          deviceType: m.deviceType,
          key: keys[i],
        })),
      );
    }
    // The wired M-Bus order (id first) is not taken for the wireless one.
    const m = meters[0]!;
    const man = encodeManufacturer(m.manufacturer);
    const wired = [...m.id.match(/../g)!.reverse(), man & 0xff, man >> 8, m.version, m.deviceType]
      .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0')))
      .join('');
    expect(accepted(parseKeyImport(`${wired};${keys[0]}`))).toHaveLength(0);
    expect(reasons(parseKeyImport(`QDS;${airAddress(m)};${keys[0]}`))[0]).toMatch(
      /manufacturer disagrees/,
    );
  });

  it('rejects a meter named twice, naming the line it first appeared on', () => {
    const text = [
      'manufacturer;meterId;version;deviceType;key',
      `KAM;12345678;1;4;${hexKey()}`,
      `KAM;12345678;2;4;${hexKey()}`,
      `;12345678;1;;${hexKey()}`,
      `KAM;12345678;1;4;${hexKey()}`,
      `QDS;12345678;1;4;${hexKey()}`,
    ].join('\n');
    const report = parseKeyImport(text);
    expect(report.lines.map((l) => [l.line, l.status, l.reason])).toEqual([
      [2, 'accepted', undefined],
      [3, 'accepted', undefined],
      [4, 'rejected', 'duplicate of line 2 (same meter)'],
      [5, 'rejected', 'duplicate of line 2 (same meter)'],
      [6, 'accepted', undefined],
    ]);
    expect(report.summary).toMatchObject({ accepted: 3, rejected: 2 });
  });

  it('tolerates a UTF-8 BOM, CRLF, blank lines and comments', () => {
    const key = hexKey();
    const bytes = new TextEncoder().encode(
      `\uFEFF# export 2024\r\nid;key\r\n\r\n12345678;${key}\r\n`,
    );
    const report = parseKeyImport(bytes);
    expect(report.summary).toMatchObject({ format: 'csv-header', accepted: 1, ignored: 3 });
    expect(report.lines[0]).toMatchObject({ line: 4, entry: { meterId: '12345678', key } });
  });

  it('says what is wrong with a line without repeating any of its values', () => {
    const key = hexKey();
    const bad = [
      `12345678;${key.slice(0, 30)}`,
      `12345678;${key}00`,
      `12345678;${key.slice(0, 31)}Z`,
      `1234567;${key}`,
      `${key};${key}`,
      `KAM;${key.slice(0, 8)}x;${key}`,
      `KAM;12345678;1;999;${key}`,
      `12345678`,
      `KAM;;${key}`,
    ];
    const report = parseKeyImport(bad.join('\n'));
    expect(report.summary.accepted).toBe(0);
    expect(report.lines.every((l) => l.status === 'rejected' && l.reason !== undefined)).toBe(true);
    expect(reasons(report)[0]).toMatch(/32 hex digits.*found 30/);
    expect(reasons(report)[3]).toMatch(/leading zeros/);
    for (const [i, l] of report.lines.entries()) {
      const reason = l.reason!.toUpperCase();
      const fields = bad[i]!.split(';').filter((f) => f.length >= 6);
      for (const f of fields) {
        for (let at = 0; at + 6 <= f.length; at++) {
          expect(reason).not.toContain(f.slice(at, at + 6).toUpperCase());
        }
      }
    }
  });

  it('keeps keys out of the report when it is serialised or inspected', () => {
    const keys = [hexKey(), hexKey()];
    const report = parseKeyImport(`12345678;${keys[0]}\n23456789;${keys[1]!.toLowerCase()}\n`);
    expect(report.lines.map((l) => l.entry?.key)).toEqual(keys);
    const shown = `${JSON.stringify(report)}\n${inspect(report, { depth: 10 })}`.toUpperCase();
    expect(shown).toContain('23456789');
    for (const key of keys) expect(shown).not.toContain(key);
  });

  it('refuses Kamstrup KEM/KEM2 and other zip or XML files as a whole, pointing KEM to its reader', () => {
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]);
    const kem =
      '<?xml version="1.0"?>\n<EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#"><CipherData/></EncryptedData>';
    for (const input of [zip, kem]) {
      const report = parseKeyImport(input);
      expect(report.lines).toEqual([]);
      expect(report.fileRejected?.reason).toMatch(
        /KEM.*need their password: import them as a KEM file/,
      );
    }
    expect(parseKeyImport('<meters><meter/></meters>').fileRejected?.reason).toMatch(/XML/);
  });

  it('refuses files it cannot read line by line', () => {
    const latin1 = Uint8Array.from([...Buffer.from('Z\u00e4hler;key\n', 'latin1')]);
    const cases: [string | Uint8Array, RegExp][] = [
      ['', /no lines/],
      ['\n\n# nothing\n', /no lines/],
      [latin1, /UTF-8/],
      ['manufacturer;meterId\nKAM;12345678\n', /no key column/],
      ['manufacturer;key\nKAM;00\n', /neither a meter id/],
      [`id;key\n${'12345678;00\n'.repeat(4)}`, /more than 3 lines/],
    ];
    for (const [input, reason] of cases) {
      const report = parseKeyImport(input, { maxLines: 3 });
      expect(report.fileRejected?.reason).toMatch(reason);
      expect(report.lines).toEqual([]);
    }
  });

  it('rejects lines without separators and repeated headers, and goes on', () => {
    const key = hexKey();
    const report = parseKeyImport(`id;key\n12345678;${key}\nid;key\n12345678 ${key}\n`);
    expect(report.lines.map((l) => l.status)).toEqual(['accepted', 'rejected', 'rejected']);
    expect(reasons(report)[1]).toMatch(/repeats the header of line 1/);
  });
});
