/** The IoT Core port over AWS IoT Core; see README.md for permissions and settings. */
export {
  AwsIotCore,
  createAwsIotClients,
  dataPlaneEndpoint,
  type AwsClientOptions,
  type AwsIotClients,
  type AwsIotCoreOptions,
} from './aws-iot-core.js';
export {
  ensureAwsResources,
  type EnsureAwsResourcesOptions,
  type PartnerProvisioning,
  type ResourceChange,
  type ResourceKind,
} from './ensure-aws-resources.js';
export {
  INGEST_AUTH_HEADER,
  INGEST_REPUBLISH_RULE_SQL,
  INGEST_RULE_NAME,
  INGEST_RULE_SQL,
  INGEST_TOPIC_FILTER,
  ingestTopicRulePayload,
  parseRuleRequest,
  type HttpIngestRuleOptions,
  type IngestAction,
  type IngestRuleOptions,
  type RepublishIngestRuleOptions,
  type RuleRequest,
} from './ingest-rule.js';
export {
  claimPolicyName,
  DEFAULT_GATEWAY_POLICY_NAME,
  INGEST_WORKER_POLICY_NAME,
  provisioningTemplateBody,
  provisioningTemplateName,
} from './provisioning-template.js';
