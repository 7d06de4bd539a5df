import { describe } from 'vitest';
import { createDynamoTenancyStores } from '../../src/store/dynamodb-tenancy-stores.js';
import { useDynaliteTable } from './dynalite-table.js';
import { describeMeterStore } from './meter-store.contract.js';
import { describeOrganisationStore } from './organisation-store.contract.js';
import { describePartnerStore } from './partner-store.contract.js';
import { describePropertyStore } from './property-store.contract.js';
import { describeTenancyStore } from './tenancy-store.contract.js';
import { describeUnitStore } from './unit-store.contract.js';
import { describeUserStore } from './user-store.contract.js';
import type { MakeStores } from './tenancy-fixtures.js';

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-tenancy');
  const make: MakeStores = (options = {}) => ({
    ...createDynamoTenancyStores({ ...table(), ...options }),
    table: table(),
  });
  describePartnerStore('DynamoDB', make);
  describeOrganisationStore('DynamoDB', make);
  describePropertyStore('DynamoDB', make);
  describeUnitStore('DynamoDB', make);
  describeUserStore('DynamoDB', make);
  describeMeterStore('DynamoDB', make);
  describeTenancyStore('DynamoDB', make);
});
