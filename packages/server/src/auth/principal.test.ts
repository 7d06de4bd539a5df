import { describe, expect, it } from 'vitest';
import { assertGrants, grantProblem, parseGrants, type RoleGrant } from './principal.js';

describe('grantProblem', () => {
  it('accepts each role at its level', () => {
    const good: RoleGrant[] = [
      { role: 'platform-admin', partnerId: '*' },
      { role: 'partner-admin', partnerId: 'p1' },
      { role: 'operator', partnerId: 'p1', organisationId: 'o1' },
      { role: 'landlord', partnerId: 'p1', organisationId: 'o1', propertyId: 'b1' },
      { role: 'tenant', partnerId: 'p1', unitId: 'u1', tenancyId: 't1' },
    ];
    for (const grant of good) expect(grantProblem(grant), grant.role).toBeNull();
  });

  it('refuses grants that would widen by leaving their level out', () => {
    expect(grantProblem({ role: 'operator', partnerId: 'p1' })).toMatch(/organisationId/);
    expect(grantProblem({ role: 'landlord', partnerId: 'p1' })).toMatch(/propertyId/);
    expect(grantProblem({ role: 'tenant', partnerId: 'p1', propertyId: 'b1' })).toMatch(/unitId/);
  });

  it('keeps the platform admin apart from partners', () => {
    expect(grantProblem({ role: 'platform-admin', partnerId: 'p1' })).not.toBeNull();
    expect(grantProblem({ role: 'partner-admin', partnerId: '*' })).not.toBeNull();
    expect(grantProblem({ role: 'platform-admin', partnerId: '*', unitId: 'u' })).not.toBeNull();
    expect(grantProblem({ role: 'partner-admin', partnerId: 'p1', unitId: 'u' })).not.toBeNull();
  });

  it('refuses unknown roles and ids with separators or spaces', () => {
    expect(grantProblem({ role: 'root' as never, partnerId: 'p1' })).toBe('unknown role');
    expect(grantProblem({ role: 'partner-admin', partnerId: 'p 1' })).not.toBeNull();
    expect(grantProblem({ role: 'tenant', partnerId: 'p1', unitId: 'u#1' })).not.toBeNull();
  });
});

describe('assertGrants', () => {
  it('refuses a grant of another partner with VALIDATION_FAILED', () => {
    expect(() => assertGrants([{ role: 'partner-admin', partnerId: 'p2' }], 'p1')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => assertGrants([{ role: 'platform-admin', partnerId: '*' }], 'p1')).not.toThrow();
  });
});

describe('parseGrants', () => {
  it('keeps known fields only and refuses malformed input', () => {
    expect(
      parseGrants([{ role: 'tenant', partnerId: 'p1', unitId: 'u1', extra: 'dropped' }]),
    ).toEqual([{ role: 'tenant', partnerId: 'p1', unitId: 'u1' }]);
    expect(parseGrants('x')).toBeNull();
    expect(parseGrants([null])).toBeNull();
    expect(parseGrants([{ role: 'tenant', partnerId: 'p1' }])).toBeNull();
    expect(parseGrants([{ role: 'partner-admin', partnerId: 7 }])).toBeNull();
  });
});
