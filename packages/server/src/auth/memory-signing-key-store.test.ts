import { signingKeyStoreContract } from './signing-key-store.contract.js';
import { createMemorySigningKeyStore } from './signing-keys.js';

// The memory store merges saves as the DynamoDB store does, so the concurrent
// part of the contract (two rings rotating at once keep both new keys) runs too.
signingKeyStoreContract('memory', () => createMemorySigningKeyStore(), {
  mergesConcurrentSaves: true,
});
