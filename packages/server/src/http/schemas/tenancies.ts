import { Type } from 'typebox';
import { Id, listOf, Nullable, RecordMeta, Version } from './tenancy-common.js';

const Day = (description: string) =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description, examples: ['2025-04-01'] });

const FROM = 'First day of the tenancy (the property’s time zone), inclusive.';
const TO = 'Last day, inclusive (`bis 31.03.`); absent while open-ended.';

const TenantUserIds = Type.Array(Id, {
  maxItems: 20,
  uniqueItems: true,
  description: 'Users of the partner who see the unit’s own values as its tenants.',
});

export const Tenancy = Type.Object(
  {
    id: Type.String(),
    partnerId: Type.String(),
    propertyId: Type.String(),
    unitId: Type.String(),
    from: Type.String({ description: FROM }),
    to: Type.Optional(Type.String({ description: TO })),
    tenantUserIds: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'The tenants’ user ids: personal data, shown to operators and partner admins only.',
      }),
    ),
    ...RecordMeta,
  },
  { $id: 'Tenancy', additionalProperties: false },
);

export const TenancyList = listOf('Tenancy', 'TenancyList');

export const CreateTenancyRequest = Type.Object(
  { from: Day(FROM), to: Type.Optional(Day(TO)), tenantUserIds: Type.Optional(TenantUserIds) },
  {
    $id: 'CreateTenancyRequest',
    additionalProperties: false,
    description: '409 when it would overlap another tenancy of the unit.',
  },
);

export const UpdateTenancyRequest = Type.Object(
  {
    version: Version,
    from: Type.Optional(Day(FROM)),
    to: Nullable(Day(TO)),
    tenantUserIds: Type.Optional(TenantUserIds),
  },
  {
    $id: 'UpdateTenancyRequest',
    additionalProperties: false,
    description: 'Fields left out stay; `to: null` makes it open-ended. The unit is fixed.',
  },
);

export const TenancyParams = Type.Object({ tenancyId: Id });

export const tenanciesSchemas = [
  Tenancy,
  TenancyList,
  CreateTenancyRequest,
  UpdateTenancyRequest,
] as const;
