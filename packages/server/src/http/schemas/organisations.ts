import { Type } from 'typebox';
import { ORGANISATION_KINDS } from '../../domain/tenancy/organisation.js';
import { StringEnum } from './common.js';
import { Id, listOf, RecordMeta, Version } from './tenancy-common.js';

// Shapes only: the domain (src/domain/tenancy/organisation.ts) checks values and names the field.

const Kind = StringEnum(ORGANISATION_KINDS, {
  description:
    'A metering operator runs gateways and meters; a property manager manages properties. ' +
    'Fixed at creation.',
});

const ContactAddress = Type.Object(
  {
    street: Type.String({ maxLength: 200, examples: ['Musterstraße 5'] }),
    postalCode: Type.String({ maxLength: 10, examples: ['12345'] }),
    city: Type.String({ maxLength: 100, examples: ['Musterstadt'] }),
    country: Type.String({
      maxLength: 2,
      description: 'ISO 3166-1 alpha-2; stored upper-case.',
      examples: ['DE'],
    }),
  },
  { additionalProperties: false },
);

function contactSchema(description: string) {
  return Type.Object(
    {
      name: Type.Optional(Type.String({ maxLength: 200, examples: ['Kundenservice'] })),
      email: Type.Optional(
        Type.String({ format: 'email', maxLength: 254, examples: ['service@messdienst.example'] }),
      ),
      phone: Type.Optional(Type.String({ maxLength: 40, examples: ['+49 30 1234567'] })),
      address: Type.Optional(ContactAddress),
    },
    { additionalProperties: false, description },
  );
}

const Contact = contactSchema('Whom to reach at the organisation; every part optional.');

export const Organisation = Type.Object(
  {
    id: Type.String({ examples: ['org_3kT9x0aQ2b7mN1pR'] }),
    partnerId: Type.String(),
    name: Type.String({ examples: ['Messdienst Nord GmbH'] }),
    kind: Kind,
    contact: Contact,
    ...RecordMeta,
  },
  {
    $id: 'Organisation',
    additionalProperties: false,
    description: 'A metering operator or property manager of the partner.',
  },
);

export const OrganisationList = listOf('Organisation', 'OrganisationList');

export const CreateOrganisationRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Messdienst Nord GmbH'] }),
    kind: Kind,
    contact: Type.Optional(Contact),
  },
  { $id: 'CreateOrganisationRequest', additionalProperties: false },
);

export const UpdateOrganisationRequest = Type.Object(
  {
    version: Version,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    contact: Type.Optional(
      contactSchema('Replaces the stored contact as a whole; `{}` clears it.'),
    ),
  },
  {
    $id: 'UpdateOrganisationRequest',
    additionalProperties: false,
    description: 'The fields to change; left out means unchanged. The kind cannot change.',
  },
);

export const OrganisationParams = Type.Object({ organisationId: Id });

/** The $id'd schemas of organisations, for app.addSchema (referenced ones first). */
export const organisationSchemas = [
  Organisation,
  OrganisationList,
  CreateOrganisationRequest,
  UpdateOrganisationRequest,
];
