import { Type } from 'typebox';
import { PASSWORD_MAX_LENGTH } from '../../auth/password-hash.js';
import { LOCALES } from '../../domain/tenancy/partner.js';
import { USER_STATUSES } from '../../domain/tenancy/user.js';
import { StringEnum } from './common.js';
import { Id, listOf, Nullable, RecordMeta, Version } from './tenancy-common.js';

// Shapes only: the domain (src/domain/tenancy/user.ts) checks values and names the field.

/** NIST SP 800-63B's floor for passwords users choose; the upper bound keeps hashing cheap to refuse. */
export const PASSWORD_MIN_LENGTH = 8;

function password(description: string) {
  return Type.String({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description,
    examples: ['correct horse battery staple'],
  });
}

const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'Unique within the partner; stored lower-case.',
  examples: ['olga.operator@messdienst.example'],
});

const Name = Type.String({ minLength: 1, maxLength: 200, examples: ['Olga Operator'] });

const Locale = StringEnum(LOCALES, { description: 'The language of e-mails and the portal.' });

const Status = StringEnum(USER_STATUSES, {
  description: 'A disabled user cannot sign in, and its sessions end at their next refresh.',
});

export const User = Type.Object(
  {
    id: Type.String({ examples: ['usr_Qm8aZ0x1c2V3b4N5'] }),
    partnerId: Type.String(),
    email: Type.String(),
    name: Type.String(),
    locale: Type.Optional(Locale),
    grants: Type.Array(Type.Ref('RoleGrant')),
    status: Status,
    hasPassword: Type.Boolean({
      description: 'Whether a password is set; false for an invited user. The password never is.',
    }),
    ...RecordMeta,
  },
  {
    $id: 'User',
    additionalProperties: false,
    description: 'A user as the API shows it: never the password or its hash.',
  },
);

export const UserList = listOf('User', 'UserList');

export const CreateUserRequest = Type.Object(
  {
    email: Email,
    name: Name,
    locale: Type.Optional(Locale),
    password: Type.Optional(
      password(
        'An initial password, stored only as a scrypt hash. Leave it out to invite: the user ' +
          'then cannot sign in until a password is set.',
      ),
    ),
    grants: Type.Optional(Type.Array(Type.Ref('GrantInput'), { maxItems: 100 })),
    status: Type.Optional(Type.Unsafe<'active' | 'disabled'>({ ...Status, default: 'active' })),
  },
  { $id: 'CreateUserRequest', additionalProperties: false },
);

export const UpdateUserRequest = Type.Object(
  {
    version: Version,
    email: Type.Optional(Email),
    name: Type.Optional(Name),
    locale: Nullable(Locale as typeof Locale & { type: string }),
    password: Type.Optional(password('A new password (the user is not told it here).')),
    grants: Type.Optional(
      Type.Array(Type.Ref('GrantInput'), {
        maxItems: 100,
        description: "Replaces the user's grants as a whole.",
      }),
    ),
    status: Type.Optional(Status),
  },
  {
    $id: 'UpdateUserRequest',
    additionalProperties: false,
    description:
      'The fields to change; left out means unchanged, `locale: null` removes it. New grants ' +
      'apply from the user’s next token refresh.',
  },
);

export const UpdateProfileRequest = Type.Object(
  {
    version: Version,
    name: Type.Optional(Name),
    locale: Nullable(Locale as typeof Locale & { type: string }),
  },
  {
    $id: 'UpdateProfileRequest',
    additionalProperties: false,
    description: 'What users change about themselves; left out means unchanged.',
  },
);

export const ChangePasswordRequest = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    newPassword: password('The new password.'),
  },
  { $id: 'ChangePasswordRequest', additionalProperties: false },
);

export const UserParams = Type.Object({ userId: Id });

/**
 * The $id'd schemas of users, for app.addSchema (referenced ones first). They
 * refer to RoleGrant (app.ts) and GrantInput (grantSchemas).
 */
export const userSchemas = [
  User,
  UserList,
  CreateUserRequest,
  UpdateUserRequest,
  UpdateProfileRequest,
  ChangePasswordRequest,
];
