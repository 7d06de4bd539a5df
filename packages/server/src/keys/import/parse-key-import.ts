import { inspect } from 'node:util';
import { parseSecondaryAddress } from './secondary-address.js';

/**
 * How the file was read. `simulator-csv` is the gateway simulator's
 * `meters.csv` (its exact header); `csv-header` any other file with a header
 * line naming the columns; `csv` a file without one, read by field shapes.
 * `kem` and `kem2` are Kamstrup's encrypted key files (`kem-file.ts`), whose
 * "lines" are the meters in file order.
 */
export type KeyImportFormat = 'simulator-csv' | 'csv-header' | 'csv' | 'kem' | 'kem2';

/** A meter and its key as one line gave them. */
export interface KeyImportEntry {
  /** Three upper-case letters, when the line names it. */
  manufacturer?: string;
  /** 8 digits as printed on the meter. */
  meterId: string;
  version?: number;
  deviceType?: number;
  /** 32 upper-case hex digits. Hidden from JSON and inspect; read the property. */
  key: string;
}

export interface KeyImportLine {
  /** 1-based line number in the file. */
  line: number;
  status: 'accepted' | 'rejected';
  /** Why it was rejected. Never holds key material, nor any other field's value. */
  reason?: string;
  /** Only on accepted lines. */
  entry?: KeyImportEntry;
}

export interface KeyImportReport {
  /** Lines with content after the header, in file order. Empty when the file is refused. */
  lines: KeyImportLine[];
  summary: {
    accepted: number;
    rejected: number;
    /** Blank lines, `#` comments and the header line. */
    ignored: number;
    format: KeyImportFormat | null;
  };
  /**
   * Set when the file as a whole is refused: then nothing in it is accepted.
   * `code` is stable where clients may act on it (a KEM file's wrong password).
   */
  fileRejected?: { reason: string; code?: string };
}

export interface ParseKeyImportOptions {
  /** Lines beyond which the file is refused (a report per line must stay reviewable); 100 000. */
  maxLines?: number;
}

/** The header `metersCsv` of @zaehlwerk/firmware-contract/simulator writes (a test holds them equal). */
export const SIMULATOR_CSV_HEADER = 'manufacturer,meterId,version,deviceType,kind,radioMode,key';

type Column = 'manufacturer' | 'meterId' | 'address' | 'version' | 'deviceType' | 'key';

/** Header names as people write them (compared lower-case without spaces, `-`, `_` and `.`). */
const COLUMN_NAMES: Readonly<Record<string, Column>> = Object.fromEntries(
  (
    [
      ['manufacturer', ['manufacturer', 'man', 'mfr', 'mfct', 'hersteller', 'vendor']],
      [
        'meterId',
        [
          'meterid',
          'id',
          'meterno',
          'meternumber',
          'meter',
          'serial',
          'serialno',
          'serialnumber',
          'zaehlernummer',
          'zählernummer',
          'zaehlerid',
          'zählerid',
        ],
      ],
      ['address', ['address', 'secondaryaddress', 'wmbusaddress', 'sekundäradresse', 'adresse']],
      ['version', ['version', 'ver']],
      ['deviceType', ['devicetype', 'type', 'devtype', 'medium', 'gerätetyp', 'geraetetyp']],
      [
        'key',
        [
          'key',
          'aeskey',
          'aes',
          'aes128',
          'aes128key',
          'meterkey',
          'schluessel',
          'schlüssel',
          'aesschluessel',
          'aesschlüssel',
        ],
      ],
    ] as const
  ).flatMap(([column, names]) => names.map((n) => [n, column])),
);

/** An entry that hides its key from JSON and inspect; every parser's entries are these. */
export class ImportedKey implements KeyImportEntry {
  manufacturer?: string;
  meterId: string;
  version?: number;
  deviceType?: number;
  key: string;

  constructor(fields: KeyImportEntry) {
    if (fields.manufacturer !== undefined) this.manufacturer = fields.manufacturer;
    this.meterId = fields.meterId;
    if (fields.version !== undefined) this.version = fields.version;
    if (fields.deviceType !== undefined) this.deviceType = fields.deviceType;
    this.key = fields.key;
  }

  // A report is made to be shown and logged; the key is there to be sealed, not shown.
  toJSON(): Omit<KeyImportEntry, 'key'> & { key: '[redacted]' } {
    const { key: _key, ...rest } = this;
    return { ...rest, key: '[redacted]' };
  }

  [inspect.custom](): string {
    return `ImportedKey ${inspect(this.toJSON())}`;
  }
}

class LineError extends Error {}
const reject = (reason: string): never => {
  throw new LineError(reason);
};

/**
 * Reads an uploaded key file into a report of every line, accepted or
 * rejected with a reason; nothing is stored here. Supported: the simulator's
 * CSV, and CSV/TXT with `;`, `,` or tab between fields, with or without a
 * header, with or without manufacturer, an 8-digit meter id (plus version and
 * device type) or a 16-hex-digit secondary address (see `secondary-address.ts`
 * for its byte order). Keys may hold `-` and spaces and be in any case.
 * A meter named twice is accepted on its first line only. Zip and XML files
 * are refused as a whole; Kamstrup KEM/KEM2 files are read by `parseKemFile`.
 */
export function parseKeyImport(
  input: string | Uint8Array,
  options: ParseKeyImportOptions = {},
): KeyImportReport {
  const maxLines = options.maxLines ?? 100_000;
  const refuse = (reason: string): KeyImportReport => ({
    lines: [],
    summary: { accepted: 0, rejected: 0, ignored: 0, format: null },
    fileRejected: { reason },
  });

  const decoded = decode(input);
  if (typeof decoded !== 'string') return refuse(decoded.reason);
  const text = decoded.replace(/^\uFEFF/, '');
  const unsupported = unsupportedFormat(text);
  if (unsupported !== null) return refuse(unsupported);

  const rows = text.split(/\r\n|\r|\n/);
  if (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  const contentRows = rows.filter((r) => !isIgnorable(r)).length;
  if (contentRows === 0) return refuse('the file holds no lines');
  if (contentRows > maxLines + 1) {
    return refuse(`the file has more than ${maxLines} lines; split it into smaller files`);
  }

  const separator = detectSeparator(rows);
  const firstIndex = rows.findIndex((r) => !isIgnorable(r));
  const header = readHeader(rows[firstIndex]!, separator);
  if (header !== null && 'reason' in header) return refuse(header.reason);
  const format: KeyImportFormat =
    header === null
      ? 'csv'
      : rows[firstIndex]!.trim() === SIMULATOR_CSV_HEADER
        ? 'simulator-csv'
        : 'csv-header';

  const lines: KeyImportLine[] = [];
  const accepted = new Map<string, { line: number; entry: KeyImportEntry }[]>();
  let ignored = 0;
  rows.forEach((row, index) => {
    const line = index + 1;
    if (isIgnorable(row) || (header !== null && index === firstIndex)) {
      ignored++;
      return;
    }
    try {
      if (header !== null && row.trim().toLowerCase() === rows[firstIndex]!.trim().toLowerCase()) {
        reject(`repeats the header of line ${firstIndex + 1}`);
      }
      if (separator === null) {
        reject("expected fields separated by ';', ',' or a tab");
      }
      const fields = trimTrailingEmpty(splitFields(row, separator!));
      const entry = header === null ? readByShape(fields) : readByHeader(fields, header.columns);
      const sameId = accepted.get(entry.meterId) ?? [];
      const first = sameId.find((a) => sameMeter(a.entry, entry));
      if (first !== undefined) reject(`duplicate of line ${first.line} (same meter)`);
      sameId.push({ line, entry });
      accepted.set(entry.meterId, sameId);
      lines.push({ line, status: 'accepted', entry: new ImportedKey(entry) });
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      lines.push({ line, status: 'rejected', reason: err.message });
    }
  });

  const acceptedCount = lines.filter((l) => l.status === 'accepted').length;
  return {
    lines,
    summary: {
      accepted: acceptedCount,
      rejected: lines.length - acceptedCount,
      ignored,
      format,
    },
  };
}

function decode(input: string | Uint8Array): string | { reason: string } {
  if (typeof input === 'string') {
    return input.startsWith('PK\u0003\u0004') ? { reason: ZIP_REASON } : input;
  }
  if (input[0] === 0x50 && input[1] === 0x4b && (input[2] === 3 || input[2] === 5)) {
    return { reason: ZIP_REASON };
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return { reason: 'the file is not UTF-8 text; save it as UTF-8 CSV' };
  }
}

const ZIP_REASON =
  'zip archives are not read as CSV; Kamstrup KEM/KEM2 key files (zip with XML-Encryption) need their password: import them as a KEM file';

function unsupportedFormat(text: string): string | null {
  if (text.includes('\u0000')) return 'the file is binary, not text';
  if (!text.trimStart().startsWith('<')) return null;
  if (/xmlenc|EncryptedData/.test(text)) {
    return 'XML-Encryption files are not read as CSV; Kamstrup KEM/KEM2 key files need their password: import them as a KEM file';
  }
  return 'XML key files are not supported yet; export the keys as CSV';
}

function isIgnorable(row: string): boolean {
  const trimmed = row.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

type Separator = ';' | ',' | '\t';

function detectSeparator(rows: readonly string[]): Separator | null {
  // The first line that has one decides, `;` first: European spreadsheets
  // write `;` because `,` is their decimal mark.
  for (const row of rows) {
    if (isIgnorable(row)) continue;
    for (const candidate of [';', ',', '\t'] as const) {
      if (row.includes(candidate)) return candidate;
    }
  }
  return null;
}

/** Splits one line; fields in double quotes (as spreadsheets export them) are unquoted. */
function splitFields(row: string, separator: Separator): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!;
    if (quoted) {
      if (c === '"' && row[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === separator) {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  fields.push(field.trim());
  return fields;
}

function trimTrailingEmpty(fields: string[]): string[] {
  let end = fields.length;
  while (end > 0 && fields[end - 1] === '') end--;
  return fields.slice(0, end);
}

function readHeader(
  row: string,
  separator: Separator | null,
): { columns: (Column | null)[] } | { reason: string } | null {
  const fields = trimTrailingEmpty(separator === null ? [row.trim()] : splitFields(row, separator));
  // A line that carries a key or an id is data, whatever else it says.
  if (fields.some((f) => /^[0-9]+$/.test(f) || /^[0-9A-Fa-f]{16,}$/.test(normaliseHex(f)))) {
    return null;
  }
  const columns = fields.map((f) => COLUMN_NAMES[f.toLowerCase().replace(/[\s._-]/g, '')] ?? null);
  if (columns.every((c) => c === null)) return null;
  const seen = new Set<Column>();
  for (const c of columns) {
    if (c === null) continue;
    if (seen.has(c)) return { reason: `the header names the ${c} column twice` };
    seen.add(c);
  }
  if (!seen.has('key')) return { reason: 'the header names no key column' };
  if (!seen.has('meterId') && !seen.has('address')) {
    return { reason: 'the header names neither a meter id nor a secondary address column' };
  }
  return { columns };
}

type Draft = Partial<Omit<KeyImportEntry, 'key'>> & { key?: string; address?: string };

function readByHeader(
  fields: readonly string[],
  columns: readonly (Column | null)[],
): KeyImportEntry {
  if (fields.length > columns.length) {
    reject(`${fields.length} fields, but the header names ${columns.length}`);
  }
  const draft: Draft = {};
  columns.forEach((column, i) => {
    const value = fields[i] ?? '';
    if (column === null || value === '') return;
    switch (column) {
      case 'manufacturer':
        draft.manufacturer = manufacturerOf(value);
        break;
      case 'meterId':
        // An address in the id column is unambiguous, so it is taken as one.
        if (/^[0-9A-Fa-f]{16}$/.test(normaliseHex(value))) {
          draft.address = value;
        } else draft.meterId = meterIdOf(value);
        break;
      case 'address':
        draft.address = value;
        break;
      case 'version':
        draft.version = byteOf(value, 'version');
        break;
      case 'deviceType':
        draft.deviceType = byteOf(value, 'device type');
        break;
      case 'key':
        draft.key = value;
        break;
    }
  });
  return complete(draft);
}

/**
 * Without a header the last field is the key, and the others are told apart
 * by their shape: three letters, 8 digits, 16 hex digits, then up to two small
 * numbers (version, then device type) after the meter id.
 */
function readByShape(fields: readonly string[]): KeyImportEntry {
  if (fields.length < 2) reject('expected at least a meter id and a key');
  const draft: Draft = { key: fields[fields.length - 1]! };
  const numbers: string[] = [];
  fields.slice(0, -1).forEach((value, i) => {
    const field = `field ${i + 1}`;
    if (value === '') return;
    if (/^[A-Za-z]{3}$/.test(value)) {
      if (draft.manufacturer !== undefined) reject(`${field}: a second manufacturer`);
      draft.manufacturer = value.toUpperCase();
    } else if (/^[0-9A-Fa-f]{16}$/.test(normaliseHex(value))) {
      if (draft.meterId !== undefined || draft.address !== undefined) {
        reject(`${field}: a second meter id`);
      }
      draft.address = value;
    } else if (/^[0-9]+$/.test(value) && value.length > 3) {
      if (draft.meterId !== undefined || draft.address !== undefined) {
        reject(`${field}: a second meter id`);
      }
      draft.meterId = meterIdOf(value);
    } else if (/^([0-9]{1,3}|0[xX][0-9A-Fa-f]{1,2})$/.test(value)) {
      if (draft.meterId === undefined) {
        reject(`${field}: a number before the meter id; add a header naming the columns`);
      }
      numbers.push(value);
    } else {
      reject(
        `${field} is neither a manufacturer code, an 8-digit meter id, a 16-hex-digit secondary address, a version nor a device type`,
      );
    }
  });
  if (numbers.length === 1) {
    reject('one number besides the meter id could be version or device type; add a header');
  }
  if (numbers.length > 2) reject('more than two numbers besides the meter id');
  if (numbers.length === 2) {
    draft.version = byteOf(numbers[0]!, 'version');
    draft.deviceType = byteOf(numbers[1]!, 'device type');
  }
  return complete(draft);
}

function complete(draft: Draft): KeyImportEntry {
  if (draft.address !== undefined) {
    const address = parseSecondaryAddress(normaliseHex(draft.address));
    if ('reason' in address) return reject(address.reason);
    for (const part of ['manufacturer', 'version', 'deviceType'] as const) {
      if (draft[part] !== undefined && draft[part] !== address[part]) {
        reject(`the ${part} disagrees with the secondary address`);
      }
    }
    Object.assign(draft, address);
  }
  if (draft.meterId === undefined) reject('no meter id');
  if (draft.key === undefined || draft.key === '') reject('no key');
  const entry: KeyImportEntry = { meterId: draft.meterId!, key: keyOf(draft.key!) };
  if (draft.manufacturer !== undefined) entry.manufacturer = draft.manufacturer;
  if (draft.version !== undefined) entry.version = draft.version;
  if (draft.deviceType !== undefined) entry.deviceType = draft.deviceType;
  return entry;
}

function normaliseHex(value: string): string {
  return value.replace(/[\s-]/g, '');
}

function keyOf(value: string): string {
  const hex = normaliseHex(value);
  // Reasons give lengths and rules only: a near-miss key is still mostly a key.
  if (!/^[0-9A-Fa-f]*$/.test(hex)) {
    reject("the key holds characters other than hex digits, '-' and spaces");
  }
  if (hex.length !== 32) {
    reject(`the key must be 32 hex digits (AES-128), found ${hex.length}`);
  }
  return hex.toUpperCase();
}

function manufacturerOf(value: string): string {
  if (!/^[A-Za-z]{3}$/.test(value)) reject('the manufacturer must be three letters');
  return value.toUpperCase();
}

function meterIdOf(value: string): string {
  if (!/^[0-9]+$/.test(value)) reject('the meter id must be 8 digits');
  if (value.length < 8) {
    reject(
      `the meter id must be 8 digits, found ${value.length} (a spreadsheet may have dropped leading zeros)`,
    );
  }
  if (value.length > 8) reject(`the meter id must be 8 digits, found ${value.length}`);
  return value;
}

function byteOf(value: string, name: string): number {
  const n = /^[0-9]{1,3}$/.test(value)
    ? Number(value)
    : /^0[xX][0-9A-Fa-f]{1,2}$/.test(value)
      ? parseInt(value.slice(2), 16)
      : NaN;
  if (!(n >= 0 && n <= 255)) reject(`the ${name} must be 0-255 in decimal, or hex as 0x1B`);
  return n;
}

/**
 * The same meter, as far as both lines tell: the same id, and no part that
 * both name differs. `12345678` and `KAM;12345678` are the same meter;
 * two versions of one id are not (OMS identifies a meter by all four).
 */
function sameMeter(a: KeyImportEntry, b: KeyImportEntry): boolean {
  if (a.meterId !== b.meterId) return false;
  return (['manufacturer', 'version', 'deviceType'] as const).every(
    (part) => a[part] === undefined || b[part] === undefined || a[part] === b[part],
  );
}
