import { Type, type Static } from 'typebox';
import { ROLES } from '../../auth/principal.js';
import { StringEnum } from './common.js';

export const SignInRequest = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254, examples: ['operator@demo.example'] }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    partner: Type.Optional(
      Type.String({
        pattern: '^(?:\\*|[A-Za-z0-9][A-Za-z0-9_.:-]{0,127})$',
        description:
          "The partner's id (`*` for platform admins); needed unless the request comes through the partner's custom domain.",
        examples: ['demo'],
      }),
    ),
  },
  { $id: 'SignInRequest', additionalProperties: false },
);

export const RefreshRequest = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { $id: 'RefreshRequest', additionalProperties: false },
);

export const TokenPair = Type.Object(
  {
    tokenType: StringEnum(['Bearer'] as const),
    accessToken: Type.String({ description: 'A JWT; send it as `Authorization: Bearer …`.' }),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires.' }),
    refreshToken: Type.String({ description: 'Opaque; single use. Keep it secret.' }),
    refreshTokenExpiresAt: Type.String({
      format: 'date-time',
      description: 'When the refresh token lapses unless used (the session itself ends later).',
    }),
  },
  { $id: 'TokenPair', additionalProperties: false },
);

export const RoleGrantSchema = Type.Object(
  {
    role: StringEnum(ROLES),
    partnerId: Type.String(),
    organisationId: Type.Optional(Type.String()),
    propertyId: Type.Optional(Type.String()),
    unitId: Type.Optional(Type.String()),
    tenancyId: Type.Optional(Type.String()),
  },
  { $id: 'RoleGrant', additionalProperties: false },
);

export const Me = Type.Object(
  {
    kind: StringEnum(['user', 'api-key', 'embed'] as const),
    subject: Type.String({ description: 'User id or API key id.' }),
    partnerId: Type.String(),
    grants: Type.Array(Type.Ref('RoleGrant')),
    locale: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Type.String())),
    supportAccess: Type.Optional(
      Type.Array(
        Type.Object(
          {
            supportAccessId: Type.String(),
            organisationId: Type.String(),
            access: StringEnum(['read', 'operate'] as const),
            expiresAt: Type.String({ format: 'date-time' }),
          },
          { additionalProperties: false },
        ),
        {
          description:
            'Support access organisations granted the user, active now: each adds the operator ' +
            'grant on its organisation listed in `grants`.',
        },
      ),
    ),
  },
  { $id: 'Me', additionalProperties: false },
);
export type Me = Static<typeof Me>;

export const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.String(),
          crv: Type.String(),
          x: Type.String(),
          y: Type.String(),
          kid: Type.String(),
          alg: Type.String(),
          use: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'Jwks', additionalProperties: false },
);
