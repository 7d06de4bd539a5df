import { createDecipheriv } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';
import { ImportedKey, type KeyImportLine, type KeyImportReport } from './parse-key-import.js';

/**
 * Why a KEM file was refused as a whole. Stable: clients ask for the password
 * again on `kem-password-wrong` and `kem-password-too-long`.
 */
export type KemRefusal =
  | 'kem-not-zip-or-xml'
  | 'kem-zip-unreadable'
  | 'kem-zip-without-kem'
  | 'kem-zip-several-kem'
  | 'kem-not-encrypted'
  | 'kem-algorithm-unsupported'
  | 'kem-corrupted'
  | 'kem-password-wrong'
  | 'kem-password-too-long'
  | 'kem-content-unknown'
  | 'kem-too-large';

export interface ParseKemOptions {
  /** Meters beyond which the file is refused, as `parseKeyImport`'s `maxLines`; 100 000. */
  maxMeters?: number;
}

const REASONS: Readonly<Record<KemRefusal, string>> = {
  'kem-not-zip-or-xml': 'the file is neither a zip archive nor a KEM XML file',
  'kem-zip-unreadable':
    'the zip archive cannot be read (damaged, encrypted, zip64 or an unsupported compression)',
  'kem-zip-without-kem': 'the zip archive holds no .kem or .kem2 file',
  'kem-zip-several-kem':
    'the zip archive holds more than one .kem or .kem2 file; import them one by one',
  'kem-not-encrypted': 'the XML file holds no XML-Encryption CipherValue',
  'kem-algorithm-unsupported':
    'the file is encrypted with an algorithm other than AES-128-CBC (xmlenc#aes128-cbc)',
  'kem-corrupted': 'the encrypted content is damaged (not base64, or not whole AES blocks)',
  'kem-password-wrong': 'the password is wrong, or the file is damaged',
  'kem-password-too-long': 'the password is longer than 16 bytes; KEM passwords have at most 16',
  'kem-content-unknown':
    'the file decrypts, but to XML that lists no Kamstrup meters (MetersInOrder or Devices)',
  'kem-too-large': 'the file is too large to be a key file',
};

/** Decompressed bytes a key file may take; KEM files of thousands of meters stay far below. */
const MAX_CONTENT_BYTES = 32 * 1024 * 1024;
const XMLENC_AES128_CBC = 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';
const KAMSTRUP = 'KAM';

class Refused extends Error {
  constructor(readonly code: KemRefusal) {
    super(code);
  }
}
const refuse = (code: KemRefusal): never => {
  throw new Refused(code);
};

/**
 * Reads a Kamstrup KEM or KEM2 key file into the report `parseKeyImport`
 * gives for CSV: one line per meter (1-based, in file order), accepted with
 * manufacturer KAM, the 8-digit serial number as meter id and the key, or
 * rejected with a reason. The input is the downloaded `*.zip.kem(2)` (a zip
 * holding one `.kem`/`.kem2`) or that `.kem` alone: W3C XML-Encryption with
 * AES-128-CBC whose key, and IV, is the password's UTF-8 bytes zero-padded to
 * 16 (Kamstrup's convention, not XML-Enc's). The file names no M-Bus version
 * or device type, so entries carry none. Neither the password nor anything
 * decrypted appears in a reason.
 */
export function parseKemFile(
  bytes: Uint8Array,
  password: string,
  options: ParseKemOptions = {},
): KeyImportReport {
  try {
    const document = kemDocument(bytes);
    const plain = decrypt(document, password);
    return readMeters(plain, options.maxMeters ?? 100_000);
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return {
      lines: [],
      summary: { accepted: 0, rejected: 0, ignored: 0, format: null },
      fileRejected: { reason: REASONS[err.code], code: err.code },
    };
  }
}

/** The `.kem` XML text: the bytes themselves, or the one `.kem` entry of the zip. */
function kemDocument(bytes: Uint8Array): string {
  if (bytes.length > MAX_CONTENT_BYTES) refuse('kem-too-large');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isZip = buffer.length >= 4 && buffer.readUInt32LE(0) === 0x04034b50;
  const content = isZip ? kemEntry(buffer) : buffer;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return refuse(isZip ? 'kem-not-encrypted' : 'kem-not-zip-or-xml');
  }
  text = text.replace(/^\uFEFF/, '');
  if (!text.trimStart().startsWith('<')) {
    refuse(isZip ? 'kem-not-encrypted' : 'kem-not-zip-or-xml');
  }
  return text;
}

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

/**
 * The single `.kem`/`.kem2` entry, read through the central directory (the
 * local headers may defer sizes to a data descriptor). Stored and deflated
 * entries only, which is what Kamstrup's downloads use.
 */
function kemEntry(zip: Buffer): Buffer {
  const entries = centralDirectory(zip);
  const kem = entries.filter((e) => /\.kem2?$/i.test(e.name) && !e.name.endsWith('/'));
  if (kem.length === 0) refuse('kem-zip-without-kem');
  if (kem.length > 1) refuse('kem-zip-several-kem');
  const entry = kem[0]!;
  // Bit 0: the entry is encrypted with a zip password, which Kamstrup does not use.
  if ((entry.flags & 1) !== 0 || entry.size > MAX_CONTENT_BYTES) refuse('kem-zip-unreadable');
  const at = entry.localHeader;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== 0x04034b50) refuse('kem-zip-unreadable');
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) refuse('kem-zip-unreadable');
  let content: Buffer;
  try {
    if (entry.method === 0) content = data;
    else if (entry.method === 8) {
      content = inflateRawSync(data, { maxOutputLength: MAX_CONTENT_BYTES });
    } else return refuse('kem-zip-unreadable');
  } catch {
    return refuse('kem-zip-unreadable');
  }
  if (content.length !== entry.size || crc32(content) >>> 0 !== entry.crc) {
    refuse('kem-zip-unreadable');
  }
  return content;
}

function centralDirectory(zip: Buffer): ZipEntry[] {
  // The end record is the last 22 bytes, unless a comment (up to 64 KiB) follows it.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) refuse('kem-zip-unreadable');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  // 0xFFFF / 0xFFFFFFFF mark zip64, which a key file never needs.
  if (count === 0xffff || at === 0xffffffff) refuse('kem-zip-unreadable');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) refuse('kem-zip-unreadable');
    const nameLength = zip.readUInt16LE(at + 28);
    const entry: ZipEntry = {
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localHeader: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff) {
      refuse('kem-zip-unreadable');
    }
    entries.push(entry);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** The decrypted meter list, or a refusal that holds nothing of the password or content. */
function decrypt(document: string, password: string): string {
  if (!/<(?:\w+:)?EncryptedData\b/.test(document)) refuse('kem-not-encrypted');
  const algorithm = /<(?:\w+:)?EncryptionMethod\b[^>]*\bAlgorithm\s*=\s*["']([^"']*)["']/.exec(
    document,
  );
  if (algorithm !== null && algorithm[1]!.trim() !== XMLENC_AES128_CBC) {
    refuse('kem-algorithm-unsupported');
  }
  const value = /<(?:\w+:)?CipherValue\b[^>]*>([^<]*)<\/(?:\w+:)?CipherValue>/.exec(document);
  if (value === null) return refuse('kem-not-encrypted');
  const base64 = value[1]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) refuse('kem-corrupted');
  const cipher = Buffer.from(base64, 'base64');
  if (cipher.length === 0 || cipher.length % 16 !== 0) refuse('kem-corrupted');

  const secret = Buffer.from(password, 'utf8');
  if (secret.length > 16) refuse('kem-password-too-long');
  const key = Buffer.alloc(16);
  secret.copy(key);
  secret.fill(0);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, key);
    // Kamstrup's padding is not always PKCS#7; `xmlText` removes it.
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(cipher), decipher.final()]);
  } finally {
    key.fill(0);
  }
  // The published files use the key as IV. Were an XML-Enc IV prepended
  // instead, CBC makes everything after the first block decrypt correctly all
  // the same, so that reading is tried too.
  const text = xmlText(plain) ?? (plain.length > 16 ? xmlText(plain.subarray(16)) : null);
  plain.fill(0);
  if (text === null) refuse('kem-password-wrong');
  return text!;
}

/**
 * The plaintext as XML text, or null when it is none (a wrong password gives
 * random bytes). XML-Enc padding (last byte = pad length) is removed first;
 * zero padding or none is tried as well.
 */
function xmlText(plain: Buffer): string | null {
  const pad = plain[plain.length - 1] ?? 0;
  const candidates =
    pad >= 1 && pad <= 16 && pad <= plain.length
      ? [plain.subarray(0, plain.length - pad), plain]
      : [plain];
  for (const candidate of candidates) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(candidate);
    } catch {
      continue;
    }
    let end = text.length;
    while (end > 0 && (text.charCodeAt(end - 1) === 0 || /\s/.test(text[end - 1]!))) end--;
    text = text.slice(0, end).replace(/^\uFEFF/, '');
    if (text.trimStart().startsWith('<') && text.endsWith('>')) return text;
  }
  return null;
}

type Layout = {
  format: 'kem' | 'kem2';
  record: string;
  serial: string;
  key: string;
};

/** The two layouts Kamstrup ships: KEM lists `Meter`s, KEM2 `Device`s. */
const LAYOUTS: Readonly<Record<string, Layout>> = {
  MetersInOrder: { format: 'kem', record: 'Meter', serial: 'SerialNo', key: 'DEK' },
  Devices: { format: 'kem2', record: 'Device', serial: 'SerialNumber', key: 'Value' },
};

function readMeters(xml: string, maxMeters: number): KeyImportReport {
  const body = xml.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  const root = /<(?:\w+:)?(\w+)\b/.exec(body)?.[1];
  const layout = root === undefined ? undefined : LAYOUTS[root];
  if (layout === undefined) return refuse('kem-content-unknown');

  const records = [
    ...body.matchAll(
      new RegExp(
        `<(?:\\w+:)?${layout.record}\\b[^>]*>([\\s\\S]*?)</(?:\\w+:)?${layout.record}>`,
        'g',
      ),
    ),
  ].map((m) => m[1]!);
  if (records.length > maxMeters) refuse('kem-too-large');

  const lines: KeyImportLine[] = [];
  const firstLineOf = new Map<string, number>();
  records.forEach((record, index) => {
    const line = index + 1;
    const rejected = (reason: string) => lines.push({ line, status: 'rejected', reason });
    const serial = field(record, layout.serial);
    // Labels print `serial/device code/year`; the wireless id is the serial alone.
    const meterId = serial?.split('/')[0]!.trim();
    if (meterId === undefined || meterId === '') return rejected(`no ${layout.serial}`);
    if (!/^[0-9]+$/.test(meterId)) return rejected(`the ${layout.serial} is not a number`);
    if (meterId.length !== 8) {
      return rejected(`the ${layout.serial} must be 8 digits, found ${meterId.length}`);
    }
    const key = (field(record, layout.key) ?? '').replace(/[\s-]/g, '');
    if (key === '') return rejected(`no key (${layout.key}) for this meter`);
    if (!/^[0-9A-Fa-f]{32}$/.test(key)) {
      return rejected(`the key (${layout.key}) must be 32 hex digits (AES-128)`);
    }
    const first = firstLineOf.get(meterId);
    if (first !== undefined) return rejected(`duplicate of meter ${first} (same serial number)`);
    firstLineOf.set(meterId, line);
    lines.push({
      line,
      status: 'accepted',
      entry: new ImportedKey({ manufacturer: KAMSTRUP, meterId, key: key.toUpperCase() }),
    });
  });

  const accepted = lines.filter((l) => l.status === 'accepted').length;
  return {
    lines,
    summary: {
      accepted,
      rejected: lines.length - accepted,
      ignored: 0,
      format: layout.format,
    },
  };
}

/** The text of the first element `name` in `record`, entities decoded; undefined when absent. */
function field(record: string, name: string): string | undefined {
  const match = new RegExp(`<(?:\\w+:)?${name}\\b[^>]*?(?:/>|>([^<]*)</(?:\\w+:)?${name}>)`).exec(
    record,
  );
  if (match === null) return undefined;
  return (match[1] ?? '')
    .replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) =>
      e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : "'",
    )
    .trim();
}
