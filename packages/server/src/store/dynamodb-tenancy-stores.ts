import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditLog } from '../domain/audit.js';
import type {
  MeterStore,
  OrganisationStore,
  PartnerStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
  UserStore,
} from '../domain/tenancy/ports.js';
import { createDynamoAuditLog } from './dynamodb-audit-log.js';
import { createDynamoMeterStore } from './dynamodb-meter-store.js';
import { createDynamoOrganisationStore } from './dynamodb-organisation-store.js';
import { createDynamoPartnerStore } from './dynamodb-partner-store.js';
import { createDynamoPropertyStore } from './dynamodb-property-store.js';
import { createDynamoTenancyStore } from './dynamodb-tenancy-store.js';
import { createDynamoUnitStore } from './dynamodb-unit-store.js';
import { createDynamoUserStore } from './dynamodb-user-store.js';

export interface DynamoTenancyStores {
  audit: AuditLog;
  partners: PartnerStore;
  organisations: OrganisationStore;
  properties: PropertyStore;
  units: UnitStore;
  tenancies: TenancyStore;
  meters: MeterStore;
  users: UserStore;
}

/**
 * Every store of the tenancy tree on one table, writing to one audit log:
 * what app.ts wires. The options are the ones each store takes.
 */
export function createDynamoTenancyStores(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
  claimGraceMs?: number;
}): DynamoTenancyStores {
  const audit = createDynamoAuditLog({
    doc: options.doc,
    tableName: options.tableName,
    ...(options.now ? { now: options.now } : {}),
  });
  const shared = { ...options, audit };
  return {
    audit,
    partners: createDynamoPartnerStore(shared),
    organisations: createDynamoOrganisationStore(shared),
    properties: createDynamoPropertyStore(shared),
    units: createDynamoUnitStore(shared),
    tenancies: createDynamoTenancyStore(shared),
    meters: createDynamoMeterStore(shared),
    users: createDynamoUserStore(shared),
  };
}
