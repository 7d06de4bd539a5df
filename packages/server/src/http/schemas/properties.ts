import { Type } from 'typebox';
import {
  DEFAULT_HOT_WATER_TEMPERATURE_C,
  DEFAULT_MINIMUM_AGGREGATION_UNITS,
  FUELS,
  HEATING_KINDS,
  HOT_WATER_TEMPERATURE_RANGE_C,
  MAX_KWH_PER_HCA_UNIT,
} from '../../domain/tenancy/property.js';
import { StringEnum } from './common.js';
import { Id, listOf, Nullable, RecordMeta, Version } from './tenancy-common.js';

// Shapes only: the domain (src/domain/tenancy) checks values and tells which field is wrong.

const Address = Type.Object(
  {
    street: Type.String({ maxLength: 200 }),
    postalCode: Type.String({ maxLength: 10 }),
    city: Type.String({ maxLength: 100 }),
    country: Type.String({ description: 'ISO 3166-1 alpha-2 (`DE`).', maxLength: 2 }),
  },
  { additionalProperties: false },
);

const HeatingSystem = Type.Object(
  {
    kind: StringEnum(HEATING_KINDS),
    fuel: Type.Optional(StringEnum(FUELS)),
    warmWaterCentral: Type.Boolean({
      description: 'Whether hot water comes from the same central system (§9 HeizkostenV).',
    }),
  },
  { additionalProperties: false },
);

const MinimumAggregationUnits = Type.Integer({
  minimum: DEFAULT_MINIMUM_AGGREGATION_UNITS,
  maximum: 1000,
  description:
    `The fewest units a landlord's aggregate may combine; ${DEFAULT_MINIMUM_AGGREGATION_UNITS} ` +
    'when absent, and never lower.',
});

const EnergyConversion = Type.Object(
  {
    kwhPerHcaUnit: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: MAX_KWH_PER_HCA_UNIT,
        description:
          'kWh per rated heat cost allocator unit, usually from the last annual bill (the ' +
          "building's heat energy ÷ all rated units). Without it the monthly information " +
          'reports allocators in units and no kWh.',
        examples: [0.85],
      }),
    ),
    hotWaterTemperatureC: Type.Optional(
      Type.Number({
        minimum: HOT_WATER_TEMPERATURE_RANGE_C.min,
        maximum: HOT_WATER_TEMPERATURE_RANGE_C.max,
        description:
          'Mean hot-water temperature t_w of HeizkostenV §9(2): kWh = 2.5 × m³ × (t_w − 10). ' +
          `${DEFAULT_HOT_WATER_TEMPERATURE_C} °C when absent.`,
        examples: [DEFAULT_HOT_WATER_TEMPERATURE_C],
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'How the monthly consumption information (HeizkostenV §6a) converts allocator units and ' +
      'hot-water m³ into kWh.',
  },
);

const TimeZone = Type.String({
  maxLength: 64,
  description: 'IANA zone; days and months of consumption are its local ones.',
  examples: ['Europe/Berlin'],
});

const PendingTransfer = Type.Object(
  {
    fromOrganisationId: Type.String(),
    toOrganisationId: Type.String(),
    startedAt: Type.String({ format: 'date-time', description: 'When the operator changed.' }),
  },
  {
    additionalProperties: false,
    description:
      'A transfer to another operator that has not completed: `organisationId` is already the ' +
      "new operator, some meters may still be the old one's. `POST …/transfer` with the same " +
      '`toOrganisationId` completes it; a transfer elsewhere is refused (409) until then.',
  },
);

export const Property = Type.Object(
  {
    id: Type.String(),
    partnerId: Type.String(),
    organisationId: Type.String({ description: 'The metering operator that serves it.' }),
    managerOrganisationId: Type.Optional(
      Type.String({ description: 'The property manager, if any.' }),
    ),
    name: Type.Optional(Type.String()),
    address: Address,
    timeZone: Type.String(),
    heatingSystem: HeatingSystem,
    minimumAggregationUnits: Type.Optional(Type.Integer()),
    energyConversion: Type.Optional(EnergyConversion),
    transfer: Type.Optional(PendingTransfer),
    ...RecordMeta,
  },
  { $id: 'Property', additionalProperties: false },
);

export const PropertyList = listOf('Property', 'PropertyList');

export const CreatePropertyRequest = Type.Object(
  {
    organisationId: Id,
    managerOrganisationId: Type.Optional(Id),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    address: Address,
    timeZone: Type.Optional(TimeZone),
    heatingSystem: HeatingSystem,
    minimumAggregationUnits: Type.Optional(MinimumAggregationUnits),
    energyConversion: Type.Optional(EnergyConversion),
  },
  { $id: 'CreatePropertyRequest', additionalProperties: false },
);

export const UpdatePropertyRequest = Type.Object(
  {
    version: Version,
    organisationId: Type.Optional(
      Type.String({
        ...Id,
        description:
          'Only the current operator is accepted (400 otherwise): a change of metering operator ' +
          'is a transfer (`POST /v1/properties/{propertyId}/transfer`), which moves the meters too.',
      }),
    ),
    managerOrganisationId: Nullable(Id),
    name: Nullable(Type.String({ maxLength: 200 })),
    address: Type.Optional(Address),
    timeZone: Type.Optional(TimeZone),
    heatingSystem: Type.Optional(HeatingSystem),
    minimumAggregationUnits: Nullable(MinimumAggregationUnits),
    energyConversion: Nullable(EnergyConversion),
  },
  {
    $id: 'UpdatePropertyRequest',
    additionalProperties: false,
    description: 'Fields left out stay; null removes an optional field.',
  },
);

export const PropertyParams = Type.Object({ propertyId: Id });

export const PropertyListQuery = Type.Object({
  organisationId: Type.String({
    ...Id,
    description: 'The metering operator whose properties to list.',
  }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
});

export const propertiesSchemas = [
  Property,
  PropertyList,
  CreatePropertyRequest,
  UpdatePropertyRequest,
] as const;
