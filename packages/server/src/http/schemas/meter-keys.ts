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
    format: Type.Union([StringEnum(['simulator-csv', 'csv-header', 'csv'] as const), Type.Null()]),
    fileRejected: Type.Optional(
      Type.Object(
        { reason: Type.String() },
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
        ignored: Type.Integer({ description: 'Blank lines, `#` comments and the header.' }),
      },
      { additionalProperties: false },
    ),
    lines: Type.Array(
      Type.Object(
        {
          line: Type.Integer({ description: '1-based line number in the file.' }),
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
  MeterKeyImportReport,
] as const;
