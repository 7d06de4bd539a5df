/** The emulator's fleet provisioning by claim (IOT-CORE.md §1.10) and the service-hook router. */
export {
  createProvisioningService,
  OWNERSHIP_TOKEN_TTL_MS,
  type ProvisioningMessage,
  type ProvisioningRejection,
  type ProvisioningService,
  type ProvisioningServiceOptions,
  type ProvisioningTemplate,
} from './provisioning-service.js';
export {
  parseProvisioningTopic,
  PROVISIONING_TOPIC_PREFIXES,
  type ProvisioningRequest,
} from './provisioning-topics.js';
export { routeServiceMessages, type ServiceRoute } from './route-service-messages.js';
