export {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_DEFAULT_TTL_SECONDS,
  ACCESS_TOKEN_MAX_TTL_SECONDS,
  issueAccessToken,
  readAccessToken,
  verifyAccessToken,
  type AccessTokenClaims,
  type IssueAccessTokenOptions,
  type VerifyAccessTokenOptions,
} from './access-token.js';
export {
  API_KEY_PREFIX,
  apiKeyId,
  createApiKey,
  revokeApiKey,
  toApiKeyInfo,
  verifyApiKey,
  type ApiKeyInfo,
  type ApiKeyRecord,
  type ApiKeyRefusal,
  type ApiKeyStore,
  type CreateApiKeyInput,
} from './api-keys.js';
export {
  EMBED_SCOPES,
  EMBED_TOKEN_AUDIENCE,
  EMBED_TOKEN_DEFAULT_TTL_SECONDS,
  EMBED_TOKEN_MAX_TTL_SECONDS,
  issueEmbedToken,
  normaliseOrigin,
  verifyEmbedToken,
  type EmbedTokenRequest,
  type IssueEmbedTokenOptions,
  type VerifyEmbedTokenOptions,
} from './embed-tokens.js';
export { createMemoryApiKeyStore } from './memory-api-key-store.js';
export { createMemoryRefreshTokenStore } from './memory-refresh-token-store.js';
export {
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  SCRYPT_PARAMS,
  verifyPassword,
  verifyPasswordOfUnknownUser,
} from './password-hash.js';
export {
  ANY_PARTNER,
  assertGrants,
  grantProblem,
  ROLES,
  type EmbedBinding,
  type EmbedScope,
  type Principal,
  type PrincipalKind,
  type Role,
  type RoleGrant,
  type SupportAccess,
} from './principal.js';
export {
  DEFAULT_REFRESH_POLICY,
  issueRefreshToken,
  REFRESH_TOKEN_PREFIX,
  revokeRefreshToken,
  rotateRefreshToken,
  type RefreshFamilyRecord,
  type RefreshPolicy,
  type RefreshRefusal,
  type RefreshRevocation,
  type RefreshSession,
  type RefreshTokenRecord,
  type RefreshTokenState,
  type RefreshTokenStore,
} from './refresh-tokens.js';
export {
  createMemorySessionFenceStore,
  SESSION_FENCE_RETENTION_SECONDS,
  type SessionFenceStore,
} from './session-fence.js';
export { TOKEN_TYPES, type TokenKind, type TokenRefusal } from './signed-token.js';
export {
  createMemorySigningKeyStore,
  openKeyRing,
  SIGNING_ALG,
  type KeyRing,
  type KeyRingOptions,
  type PublicJwk,
  type SigningKeyStore,
  type StoredSigningKey,
} from './signing-keys.js';
