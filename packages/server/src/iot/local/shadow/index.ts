/** The emulator's Device Shadow service (IOT-CORE.md §1.9): pure rules, store port, service. */
export {
  applyShadowUpdate,
  buildDeleteAccepted,
  buildGetAccepted,
  buildRejected,
  computeDelta,
  isValidShadowName,
  parseShadowQuery,
  parseShadowRequestTopic,
  parseShadowUpdate,
  SHADOW_ERRORS,
  SHADOW_LIMITS,
  shadowTopicPrefix,
  type JsonObject,
  type JsonValue,
  type ShadowDocument,
  type ShadowErrorCode,
  type ShadowLimits,
  type ShadowOperation,
  type ShadowRejection,
  type ShadowSnapshot,
  type ShadowState,
  type ShadowTopic,
  type ShadowUpdateRequest,
  type UpdateOutcome,
} from './shadow-document.js';
export { createMemoryShadowStore } from './memory-shadow-store.js';
export {
  createShadowService,
  type ShadowService,
  type ShadowServiceOptions,
  type ShadowWriteOptions,
} from './shadow-service.js';
export { SHADOW_TOMBSTONE_SECONDS, type ShadowRecord, type ShadowStore } from './shadow-store.js';
