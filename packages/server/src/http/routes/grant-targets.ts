import type { RoleGrant } from '../../auth/principal.js';
import { DomainError } from '../../domain/errors.js';
import type {
  OrganisationStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
} from '../../domain/tenancy/ports.js';

/** The reads that place a grant in the partner's tree. */
export interface GrantTargetStores {
  organisations: Pick<OrganisationStore, 'get'>;
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get'>;
  tenancies: Pick<TenancyStore, 'get'>;
}

function missing(field: string, id: string): DomainError {
  return new DomainError('NOT_FOUND', `${field}: '${id}' does not exist`, {
    details: { field, reason: 'not-found' },
  });
}

function elsewhere(field: string, what: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `${field}: does not lie in ${what}`, {
    details: { field, reason: 'not-allowed' },
  });
}

/**
 * Checks that what each grant names exists in the partner and that the wider
 * ids it carries are the ones the tree holds, and returns the grants with the
 * wider ids filled in from the tree. authorize() trusts a grant's narrowest id
 * alone (a landlord's property), while an organisation-limited API key is held
 * to the organisation its grants carry: a landlord grant naming one
 * organisation and another's property would otherwise slip past that limit.
 * Role and shape rules are the domain's and createApiKey's; this is the part
 * that needs the stores.
 */
export async function checkGrantTargets(
  stores: GrantTargetStores,
  partnerId: string,
  grants: readonly RoleGrant[],
  field = 'grants',
): Promise<RoleGrant[]> {
  const placed: RoleGrant[] = [];
  for (const [index, grant] of grants.entries()) {
    const filled: RoleGrant = { ...grant };
    const at = (name: string) => `${field}/${index}/${name}`;
    let unitId = grant.unitId;
    let propertyId = grant.propertyId;
    const organisationId = grant.organisationId;

    if (grant.tenancyId !== undefined) {
      const tenancy = await stores.tenancies.get(partnerId, grant.tenancyId);
      if (tenancy === null) throw missing(at('tenancyId'), grant.tenancyId);
      if (unitId !== undefined && tenancy.unitId !== unitId) {
        throw elsewhere(at('tenancyId'), `unit '${unitId}'`);
      }
      unitId = tenancy.unitId;
      filled.unitId = unitId;
    }
    if (unitId !== undefined) {
      const unit = await stores.units.get(partnerId, unitId);
      if (unit === null) throw missing(at('unitId'), unitId);
      if (propertyId !== undefined && unit.propertyId !== propertyId) {
        throw elsewhere(at('unitId'), `property '${propertyId}'`);
      }
      propertyId = unit.propertyId;
      filled.propertyId = propertyId;
    }
    if (propertyId !== undefined) {
      const property = await stores.properties.get(partnerId, propertyId);
      if (property === null) throw missing(at('propertyId'), propertyId);
      // The operator is the organisation a property's grants sit under (authorize's scope).
      if (organisationId !== undefined && property.organisationId !== organisationId) {
        throw elsewhere(
          at(grant.unitId === undefined ? 'propertyId' : 'unitId'),
          `organisation '${organisationId}'`,
        );
      }
      filled.organisationId = property.organisationId;
    } else if (organisationId !== undefined) {
      // Below an organisation, its property stands for it; at its level it is read itself.
      if ((await stores.organisations.get(partnerId, organisationId)) === null) {
        throw missing(at('organisationId'), organisationId);
      }
    }
    placed.push(filled);
  }
  return placed;
}

/** A grant as requests carry it: the partner may be left out, as it is the caller's. */
export interface GrantInput {
  role: 'partner-admin' | 'operator' | 'landlord' | 'tenant';
  partnerId?: string | undefined;
  organisationId?: string | undefined;
  propertyId?: string | undefined;
  unitId?: string | undefined;
  tenancyId?: string | undefined;
}

/**
 * The grants with the caller's partner filled in. A grant that names another
 * partner is refused here, before anything is looked up under it.
 */
export function grantsWithin(
  partnerId: string,
  inputs: readonly GrantInput[],
  field = 'grants',
): RoleGrant[] {
  return inputs.map((input, index) => {
    if (input.partnerId !== undefined && input.partnerId !== partnerId) {
      throw new DomainError('VALIDATION_FAILED', `${field}/${index}/partnerId: must be yours`, {
        details: { field: `${field}/${index}/partnerId`, reason: 'not-allowed' },
      });
    }
    const grant: RoleGrant = { role: input.role, partnerId };
    for (const level of ['organisationId', 'propertyId', 'unitId', 'tenancyId'] as const) {
      const id = input[level];
      if (id !== undefined) grant[level] = id;
    }
    return grant;
  });
}
