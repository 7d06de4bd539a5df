import { DomainError } from '../domain/errors.js';
import type {
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from './refresh-tokens.js';

/**
 * Refresh tokens in memory, for tests and the embedded server; passes
 * refreshTokenStoreContract. Each method checks and writes without awaiting in
 * between, which is what makes its conditions atomic in one process.
 */
export function createMemoryRefreshTokenStore(): RefreshTokenStore {
  const families = new Map<string, RefreshFamilyRecord>();
  const tokens = new Map<string, RefreshTokenRecord>();
  const taken = () => new DomainError('CONFLICT', 'refresh token id already taken');

  return {
    async createFamily(family, first) {
      if (families.has(family.familyId) || tokens.has(first.tokenId)) throw taken();
      families.set(family.familyId, structuredClone(family));
      tokens.set(first.tokenId, structuredClone(first));
    },

    async create(token) {
      if (tokens.has(token.tokenId)) throw taken();
      tokens.set(token.tokenId, structuredClone(token));
    },

    async getFamily(familyId) {
      const family = families.get(familyId);
      return family ? structuredClone(family) : null;
    },

    async get(tokenId) {
      const token = tokens.get(tokenId);
      return token ? structuredClone(token) : null;
    },

    async consume(tokenId, expectedState, usedAt) {
      const token = tokens.get(tokenId);
      if (!token || token.state !== expectedState) return false;
      token.state = 'used';
      token.usedAt = usedAt;
      return true;
    },

    async revokeFamily(familyId, revokedAt, reason) {
      const family = families.get(familyId);
      if (!family) return false;
      if (family.revokedAt === null) {
        family.revokedAt = revokedAt;
        family.revokedReason = reason;
      }
      return true;
    },

    async listFamilies(partnerId, userId) {
      return [...families.values()]
        .filter((f) => f.partnerId === partnerId && f.userId === userId)
        .sort(
          (a, b) => a.createdAt.localeCompare(b.createdAt) || a.familyId.localeCompare(b.familyId),
        )
        .map((f) => structuredClone(f));
    },
  };
}
