import { Type } from 'typebox';
import { METER_KINDS } from '../../domain/tenancy/meter.js';
import { StringEnum } from './common.js';
import { Id, listOf, Nullable, RecordMeta, Version } from './tenancy-common.js';

const Instant = (description: string) =>
  Type.String({ format: 'date-time', description, examples: ['2025-03-01T08:00:00Z'] });

const INSTALLED = 'When the device was installed here.';
const REMOVED =
  'When it was removed: retires the meter and frees its identity for a new installation. Final ' +
  '(it may be corrected, not cleared).';

const RatingFactors = Type.Object(
  {
    kq: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Radiator output factor.' }),
    kc: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Thermal coupling factor.' }),
    kt: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  },
  {
    additionalProperties: false,
    description: 'EN 834 rating factors; heat cost allocators only.',
  },
);

export const Meter = Type.Object(
  {
    id: Type.String({ description: 'The platform’s id of this installation.' }),
    partnerId: Type.String(),
    organisationId: Type.String({ description: 'The metering operator; its gateways receive it.' }),
    propertyId: Type.String(),
    unitId: Type.Optional(
      Type.String({ description: 'Absent for a meter of the building itself.' }),
    ),
    kind: StringEnum(METER_KINDS),
    manufacturer: Type.String({ description: 'FLAG code, three letters (`KAM`).' }),
    meterId: Type.String({ description: 'The 8-digit id printed on the device.' }),
    deviceVersion: Type.Integer({ description: 'The wM-Bus version byte.' }),
    deviceType: Type.Integer({ description: 'The wM-Bus device type byte.' }),
    location: Type.Optional(Type.String()),
    installedAt: Type.String({ format: 'date-time' }),
    removedAt: Type.Optional(Type.String({ format: 'date-time' })),
    ratingFactors: Type.Optional(RatingFactors),
    hasKey: Type.Optional(
      Type.Boolean({
        description:
          'Whether the platform holds the meter’s AES key (never shown). Operators and ' +
          'partner admins only.',
      }),
    ),
    key: Type.Optional(
      Type.Object(
        {
          masterKeyId: Type.String({ description: 'The master key the stored key is wrapped by.' }),
          updatedAt: Type.String({ format: 'date-time', description: 'When it was stored.' }),
        },
        { additionalProperties: false },
      ),
    ),
    ...RecordMeta,
  },
  { $id: 'Meter', additionalProperties: false },
);

export const MeterList = listOf('Meter', 'MeterList');

export const CreateMeterRequest = Type.Object(
  {
    unitId: Type.Optional(
      Type.String({ ...Id, description: 'A unit of the property; leave out for the building’s.' }),
    ),
    kind: StringEnum(METER_KINDS),
    manufacturer: Type.String({ pattern: '^[A-Za-z]{3}$' }),
    meterId: Type.String({ pattern: '^\\d{8}$' }),
    deviceVersion: Type.Integer({ minimum: 0, maximum: 255 }),
    deviceType: Type.Integer({ minimum: 0, maximum: 255 }),
    location: Type.Optional(Type.String({ maxLength: 100 })),
    installedAt: Instant(INSTALLED),
    removedAt: Type.Optional(Instant(REMOVED)),
    ratingFactors: Type.Optional(RatingFactors),
  },
  {
    $id: 'CreateMeterRequest',
    additionalProperties: false,
    description:
      'The identity (manufacturer, meterId, deviceVersion, deviceType) must be unique among the ' +
      'partner’s installed meters (409). The key is set through the meter key routes.',
  },
);

export const UpdateMeterRequest = Type.Object(
  {
    version: Version,
    location: Nullable(Type.String({ maxLength: 100 })),
    installedAt: Type.Optional(Instant(INSTALLED)),
    removedAt: Type.Optional(Instant(REMOVED)),
    ratingFactors: Type.Optional(Type.Union([RatingFactors, Type.Null()])),
  },
  {
    $id: 'UpdateMeterRequest',
    additionalProperties: false,
    description:
      'Fields left out stay; null removes an optional field. Identity and place never change: ' +
      'a device moved is removed here and installed again as a new meter.',
  },
);

export const MeterParams = Type.Object({
  meterId: Type.String({ ...Id, description: 'The platform’s meter id (`id`).' }),
});

export const metersSchemas = [Meter, MeterList, CreateMeterRequest, UpdateMeterRequest] as const;
