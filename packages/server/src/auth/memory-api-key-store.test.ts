import { apiKeyStoreContract } from './api-key-store.contract.js';
import { createMemoryApiKeyStore } from './memory-api-key-store.js';

apiKeyStoreContract('memory', () => createMemoryApiKeyStore());
