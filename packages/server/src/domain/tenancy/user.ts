import { mergePatch, type Versioned } from './entity.js';
import { LOCALES, type Locale } from './partner.js';
import {
  email,
  id,
  invalid,
  list,
  oneOf,
  optional,
  record,
  text,
  type Fields,
} from './validation.js';

/**
 * The partner id of platform admins' user records. `*` can never be a
 * partner's id (ids are DNS labels), matches the partner id a platform-admin
 * grant carries (ANY_PARTNER in src/auth/principal.ts), and keeps platform
 * admins' e-mail addresses unique among themselves only.
 */
export const PLATFORM_PARTNER_ID = '*';

/**
 * A role at one level of the tenancy tree: the shape of RoleGrant in
 * src/auth/principal.ts, which the domain may not import (a type test keeps
 * the two the same).
 */
export interface UserGrant {
  role: 'platform-admin' | 'partner-admin' | 'operator' | 'landlord' | 'tenant';
  partnerId: string;
  organisationId?: string;
  propertyId?: string;
  unitId?: string;
  tenancyId?: string;
}

/**
 * The role rules (which ids a role must name) live with the roles in
 * src/auth/principal.ts (grantProblem); the caller hands them in.
 */
export type GrantRule = (grant: UserGrant) => string | null;

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface User extends Versioned {
  id: string;
  /** The partner whose portal the user signs in to; PLATFORM_PARTNER_ID for platform admins. */
  partnerId: string;
  /** Lower-case; unique per partner. */
  email: string;
  name: string;
  locale?: Locale;
  /** From src/auth/password-hash.ts; absent until the user sets a password. Never leaves the server. */
  passwordHash?: string;
  grants: UserGrant[];
  status: UserStatus;
}

/** A user as the API may show it: no password hash, only whether there is one. */
export type PublicUser = Omit<User, 'passwordHash'> & { hasPassword: boolean };

export type UserFields = Omit<User, keyof Versioned | 'id' | 'partnerId'>;

export interface NewUser {
  email: string;
  name: string;
  locale?: Locale;
  passwordHash?: string;
  grants?: UserGrant[];
  status?: UserStatus;
}

export interface UserPatch {
  email?: string;
  name?: string;
  locale?: Locale | null;
  passwordHash?: string | null;
  grants?: UserGrant[];
  status?: UserStatus;
}

/**
 * A stored hash, `<scheme>$<parameters and salt and hash>` as password-hash.ts
 * writes it: the shape check keeps a plain password from being stored where a
 * hash belongs.
 */
const PASSWORD_HASH = /^[a-z0-9-]{2,16}\$[A-Za-z0-9$./+=_-]{16,1000}$/;
const MAX_GRANTS = 100;

export function toPublicUser(user: User): PublicUser {
  // Built field by field, so that a field added to User later is not shown by accident.
  return {
    id: user.id,
    partnerId: user.partnerId,
    email: user.email,
    name: user.name,
    ...(user.locale === undefined ? {} : { locale: user.locale }),
    grants: user.grants.map((g) => ({ ...g })),
    status: user.status,
    hasPassword: user.passwordHash !== undefined,
    version: user.version,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

export function readUserPartnerId(value: unknown, field = 'partnerId'): string {
  if (value === PLATFORM_PARTNER_ID) return PLATFORM_PARTNER_ID;
  return id(value, field);
}

function readGrant(value: unknown, field: string, partnerId: string, rule: GrantRule): UserGrant {
  const input = record(value, field);
  const grant: UserGrant = {
    role: oneOf(input.role, `${field}/role`, [
      'platform-admin',
      'partner-admin',
      'operator',
      'landlord',
      'tenant',
    ] as const),
    partnerId: readUserPartnerId(input.partnerId, `${field}/partnerId`),
  };
  for (const level of ['organisationId', 'propertyId', 'unitId', 'tenancyId'] as const) {
    const ref = optional(input[level], (v) => id(v, `${field}/${level}`));
    if (ref !== undefined) grant[level] = ref;
  }
  // Platform admins live apart from every partner, so that no partner admin
  // editing a user of theirs can make anyone a platform admin.
  if ((grant.role === 'platform-admin') !== (partnerId === PLATFORM_PARTNER_ID)) {
    throw invalid(`${field}/role`, 'not-allowed', 'platform-admin is for platform users only');
  }
  if (grant.partnerId !== partnerId) {
    throw invalid(`${field}/partnerId`, 'not-allowed', "must be the user's partner");
  }
  const problem = rule(grant);
  if (problem !== null) throw invalid(field, 'not-allowed', problem);
  return grant;
}

function readUserFields(input: Fields, partnerId: string, rule: GrantRule): UserFields {
  const locale = optional(input.locale, (v) => oneOf(v, 'locale', LOCALES));
  const passwordHash = optional(input.passwordHash, (v) =>
    text(v, 'passwordHash', { max: 1024, pattern: PASSWORD_HASH }),
  );
  return {
    email: email(input.email, 'email'),
    name: text(input.name, 'name', { max: 200 }),
    ...(locale === undefined ? {} : { locale }),
    ...(passwordHash === undefined ? {} : { passwordHash }),
    grants: list(input.grants ?? [], 'grants', { max: MAX_GRANTS, unique: true }, (v, f) =>
      readGrant(v, f, partnerId, rule),
    ),
    status: oneOf(input.status ?? 'active', 'status', USER_STATUSES),
  };
}

export function validateNewUser(partnerId: string, input: NewUser, rule: GrantRule): UserFields {
  return readUserFields(record(input, 'user'), readUserPartnerId(partnerId), rule);
}

export function applyUserPatch(current: User, patch: UserPatch, rule: GrantRule): UserFields {
  return readUserFields(
    mergePatch(current, patch, {
      mutable: ['email', 'name', 'locale', 'passwordHash', 'grants', 'status'],
      immutable: [],
    }),
    current.partnerId,
    rule,
  );
}
