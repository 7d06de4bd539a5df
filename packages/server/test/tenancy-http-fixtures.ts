import { expect } from 'vitest';
import type { RoleGrant } from '../src/auth/principal.js';
import type { Actor } from '../src/domain/audit.js';
import type { DynamoTenancyStores } from '../src/store/dynamodb-tenancy-stores.js';
import { newPartner, newProperty, partnerId as freshPartnerId } from './ports/tenancy-fixtures.js';
import type { TenancyApp } from './tenancy-app-kit.js';

/** Who seeds: the seed's own actor, so that the routes' audit entries stand apart. */
export const seeder: Actor = { kind: 'system', id: 'test-seed' };

/**
 * One partner's tree as the HTTP tests use it: two metering operators, a
 * property manager, a property of each operator, two units in the first
 * property and one in the second. Every seed has a partner of its own, so
 * tests on the shared table stay apart.
 */
export async function seedTree(stores: DynamoTenancyStores, label = 'acme') {
  const partnerId = freshPartnerId(label);
  await stores.partners.create(newPartner(partnerId), seeder);
  const org = (name: string, kind: 'metering-operator' | 'property-manager') =>
    stores.organisations.create(partnerId, { name, kind }, seeder);
  const o1 = await org('Messdienst Nord', 'metering-operator');
  const o2 = await org('Messdienst Süd', 'metering-operator');
  const manager = await org('Hausverwaltung', 'property-manager');
  const p1 = await stores.properties.create(
    partnerId,
    newProperty(o1.id, { managerOrganisationId: manager.id, name: 'Musterstraße 5' }),
    seeder,
  );
  const p2 = await stores.properties.create(partnerId, newProperty(o2.id), seeder);
  const unit = (propertyId: string, name: string) =>
    stores.units.create(
      partnerId,
      { propertyId, name, livingAreaM2: 72.5, heatedAreaM2: 70 },
      seeder,
    );
  const u1 = await unit(p1.id, 'WE 01');
  const u2 = await unit(p1.id, 'WE 02');
  const u3 = await unit(p2.id, 'WE 01');
  return { partnerId, o1, o2, manager, p1, p2, u1, u2, u3 };
}

export type Tree = Awaited<ReturnType<typeof seedTree>>;

export type RoleName =
  | 'partner-admin'
  | 'operator'
  | 'other-operator'
  | 'landlord'
  | 'other-landlord'
  | 'tenant'
  | 'other-tenant'
  | 'stranger';

/**
 * The callers every access test goes through, relative to the tree's first
 * property (p1) and its first unit (u1): `other-*` hold the same role one
 * step aside (the second operator, the second property, the second unit),
 * `stranger` is a partner admin of another partner.
 */
export function grantsOf(tree: Tree, role: RoleName): { partnerId: string; grants: RoleGrant[] } {
  const partnerId = tree.partnerId;
  switch (role) {
    case 'partner-admin':
      return { partnerId, grants: [{ role: 'partner-admin', partnerId }] };
    case 'operator':
      return { partnerId, grants: [{ role: 'operator', partnerId, organisationId: tree.o1.id }] };
    case 'other-operator':
      return { partnerId, grants: [{ role: 'operator', partnerId, organisationId: tree.o2.id }] };
    case 'landlord':
      return { partnerId, grants: [{ role: 'landlord', partnerId, propertyId: tree.p1.id }] };
    case 'other-landlord':
      return { partnerId, grants: [{ role: 'landlord', partnerId, propertyId: tree.p2.id }] };
    case 'tenant':
      return { partnerId, grants: [{ role: 'tenant', partnerId, unitId: tree.u1.id }] };
    case 'other-tenant':
      return { partnerId, grants: [{ role: 'tenant', partnerId, unitId: tree.u2.id }] };
    case 'stranger':
      return {
        partnerId: 'stranger',
        grants: [{ role: 'partner-admin', partnerId: 'stranger' }],
      };
  }
}

export const ROLE_NAMES: readonly RoleName[] = [
  'partner-admin',
  'operator',
  'other-operator',
  'landlord',
  'other-landlord',
  'tenant',
  'other-tenant',
  'stranger',
];

/** Headers of a user in that role; tenants are users `tenant-1` and `tenant-2`. */
export function headersOf(kit: TenancyApp, tree: Tree, role: RoleName) {
  const { partnerId, grants } = grantsOf(tree, role);
  const userId = role === 'tenant' ? 'tenant-1' : role === 'other-tenant' ? 'tenant-2' : 'u-1';
  return kit.bearer(partnerId, grants, userId);
}

/** Error code of a response, for comparing two refusals. */
export function codeOf(res: { json<T>(): T }): string {
  return res.json<{ error: { code: string } }>().error.code;
}

/** The same answer as for an id that never existed: nothing tells the stranger it is there. */
export function expectHidden(res: { statusCode: number; json<T>(): T }): void {
  expect(res.statusCode).toBe(404);
  expect(codeOf(res)).toBe('NOT_FOUND');
}
