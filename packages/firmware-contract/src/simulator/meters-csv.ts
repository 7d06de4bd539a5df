import type { MeterKind, MeterRadioMode, VirtualMeter } from './virtual-meter.js';

/**
 * The meters and their keys in the import format the platform reads: one
 * meter per line, comma-separated, with this header. `version` and
 * `deviceType` are the link header's bytes as decimal integers (as in
 * vectors/v1), `kind` is the package's meter family name, `key` the AES-128
 * key as 32 upper-case hex digits. Lines end in LF; the file ends in one.
 */
export const METERS_CSV_HEADER = 'manufacturer,meterId,version,deviceType,kind,radioMode,key';

/** One line of the import: what the platform needs to find a meter's key. */
export interface MeterKeyRecord {
  manufacturer: string;
  meterId: string;
  version: number;
  deviceType: number;
  kind: MeterKind;
  radioMode: MeterRadioMode;
  key: string;
}

const COLUMNS = METERS_CSV_HEADER.split(',');
const KINDS: ReadonlySet<string> = new Set<MeterKind>([
  'heat-cost-allocator',
  'heat-meter',
  'water-meter',
]);
const MODES: ReadonlySet<string> = new Set<MeterRadioMode>(['T1', 'C1', 'S1']);

/** The CSV of a fleet's meters and keys (no field ever needs quoting). */
export function metersCsv(meters: readonly VirtualMeter[]): string {
  const lines = meters.map((m) =>
    [m.manufacturer, m.id, m.version, m.deviceType, m.kind, m.radioMode, m.key].join(','),
  );
  return `${[METERS_CSV_HEADER, ...lines].join('\n')}\n`;
}

/**
 * Reads the CSV `metersCsv` writes (CRLF tolerated, blank lines skipped).
 * Throws a RangeError naming the line for anything else: the file is a
 * contract between the simulator and the importer, not free-form input.
 */
export function parseMetersCsv(text: string): MeterKeyRecord[] {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== METERS_CSV_HEADER) {
    throw new RangeError(`line 1: expected the header '${METERS_CSV_HEADER}'`);
  }
  const records: MeterKeyRecord[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const fail = (what: string): never => {
      throw new RangeError(`line ${i + 2}: ${what}`);
    };
    const fields = line.split(',');
    if (fields.length !== COLUMNS.length) fail(`expected ${COLUMNS.length} fields`);
    const [manufacturer, meterId, version, deviceType, kind, radioMode, key] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^[A-Z]{3}$/.test(manufacturer)) fail('manufacturer must be three letters A-Z');
    if (!/^[0-9]{8}$/.test(meterId)) fail('meterId must be 8 digits');
    const byte = (text: string, name: string) =>
      /^[0-9]{1,3}$/.test(text) && Number(text) <= 255
        ? Number(text)
        : fail(`${name} must be a decimal integer 0-255`);
    if (!KINDS.has(kind)) fail(`unknown kind '${kind}'`);
    if (!MODES.has(radioMode)) fail(`unknown radioMode '${radioMode}'`);
    if (!/^[0-9A-F]{32}$/.test(key)) fail('key must be 32 upper-case hex digits');
    records.push({
      manufacturer,
      meterId,
      version: byte(version, 'version'),
      deviceType: byte(deviceType, 'deviceType'),
      kind: kind as MeterKind,
      radioMode: radioMode as MeterRadioMode,
      key,
    });
  });
  return records;
}
