import { describe, expect, it } from 'vitest';
import type { SupportGrant } from '../domain/support-access.js';
import type { Principal } from './principal.js';
import { supportUsed, withoutSupport, withSupportAccess } from './support-access.js';

const NOW = new Date('2025-03-10T12:00:00.000Z');

const grant = (overrides: Partial<SupportGrant> = {}): SupportGrant => ({
  id: 'sup_1',
  partnerId: 'acme',
  organisationId: 'org_1',
  userId: 'usr_s',
  access: 'read',
  reason: 'Ticket',
  grantedBy: { kind: 'user', id: 'usr_op' },
  createdAt: '2025-03-10T00:00:00.000Z',
  expiresAt: '2025-03-11T00:00:00.000Z',
  ...overrides,
});

const user = (grants: Principal['grants'] = []): Principal => ({
  kind: 'user',
  subject: 'usr_s',
  partnerId: 'acme',
  grants,
});

describe('support access on a principal', () => {
  it('admits read grants on reads only, operate grants everywhere', () => {
    const grants = [grant(), grant({ id: 'sup_2', organisationId: 'org_2', access: 'operate' })];
    const orgs = (mode: 'read' | 'write' | 'any' | 'none') =>
      withSupportAccess(user(), grants, mode, NOW).grants.map((g) => g.organisationId);
    expect(orgs('read')).toEqual(['org_1', 'org_2']);
    expect(orgs('write')).toEqual(['org_2']);
    expect(orgs('any')).toEqual(['org_1', 'org_2']);
    expect(orgs('none')).toEqual([]);
  });

  it('ignores grants that ended, or are another user’s or partner’s, and API keys', () => {
    const ignored = [
      grant({ expiresAt: NOW.toISOString() }),
      grant({ revokedAt: '2025-03-10T11:00:00.000Z' }),
      grant({ userId: 'usr_other' }),
      grant({ partnerId: 'other' }),
    ];
    expect(withSupportAccess(user(), ignored, 'read', NOW)).toEqual(user());
    const key: Principal = { ...user(), kind: 'api-key' };
    expect(withSupportAccess(key, [grant()], 'read', NOW)).toBe(key);
  });

  it('adds nothing where own grants reach, and prefers operate, then the longer grant', () => {
    const own = user([{ role: 'operator', partnerId: 'acme', organisationId: 'org_1' }]);
    expect(withSupportAccess(own, [grant({ access: 'operate' })], 'write', NOW)).toBe(own);
    const admin = user([{ role: 'partner-admin', partnerId: 'acme' }]);
    expect(withSupportAccess(admin, [grant()], 'read', NOW)).toBe(admin);
    const landlord = user([
      { role: 'landlord', partnerId: 'acme', organisationId: 'org_1', propertyId: 'prop_1' },
    ]);
    const three = [
      grant({ id: 'sup_a', expiresAt: '2025-03-12T00:00:00.000Z' }),
      grant({ id: 'sup_b', access: 'operate' }),
      grant({ id: 'sup_c', access: 'operate', expiresAt: '2025-03-10T18:00:00.000Z' }),
    ];
    const p = withSupportAccess(landlord, three, 'read', NOW);
    expect(p.support).toEqual([
      {
        grantId: 'sup_b',
        organisationId: 'org_1',
        access: 'operate',
        expiresAt: '2025-03-11T00:00:00.000Z',
      },
    ]);
    expect(p.grants).toHaveLength(2);
  });

  it('tells which support access reached a resource, and takes it away again', () => {
    const landlord = { role: 'landlord' as const, partnerId: 'acme', propertyId: 'prop_9' };
    const p = withSupportAccess(
      user([landlord]),
      [grant(), grant({ id: 'sup_2', organisationId: 'org_2' })],
      'read',
      NOW,
    );
    const [, org1, org2] = p.grants;
    expect(supportUsed(p, [org2!]).map((s) => s.grantId)).toEqual(['sup_2']);
    expect(supportUsed(p, [org1!, org2!]).map((s) => s.grantId)).toEqual(['sup_1', 'sup_2']);
    expect(supportUsed(p, [landlord])).toEqual([]);
    expect(withoutSupport(p)).toEqual(user([landlord]));
  });
});
