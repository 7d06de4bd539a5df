import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { Actor, AuditLog } from '../../src/domain/audit.js';
import type { NewPartner } from '../../src/domain/tenancy/partner.js';
import type {
  MeterStore,
  OrganisationStore,
  PartnerStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
  UserStore,
} from '../../src/domain/tenancy/ports.js';

/** The stores a contract needs, all on one table, with the audit log they write to. */
export interface TenancyStores {
  audit: AuditLog;
  partners: PartnerStore;
  organisations: OrganisationStore;
  properties: PropertyStore;
  units: UnitStore;
  tenancies: TenancyStore;
  meters: MeterStore;
  users: UserStore;
  /** Raw access for layout assertions. */
  table: { doc: DynamoDBDocumentClient; tableName: string };
}

export interface StoreClock {
  now: () => Date;
  advance(ms: number): void;
}

/** A clock tests move by hand, so that grace periods can pass without waiting. */
export function testClock(start = '2025-03-01T00:00:00.000Z'): StoreClock {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
  };
}

export type MakeStores = (options?: { now?: () => Date; claimGraceMs?: number }) => TenancyStores;

export const admin: Actor = { kind: 'user', id: 'usr_admin' };
export const system: Actor = { kind: 'system', id: 'contract-test' };

/** A partner id of this test only: tests share a table. */
export function partnerId(label = 'p'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

export function run(): string {
  return randomUUID().slice(0, 8);
}

export function newPartner(id: string, overrides: Partial<NewPartner> = {}): NewPartner {
  return {
    id,
    name: `Stadtwerke ${id}`,
    branding: {
      colours: { primary: '#0055AA', onPrimary: '#ffffff', background: '#fff', text: '#111111' },
      fonts: { body: "'Open Sans', sans-serif", heading: 'Georgia, serif' },
      customDomains: [],
      defaultLocale: 'de',
      enabledLocales: ['de', 'en'],
      legal: {
        imprintUrl: 'https://example.org/impressum',
        privacyUrl: 'https://example.org/datenschutz',
      },
      support: { email: 'Service@Example.org' },
    },
    allowedOrigins: ['https://www.example.org'],
    ...overrides,
  };
}

export const domainError = (code: string, details?: Record<string, unknown>) => ({
  name: 'DomainError',
  code,
  ...(details ? { details: expect.objectContaining(details) } : {}),
});

/** A partner with an operator and a property manager, each test its own. */
export async function seedPartner(stores: TenancyStores) {
  const id = partnerId();
  const partner = await stores.partners.create(newPartner(id), admin);
  const operator = await stores.organisations.create(
    id,
    { name: 'Messdienst Nord', kind: 'metering-operator' },
    admin,
  );
  const manager = await stores.organisations.create(
    id,
    { name: 'Hausverwaltung Süd', kind: 'property-manager' },
    admin,
  );
  return { partnerId: id, partner, operator, manager };
}

export function newProperty(organisationId: string, overrides: Record<string, unknown> = {}) {
  return {
    organisationId,
    address: { street: 'Musterstraße 5', postalCode: '12345', city: 'Musterstadt', country: 'de' },
    heatingSystem: {
      kind: 'central' as const,
      fuel: 'natural-gas-h' as const,
      warmWaterCentral: true,
    },
    ...overrides,
  };
}

/** Every item of a page-wise list, following cursors. */
export async function collect<T>(
  page: (cursor?: string) => Promise<{ items: T[]; cursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const out = await page(cursor);
    all.push(...out.items);
    if (out.cursor === null) return all;
    cursor = out.cursor;
  }
}

/** A partner with a property of its operator and one unit in it. */
export async function seedUnit(stores: TenancyStores) {
  const seeded = await seedPartner(stores);
  const property = await stores.properties.create(
    seeded.partnerId,
    newProperty(seeded.operator.id),
    admin,
  );
  const unit = await stores.units.create(
    seeded.partnerId,
    { propertyId: property.id, name: 'WE 01', livingAreaM2: 72.5, heatedAreaM2: 70 },
    admin,
  );
  return { ...seeded, property, unit };
}
