import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { SUPPORT_ACCESS_RETENTION_SECONDS } from '../../src/domain/support-access.js';
import { createDynamoSupportGrantStore } from '../../src/store/dynamodb-support-grant-store.js';
import { supportGrantIdKey, supportGrantKey } from '../../src/store/keys.js';
import { useDynaliteTable } from './dynalite-table.js';
import { supportGrantStoreContract } from './support-grant-store.contract.js';

describe('on dynalite', () => {
  const { table } = useDynaliteTable('zw-support-grants');
  supportGrantStoreContract('DynamoDB', () => createDynamoSupportGrantStore(table()));

  it('keys the grant under its user by expiry, listed under its organisation, kept 90 days after it ends', async () => {
    const { doc, tableName } = table();
    const store = createDynamoSupportGrantStore(table());
    const grant = {
      id: 'sup_layout',
      partnerId: 'p-1',
      organisationId: 'org_1',
      userId: 'usr_support',
      access: 'operate' as const,
      reason: 'Ticket 1',
      grantedBy: { kind: 'user' as const, id: 'usr_operator' },
      createdAt: '2025-03-10T12:00:00.000Z',
      expiresAt: '2025-03-12T12:00:00.000Z',
    };
    await store.create(grant);
    const raw = async (key: { pk: string; sk: string }) =>
      (await doc.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
    const retention = SUPPORT_ACCESS_RETENTION_SECONDS;
    const key = supportGrantKey('p-1', 'usr_support', grant.expiresAt, 'sup_layout');
    expect(key).toEqual({
      pk: 'P#p-1#USER#usr_support#SUPPORT',
      sk: '2025-03-12T12:00:00.000Z#sup_layout',
    });
    expect(await raw(key)).toMatchObject({
      gsi1pk: 'P#p-1#O#org_1#SUPPORT',
      gsi1sk: '2025-03-10T12:00:00.000Z#sup_layout',
      entity: 'SUPPORT',
      grantExpiresAt: grant.expiresAt,
      expiresAt: Date.parse(grant.expiresAt) / 1000 + retention,
    });
    expect(await raw(supportGrantIdKey('p-1', 'sup_layout'))).toEqual({
      pk: 'P#p-1#SUPPORT#sup_layout',
      sk: 'SUPPORT',
      entity: 'SUPPORTID',
      id: 'sup_layout',
      userId: 'usr_support',
      grantExpiresAt: grant.expiresAt,
      expiresAt: Date.parse(grant.expiresAt) / 1000 + retention,
    });

    // Revoked early: kept for the retention after the revocation, not after the expiry.
    const revokedAt = '2025-03-11T00:00:00.000Z';
    await store.revoke('p-1', 'sup_layout', revokedAt, { kind: 'user', id: 'usr_support' });
    expect(await raw(key)).toMatchObject({
      revokedAt,
      revokedBy: { kind: 'user', id: 'usr_support' },
      expiresAt: Date.parse(revokedAt) / 1000 + retention,
    });
  });
});
