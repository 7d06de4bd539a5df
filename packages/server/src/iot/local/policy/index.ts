/** How the IoT Core emulator authorises and limits clients: pure, called by the broker. */
export {
  buildArn,
  evaluatePolicies,
  isAllowed,
  type ArnKind,
  type ArnScope,
  type AuthorizationRequest,
  type PolicyDecision,
} from './evaluate-policy.js';
export { claimPolicy, gatewayPolicy } from './gateway-policies.js';
export { monitorPolicy } from './monitor-policy.js';
export { ingestWorkerPolicy, type IngestWorkerIssuer } from './ingest-worker-policy.js';
export {
  checkClientId,
  checkFiltersPerSubscribe,
  checkPayloadSize,
  checkQos,
  checkReservedTopic,
  checkRetain,
  checkSubscriptionCount,
  checkTopicSize,
  countedTopic,
  createRateLimiter,
  IOT_CORE_LIMITS,
  negotiateKeepAlive,
  type KeepAlive,
  type LimitViolation,
  type LimitViolationCode,
  type RateLimiter,
  type RateLimiterOptions,
} from './limits.js';
export {
  CONDITION_OPERATORS,
  IOT_ACTIONS,
  MAX_POLICY_DOCUMENT_CHARS,
  policyDocumentSize,
  validatePolicyDocument,
  type ConditionOperator,
  type IotAction,
  type PolicyCondition,
  type PolicyDocument,
  type PolicyIssue,
  type PolicyStatement,
  type PolicyValidation,
} from './policy-document.js';
export {
  connectionPolicyVariables,
  POLICY_VARIABLE_NAMES,
  type PolicyVariableName,
  type PolicyVariables,
} from './policy-variables.js';
