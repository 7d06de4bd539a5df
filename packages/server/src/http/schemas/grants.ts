import { Type } from 'typebox';
import { StringEnum } from './common.js';
import { Id } from './tenancy-common.js';

/**
 * A role a user or API key is given, within the caller's partner: the
 * partner is implied, and platform admins are never made here.
 */
export const GrantInput = Type.Object(
  {
    role: StringEnum(['partner-admin', 'operator', 'landlord', 'tenant'] as const, {
      description:
        'partner-admin: the whole partner; operator: one organisation; landlord: one ' +
        'property; tenant: one unit.',
    }),
    partnerId: Type.Optional(
      Type.String({
        // The id alphabet of the stores, as Id has it.
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
        description: "The caller's partner; implied when left out, refused when another.",
      }),
    ),
    organisationId: Type.Optional(Id),
    propertyId: Type.Optional(Id),
    unitId: Type.Optional(Id),
    tenancyId: Type.Optional(Id),
  },
  {
    $id: 'GrantInput',
    additionalProperties: false,
    description:
      'Name the level the role applies to (an operator its organisationId, a landlord its ' +
      'propertyId, a tenant its unitId). Wider ids may be carried along; they must be the ' +
      "ones the partner's tree holds.",
    examples: [{ role: 'operator', organisationId: 'org_3kT9x0aQ2b7mN1pR' }],
  },
);

/** The $id'd schemas grants are given with, for app.addSchema before users' and API keys'. */
export const grantSchemas = [GrantInput];
