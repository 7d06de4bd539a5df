import { Type } from 'typebox';
import { OCCUPANT_CATEGORIES } from '../../domain/tenancy/unit.js';
import { StringEnum } from './common.js';
import { Id, listOf, Nullable, RecordMeta, Version } from './tenancy-common.js';

const Area = (description: string) => Type.Number({ minimum: 0, maximum: 100_000, description });

const LIVING_AREA = 'Living or usable area in m² (Wohn-/Nutzfläche), more than 0.';
const HEATED_AREA = 'Heated area in m²; 0 for an unheated unit.';

export const Unit = Type.Object(
  {
    id: Type.String(),
    partnerId: Type.String(),
    propertyId: Type.String(),
    name: Type.String({ description: 'As on the bill (`WE 03`, `2. OG links`).' }),
    floor: Type.Optional(Type.String()),
    livingAreaM2: Type.Number(),
    heatedAreaM2: Type.Number(),
    occupantCategory: Type.Optional(StringEnum(OCCUPANT_CATEGORIES)),
    ...RecordMeta,
  },
  { $id: 'Unit', additionalProperties: false },
);

export const UnitList = listOf('Unit', 'UnitList');

export const CreateUnitRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    floor: Type.Optional(Type.String({ maxLength: 32 })),
    livingAreaM2: Area(LIVING_AREA),
    heatedAreaM2: Area(HEATED_AREA),
    occupantCategory: Type.Optional(
      StringEnum(OCCUPANT_CATEGORIES, { description: 'Absent means residential.' }),
    ),
  },
  { $id: 'CreateUnitRequest', additionalProperties: false },
);

export const UpdateUnitRequest = Type.Object(
  {
    version: Version,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    floor: Nullable(Type.String({ maxLength: 32 })),
    livingAreaM2: Type.Optional(Area(LIVING_AREA)),
    heatedAreaM2: Type.Optional(Area(HEATED_AREA)),
    occupantCategory: Nullable(StringEnum(OCCUPANT_CATEGORIES)),
  },
  {
    $id: 'UpdateUnitRequest',
    additionalProperties: false,
    description:
      'Fields left out stay; null removes an optional field. A unit stays in its property.',
  },
);

export const UnitParams = Type.Object({ unitId: Id });

export const unitsSchemas = [Unit, UnitList, CreateUnitRequest, UpdateUnitRequest] as const;
