/** The IoT Core emulator's MQTT broker: mutual TLS, registry, policies and quotas. */
export { parseBasicIngestTopic, type BasicIngestTopic } from './basic-ingest.js';
export {
  startLocalBroker,
  type BrokerConnection,
  type BrokerEvent,
  type BrokerEventCode,
  type BrokerEventOutcome,
  type DisconnectReason,
  type LocalBroker,
  type LocalBrokerOptions,
  type RuleMessage,
  type ServiceMessage,
} from './local-broker.js';
