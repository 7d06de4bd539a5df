import { describe, expect, expectTypeOf, it } from 'vitest';
import { grantProblem, type RoleGrant } from '../../auth/principal.js';
import { toPublicUser, validateNewUser, type User, type UserGrant } from './user.js';

describe('user', () => {
  it('has the grant shape of the auth core', () => {
    expectTypeOf<UserGrant>().toEqualTypeOf<RoleGrant>();
  });

  it('strips the password hash from the public view, and only tells whether there is one', () => {
    const user: User = {
      id: 'usr_1',
      partnerId: 'p',
      email: 'a@example.org',
      name: 'A',
      passwordHash: 'scrypt$1$1$1$abcdefghijklmnop$abcdefghijklmnop',
      grants: [],
      status: 'active',
      version: 1,
      createdAt: 'x',
      updatedAt: 'x',
    };
    const view = toPublicUser(user);
    expect(view).not.toHaveProperty('passwordHash');
    expect(view.hasPassword).toBe(true);
    expect(toPublicUser({ ...user, passwordHash: undefined }).hasPassword).toBe(false);
  });

  it('lower-cases the e-mail address and ignores fields it does not know', () => {
    const fields = validateNewUser(
      'p',
      { email: ' Anna@Example.ORG ', name: 'Anna', version: 7, partnerId: 'q' } as never,
      (g) => grantProblem(g as RoleGrant),
    );
    expect(fields).toEqual({
      email: 'anna@example.org',
      name: 'Anna',
      grants: [],
      status: 'active',
    });
  });
});
