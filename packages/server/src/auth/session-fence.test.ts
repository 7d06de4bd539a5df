import { sessionFenceStoreContract } from './session-fence-store.contract.js';
import { createMemorySessionFenceStore } from './session-fence.js';

sessionFenceStoreContract('memory', () => createMemorySessionFenceStore());
