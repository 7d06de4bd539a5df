import { describe, expect, it } from 'vitest';
import { authorize, grantCovers, type ResourceScope } from './authorize.js';
import { ROLES, type Principal, type RoleGrant } from './principal.js';

// Partner acme: organisation o1 serves properties p1 (units u1, u2) and p2 (unit u3);
// organisation o2 serves p3 (unit u4). Partner other mirrors it with the same ids.
const at = (
  unitId: string | undefined,
  propertyId: string,
  organisationId: string,
  partnerId = 'acme',
): ResourceScope => ({
  partnerId,
  organisationId,
  propertyId,
  ...(unitId === undefined ? {} : { unitId }),
});
const U1 = at('u1', 'p1', 'o1');
const U2 = at('u2', 'p1', 'o1');
const U3 = at('u3', 'p2', 'o1');
const U4 = at('u4', 'p3', 'o2');
const P1 = at(undefined, 'p1', 'o1');
const ORG1 = { partnerId: 'acme', organisationId: 'o1' };
const PARTNER = { partnerId: 'acme' };
const OTHER_U1 = at('u1', 'p1', 'o1', 'other');

const user = (grants: RoleGrant[], partnerId = 'acme'): Principal => ({
  kind: 'user',
  subject: 'user-1',
  partnerId,
  grants,
});
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'allowed';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('grantCovers', () => {
  it('lets each role reach down from its level and never up or sideways', () => {
    const tenant: RoleGrant = { role: 'tenant', partnerId: 'acme', unitId: 'u1' };
    expect([U1, U2, P1, ORG1].map((t) => grantCovers(tenant, t))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    const landlord: RoleGrant = { role: 'landlord', partnerId: 'acme', propertyId: 'p1' };
    expect([U1, U2, U3, P1, ORG1].map((t) => grantCovers(landlord, t))).toEqual([
      true,
      true,
      false,
      true,
      false,
    ]);
    const operator: RoleGrant = { role: 'operator', partnerId: 'acme', organisationId: 'o1' };
    expect([U1, U3, U4, P1, ORG1, PARTNER].map((t) => grantCovers(operator, t))).toEqual([
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
    const partnerAdmin: RoleGrant = { role: 'partner-admin', partnerId: 'acme' };
    expect([U4, PARTNER, OTHER_U1].map((t) => grantCovers(partnerAdmin, t))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('never matches the same ids under another partner', () => {
    for (const grant of [
      { role: 'tenant', partnerId: 'acme', unitId: 'u1' },
      { role: 'landlord', partnerId: 'acme', propertyId: 'p1' },
      { role: 'operator', partnerId: 'acme', organisationId: 'o1' },
    ] as RoleGrant[]) {
      expect(grantCovers(grant, U1)).toBe(true);
      expect(grantCovers(grant, OTHER_U1)).toBe(false);
    }
  });
});

describe('authorize', () => {
  it("answers another partner's resource with NOT_FOUND, whatever the role", () => {
    for (const role of ROLES.filter((r) => r !== 'platform-admin')) {
      const grant = {
        role,
        partnerId: 'acme',
        organisationId: 'o1',
        propertyId: 'p1',
        unitId: 'u1',
      };
      expect(code(() => authorize(user([grant as RoleGrant]), ROLES, OTHER_U1))).toBe('NOT_FOUND');
    }
  });

  it('answers a resource of its own partner that no allowed grant reaches with FORBIDDEN', () => {
    const tenant = user([{ role: 'tenant', partnerId: 'acme', unitId: 'u1' }]);
    expect(code(() => authorize(tenant, ['tenant'], U1))).toBe('allowed');
    expect(code(() => authorize(tenant, ['tenant'], U2))).toBe('FORBIDDEN');
    // The grant reaches, but the route does not admit the role.
    expect(code(() => authorize(tenant, ['operator', 'landlord'], U1))).toBe('FORBIDDEN');
  });

  it('returns the grants that reach, so use cases can narrow further', () => {
    const both = user([
      { role: 'landlord', partnerId: 'acme', propertyId: 'p1' },
      { role: 'tenant', partnerId: 'acme', unitId: 'u3' },
    ]);
    expect(authorize(both, ['landlord', 'tenant'], U1)).toEqual([both.grants[0]]);
    expect(authorize(both, ['landlord', 'tenant'], U3)).toEqual([both.grants[1]]);
  });

  it('lets a platform admin in everywhere it is admitted', () => {
    const admin = user([{ role: 'platform-admin', partnerId: '*' }], '*');
    expect(code(() => authorize(admin, ['platform-admin'], OTHER_U1))).toBe('allowed');
    expect(code(() => authorize(admin, ['partner-admin'], OTHER_U1))).toBe('FORBIDDEN');
  });

  it('binds an embed token to its unit or property', () => {
    const embed = (scope: { unitId: string } | { propertyId: string }): Principal => ({
      kind: 'embed',
      subject: 'tok-1',
      partnerId: 'acme',
      grants: [],
      embed: { scope, allowedOrigins: ['https://a.example'], origin: 'https://a.example' },
    });
    expect(code(() => authorize(embed({ unitId: 'u1' }), ['tenant'], U1))).toBe('allowed');
    expect(code(() => authorize(embed({ unitId: 'u1' }), ['tenant'], U2))).toBe('FORBIDDEN');
    expect(code(() => authorize(embed({ propertyId: 'p1' }), ['tenant'], U2))).toBe('allowed');
    expect(code(() => authorize(embed({ propertyId: 'p1' }), ['tenant'], U3))).toBe('FORBIDDEN');
    expect(code(() => authorize(embed({ unitId: 'u1' }), ['tenant'], OTHER_U1))).toBe('NOT_FOUND');
  });
});
