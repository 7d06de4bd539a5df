import { readAddress, type PostalAddress } from './address.js';
import { mergePatch, type Versioned } from './entity.js';
import { email, oneOf, optional, phone, record, text, type Fields } from './validation.js';

export const ORGANISATION_KINDS = ['metering-operator', 'property-manager'] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

/** Whom to reach at the organisation; all optional, as a small landlord may have no office. */
export interface OrganisationContact {
  name?: string;
  email?: string;
  phone?: string;
  address?: PostalAddress;
}

/** A metering operator (runs gateways and meters) or a property manager, under one partner. */
export interface Organisation extends Versioned {
  id: string;
  partnerId: string;
  name: string;
  kind: OrganisationKind;
  contact: OrganisationContact;
}

export type OrganisationFields = Omit<Organisation, keyof Versioned | 'id' | 'partnerId'>;

export interface NewOrganisation {
  name: string;
  kind: OrganisationKind;
  contact?: OrganisationContact;
}

/** The kind is fixed: properties and grants were given to the organisation as that kind. */
export type OrganisationPatch = Partial<Pick<Organisation, 'name' | 'contact'>>;

function readContact(value: unknown, field: string): OrganisationContact {
  const input = record(value, field);
  const name = optional(input.name, (v) => text(v, `${field}/name`, { max: 200 }));
  const mail = optional(input.email, (v) => email(v, `${field}/email`));
  const tel = optional(input.phone, (v) => phone(v, `${field}/phone`));
  const address = optional(input.address, (v) => readAddress(v, `${field}/address`));
  return {
    ...(name === undefined ? {} : { name }),
    ...(mail === undefined ? {} : { email: mail }),
    ...(tel === undefined ? {} : { phone: tel }),
    ...(address === undefined ? {} : { address }),
  };
}

function readOrganisationFields(input: Fields): OrganisationFields {
  return {
    name: text(input.name, 'name', { max: 200 }),
    kind: oneOf(input.kind, 'kind', ORGANISATION_KINDS),
    contact: readContact(input.contact ?? {}, 'contact'),
  };
}

export function validateNewOrganisation(input: NewOrganisation): OrganisationFields {
  return readOrganisationFields(record(input, 'organisation'));
}

export function applyOrganisationPatch(
  current: Organisation,
  patch: OrganisationPatch,
): OrganisationFields {
  return readOrganisationFields(
    mergePatch(current, patch, { mutable: ['name', 'contact'], immutable: ['kind'] }),
  );
}
