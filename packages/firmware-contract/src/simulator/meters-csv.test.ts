import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { METERS_CSV_HEADER, metersCsv, parseMetersCsv } from './meters-csv.js';

describe('metersCsv', () => {
  it('writes the import header and one line per meter, and reads back what it wrote', () => {
    const fleet = createFleet({ count: 12, seed: 3 });
    const csv = metersCsv(fleet);
    const lines = csv.split('\n');
    expect(lines[0]).toBe(METERS_CSV_HEADER);
    expect(lines[0]).toBe('manufacturer,meterId,version,deviceType,kind,radioMode,key');
    expect(lines).toHaveLength(fleet.length + 2);
    expect(lines.at(-1)).toBe('');
    expect(parseMetersCsv(csv)).toEqual(
      fleet.map((m) => ({
        manufacturer: m.manufacturer,
        meterId: m.id,
        version: m.version,
        deviceType: m.deviceType,
        kind: m.kind,
        radioMode: m.radioMode,
        key: m.key,
      })),
    );
    expect(parseMetersCsv(csv.replace(/\n/g, '\r\n'))).toEqual(parseMetersCsv(csv));
  });

  it('refuses what it would not write, naming the line', () => {
    const good = metersCsv(createFleet({ count: 2, seed: 3 }));
    const [header, first, second] = good.split('\n') as [string, string, string];
    expect(() => parseMetersCsv(`${first}\n`)).toThrow(/line 1/);
    expect(() =>
      parseMetersCsv(`${header}\n${first}\n${second.replace(/,[0-9A-F]{32}$/, ',xyz')}\n`),
    ).toThrow(/line 3: key/);
    expect(() => parseMetersCsv(`${header}\n${first},extra\n`)).toThrow(/line 2/);
    const fields = first.split(',');
    fields[2] = '999';
    expect(() => parseMetersCsv(`${header}\n${fields.join(',')}\n`)).toThrow(/line 2: version/);
  });
});
