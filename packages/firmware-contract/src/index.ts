export {
  CONTRACT_VERSION,
  INGEST_RULE,
  isValidThingName,
  parseTopic,
  TOPIC_LIMITS,
  topicLimitProblems,
  topics,
  type GatewayTopicKind,
  type ParsedTopic,
} from './topics.js';
