import { Type } from 'typebox';
import { listOf } from './tenancy-common.js';

/** As src/auth/api-keys.ts makes them: 12 characters of lower-case base32. */
/** The id alphabet of the stores (tenancy-common's Id), with a description of its own. */
function id(description: string) {
  return Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$', description });
}

export const KeyId = Type.String({
  pattern: '^[a-z2-7]{12}$',
  description: 'The public part of a key (`zwk_<keyId>_…`); never the secret.',
  examples: ['k3y1d2abcdef'],
});

const Scope = Type.String({
  maxLength: 64,
  pattern: '^[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)*$',
  examples: ['readings:read'],
});

export const ApiKey = Type.Object(
  {
    keyId: KeyId,
    partnerId: Type.String(),
    organisationId: Type.Optional(
      Type.String({ description: 'The organisation the key is limited to, if any.' }),
    ),
    name: Type.String({ examples: ['ERP export'] }),
    scopes: Type.Array(Type.String()),
    grants: Type.Array(Type.Ref('RoleGrant')),
    createdBy: Type.String({ description: 'The user who created it.' }),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the key stops working; null for never.',
    }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When it was revoked; null while it is not.',
    }),
  },
  {
    $id: 'ApiKey',
    additionalProperties: false,
    description: 'An API key as it can be shown again: never its secret.',
  },
);

export const ApiKeyList = listOf('ApiKey', 'ApiKeyList');

export const CreateApiKeyRequest = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'What the key is for, to recognise it in lists and the audit log.',
      examples: ['ERP export'],
    }),
    organisationId: Type.Optional(
      id(
        'Limits the key to one organisation: every grant must lie inside it. Operators must ' +
          'name theirs; without it the key is partner-wide (partner admins only).',
      ),
    ),
    scopes: Type.Optional(Type.Array(Scope, { maxItems: 50, default: [] })),
    grants: Type.Array(Type.Ref('GrantInput'), {
      minItems: 1,
      maxItems: 100,
      description: 'What the key may do, as a user with these grants could.',
    }),
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When it stops working; must lie in the future. Never, when left out.',
      }),
    ),
  },
  { $id: 'CreateApiKeyRequest', additionalProperties: false },
);

export const CreatedApiKey = Type.Object(
  {
    apiKey: Type.String({
      description:
        'The key to send as `x-api-key`. Shown this once: only a digest is stored, so it cannot ' +
        'be shown again. Keep it secret.',
      examples: ['zwk_k3y1d2abcdef_…'],
    }),
    key: Type.Ref('ApiKey'),
  },
  { $id: 'CreatedApiKey', additionalProperties: false },
);

export const ApiKeyParams = Type.Object({ keyId: KeyId });

export const ApiKeyListQuery = Type.Object({
  organisationId: Type.Optional(
    id('Only the keys limited to this organisation (operators must name theirs).'),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 2048, description: 'From the previous page of the same list.' }),
  ),
});

/**
 * The $id'd schemas of API keys, for app.addSchema (referenced ones first). They
 * refer to RoleGrant (app.ts) and GrantInput (grantSchemas).
 */
export const apiKeySchemas = [ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey];
