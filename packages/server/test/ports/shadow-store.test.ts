import { describe } from 'vitest';
import { createMemoryShadowStore } from '../../src/iot/local/shadow/memory-shadow-store.js';
import { createDynamoShadowStore } from '../../src/store/dynamodb-shadow-store.js';
import { useDynaliteTable } from './dynalite-table.js';
import { describeShadowStore } from './shadow-store.contract.js';

describeShadowStore('memory', (now) => createMemoryShadowStore({ now }));

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-shadows');
  describeShadowStore('DynamoDB', (now) => createDynamoShadowStore({ ...table(), now }));
});
