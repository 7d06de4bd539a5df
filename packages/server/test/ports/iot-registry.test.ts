import { describe } from 'vitest';
import { createMemoryIotRegistry } from '../../src/iot/memory-iot-registry.js';
import { createDynamoIotRegistry } from '../../src/store/dynamodb-iot-registry.js';
import { useDynaliteTable } from './dynalite-table.js';
import { describeIotRegistry } from './iot-registry.contract.js';

describeIotRegistry('memory', () => createMemoryIotRegistry());

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-iot-registry');
  describeIotRegistry('DynamoDB', () => createDynamoIotRegistry(table()));
});
