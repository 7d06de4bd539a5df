import { createCipheriv, randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';

/** Test helpers: Kamstrup KEM/KEM2 files made here, as Kamstrup's download would hold them. */

export interface KemMeter {
  serial: string;
  /** The key element's text; omitted for a meter without one. */
  key?: string;
}

/** The decrypted meter list: KEM (`MetersInOrder`) or KEM2 (`Devices`). */
export function kemMeterXml(meters: readonly KemMeter[], layout: 'kem' | 'kem2' = 'kem'): string {
  const records = meters.map((m, i) =>
    layout === 'kem'
      ? `<Meter><MeterName>MC21</MeterName><ConsumptionType>VolumeCold</ConsumptionType>` +
        `<MeterNo>${9000 + i}</MeterNo><SerialNo>${m.serial}</SerialNo><VendorId>1</VendorId>` +
        `<ConfigNo>0100200023533</ConfigNo><TypeNo>02146C0K879</TypeNo>` +
        `<DEK>${m.key ?? ''}</DEK><GPK1 /></Meter>`
      : `<Device><ShortName>MC403</ShortName><ConsumptionTypeName>Heat</ConsumptionTypeName>` +
        `<CustomerDeviceNumber>${9000 + i}</CustomerDeviceNumber>` +
        `<SerialNumber>${m.serial}</SerialNumber><ManufacturerId>KAM</ManufacturerId>` +
        `<ConfigNumber>403T</ConfigNumber><TypeNumber>403-T</TypeNumber>` +
        `<EncryptionKeys><EncryptionKey><Name>DEK</Name><Value>${m.key ?? ''}</Value>` +
        `</EncryptionKey></EncryptionKeys></Device>`,
  );
  const root = layout === 'kem' ? 'MetersInOrder' : 'Devices';
  return `<?xml version="1.0" encoding="utf-8"?>\r\n<${root}>${records.join('\r\n')}</${root}>`;
}

/**
 * The `.kem` XML: `plain` under AES-128-CBC with the password (zero-padded to
 * 16 bytes) as key and IV, XML-Enc padded (random bytes, last byte the count).
 */
export function kemXml(
  plain: string,
  password: string,
  options: { algorithm?: string; prependIv?: boolean } = {},
): string {
  const key = Buffer.alloc(16);
  Buffer.from(password, 'utf8').copy(key);
  const data = Buffer.from(plain, 'utf8');
  const padLength = 16 - (data.length % 16);
  const padding = Buffer.concat([randomBytes(padLength - 1), Buffer.from([padLength])]);
  const iv = options.prependIv ? randomBytes(16) : key;
  const cipher = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  const encrypted = Buffer.concat([cipher.update(Buffer.concat([data, padding])), cipher.final()]);
  const value = (options.prependIv ? Buffer.concat([iv, encrypted]) : encrypted)
    .toString('base64')
    .replace(/(.{76})/g, '$1\n');
  const algorithm = options.algorithm ?? 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';
  return (
    '<?xml version="1.0" encoding="utf-8"?><EncryptedData ' +
    `Type="${algorithm}" xmlns="http://www.w3.org/2001/04/xmlenc#">\n` +
    `<EncryptionMethod Algorithm="${algorithm}" />\n` +
    `<CipherData>\n<CipherValue>${value}</CipherValue>\n</CipherData>\n</EncryptedData>`
  );
}

/** A zip of `files` (deflated unless `stored`), the way the KEM download packs its `.kem` and `.xsd`. */
export function zipOf(files: Record<string, string | Buffer>, stored = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const packed = stored ? data : deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A `*.zip.kem` download: the encrypted meter list and its schema. */
export function kemDownload(
  meters: readonly KemMeter[],
  password: string,
  layout: 'kem' | 'kem2' = 'kem',
): Buffer {
  return zipOf({
    [`363A6D7848DF4882B0991674191A9B84.${layout}`]: kemXml(kemMeterXml(meters, layout), password),
    [layout === 'kem' ? 'meter_information_file.xsd' : 'device_information_file.xsd']:
      '<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
  });
}
