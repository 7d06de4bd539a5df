import { Type } from 'typebox';
import { StringEnum } from './common.js';

export const SetMeterKeyRequest = Type.Object(
  {
    key: Type.String({
      pattern: '^[0-9A-Fa-f]{2}(?:[ -]?[0-9A-Fa-f]{2}){15}$',
      description:
        'The meter’s AES-128 key: 32 hex digits, any case, pairs may be separated by `-` or a ' +
        'space. Stored sealed; no endpoint ever returns it.',
    }),
  },
  { $id: 'SetMeterKeyRequest', additionalProperties: false },
);

export const MeterKeyImportText = Type.Object(
  {
    text: Type.String({
      maxLength: 10 * 1024 * 1024,
      description: 'The key file’s content, as it would be sent as text/csv.',
    }),
  },
  { $id: 'MeterKeyImportText', additionalProperties: false },
);

export const MeterKeyImportKem = Type.Object(
  {
    format: Type.Literal('kem', {
      description: 'A Kamstrup KEM or KEM2 key file (the downloaded `*.zip.kem(2)` or its `.kem`).',
    }),
    fileBase64: Type.String({
      maxLength: 10 * 1024 * 1024,
      pattern: '^[A-Za-z0-9+/=\\s]*$',
      description: 'The file’s bytes in base64, exactly as downloaded.',
    }),
    password: Type.String({
      maxLength: 64,
      writeOnly: true,
      description:
        'The password the file was made with (the Kamstrup customer id, or one chosen at ' +
        'download; at most 16 bytes). Used to decrypt and then dropped: never stored, logged ' +
        'or returned.',
    }),
  },
  { $id: 'MeterKeyImportKem', additionalProperties: false },
);

const ImportedMeter = Type.Object(
  {
    id: Type.String({ description: 'The platform’s meter id.' }),
    unitId: Type.Optional(Type.String()),
    manufacturer: Type.String(),
    meterId: Type.String(),
    deviceVersion: Type.Integer(),
    deviceType: Type.Integer(),
  },
  { additionalProperties: false },
);

export const MeterKeyImportReport = Type.Object(
  {
    dryRun: Type.Boolean({ description: 'When true, nothing was stored.' }),
    format: Type.Union([
      StringEnum(['simulator-csv', 'csv-header', 'csv', 'kem', 'kem2'] as const),
      Type.Null(),
    ]),
    fileRejected: Type.Optional(
      Type.Object(
        {
          reason: Type.String(),
          code: Type.Optional(
            Type.String({
              description:
                'Stable, for KEM files: `kem-password-wrong` and `kem-password-too-long` mean ' +
                'ask for the password again; others (`kem-zip-without-kem`, `kem-corrupted`, ' +
                '`kem-algorithm-unsupported`, …) that the file itself cannot be used.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'Set when the file as a whole was refused; then no line was read.',
        },
      ),
    ),
    summary: Type.Object(
      {
        accepted: Type.Integer({ description: 'Lines stored (or, in a dry run, that would be).' }),
        rejected: Type.Integer(),
        ignored: Type.Integer({
          description: 'Blank lines, `#` comments and the header (always 0 for KEM files).',
        }),
      },
      { additionalProperties: false },
    ),
    lines: Type.Array(
      Type.Object(
        {
          line: Type.Integer({
            description: '1-based line number in the file; in a KEM file, the meter’s position.',
          }),
          status: StringEnum(['accepted', 'rejected'] as const),
          reason: Type.Optional(
            Type.String({ description: 'Why it was rejected; never repeats the line’s values.' }),
          ),
          meter: Type.Optional(ImportedMeter),
          replacedKey: Type.Optional(
            Type.Boolean({ description: 'Whether the meter had a key, which this one replaces.' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    $id: 'MeterKeyImportReport',
    additionalProperties: false,
    description:
      'One entry per line with content. Lines are stored one by one, each completely or not at ' +
      'all: a line whose storage failed is rejected, and the others stand.',
  },
);

export const MeterKeyImportQuery = Type.Object({
  dryRun: Type.Optional(
    Type.Boolean({ default: false, description: 'Report what would happen; store nothing.' }),
  ),
});

export const meterKeysSchemas = [
  SetMeterKeyRequest,
  MeterKeyImportText,
  MeterKeyImportKem,
  MeterKeyImportReport,
] as const;
