import { createMemoryRefreshTokenStore } from './memory-refresh-token-store.js';
import { refreshTokenStoreContract } from './refresh-token-store.contract.js';

refreshTokenStoreContract('memory', () => createMemoryRefreshTokenStore());
