/**
 * MQTT topics of contract v1. Limits are AWS IoT Core's, so that a gateway
 * that works against the local emulator works against AWS unchanged.
 */

export const CONTRACT_VERSION = 'v1';

/** The IoT rule that hands telegram batches to the platform's ingest (Basic Ingest). */
export const INGEST_RULE = 'zw_ingest';
const BASIC_INGEST_PREFIX = `$aws/rules/${INGEST_RULE}/`;

export const TOPIC_LIMITS = {
  /** Bytes of UTF-8, not counting a Basic Ingest prefix. */
  maxTopicBytes: 256,
  /** Slashes, not counting a Basic Ingest prefix. */
  maxSlashes: 7,
  /** Thing name = client id; IoT Core allows 128, the contract keeps room for prefixes. */
  maxThingNameLength: 64,
} as const;

const THING_NAME = /^[A-Za-z0-9:_-]+$/;

export function isValidThingName(name: string): boolean {
  return (
    name.length >= 1 && name.length <= TOPIC_LIMITS.maxThingNameLength && THING_NAME.test(name)
  );
}

function requireThingName(name: string): string {
  if (!isValidThingName(name)) {
    throw new RangeError(
      `thing name must be 1-${TOPIC_LIMITS.maxThingNameLength} characters of A-Z a-z 0-9 : _ -, got '${name}'`,
    );
  }
  return name;
}

export type GatewayTopicKind = 'telegrams' | 'status' | 'event';

/** The named device shadow that carries a gateway's configuration (contract clause C9). */
export const SHADOW_NAME = 'zw-config';

/** The operations on the configuration shadow a gateway uses (requests and their responses). */
export type ShadowOperation =
  | 'get'
  | 'get/accepted'
  | 'get/rejected'
  | 'update'
  | 'update/accepted'
  | 'update/rejected'
  | 'update/delta';

export const topics = {
  /** Where a gateway publishes telegram batches: through Basic Ingest straight to the rule. */
  telegrams: (thing: string) =>
    `${BASIC_INGEST_PREFIX}zw/${CONTRACT_VERSION}/gw/${requireThingName(thing)}/telegrams`,
  /** Gateway status reports (not ingested as readings). */
  status: (thing: string) => `zw/${CONTRACT_VERSION}/gw/${requireThingName(thing)}/status`,
  /** Gateway events such as power loss or tamper. */
  event: (thing: string, event: string) => {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(event))
      throw new RangeError(`invalid event name '${event}'`);
    return `zw/${CONTRACT_VERSION}/gw/${requireThingName(thing)}/evt/${event}`;
  },
  /** Where the cloud tells a gateway that it rejected one of its messages (gateway subscribes). */
  errors: (thing: string) => `zw/${CONTRACT_VERSION}/gw/${requireThingName(thing)}/errors`,
  /** The configuration shadow's topics: IoT Core's names, with the contract's shadow name. */
  shadow: (thing: string, operation: ShadowOperation) =>
    `$aws/things/${requireThingName(thing)}/shadow/name/${SHADOW_NAME}/${operation}`,
} as const;

export interface ParsedTopic {
  kind: GatewayTopicKind;
  thingName: string;
  event?: string;
  /** Whether it came through the Basic Ingest prefix. */
  basicIngest: boolean;
}

/** Checks a topic against IoT Core's size and depth limits; returns the problems found. */
export function topicLimitProblems(topic: string): string[] {
  const counted = topic.startsWith('$aws/rules/')
    ? topic.replace(/^\$aws\/rules\/[^/]+\//, '')
    : topic;
  const problems: string[] = [];
  const bytes = new TextEncoder().encode(counted).length;
  if (bytes > TOPIC_LIMITS.maxTopicBytes)
    problems.push(`topic has ${bytes} bytes, at most ${TOPIC_LIMITS.maxTopicBytes}`);
  const slashes = counted.split('/').length - 1;
  if (slashes > TOPIC_LIMITS.maxSlashes)
    problems.push(`topic has ${slashes} slashes, at most ${TOPIC_LIMITS.maxSlashes}`);
  return problems;
}

/** Recognises a contract topic and the thing it names; null for anything else. */
export function parseTopic(topic: string): ParsedTopic | null {
  const basicIngest = topic.startsWith(BASIC_INGEST_PREFIX);
  const rest = basicIngest ? topic.slice(BASIC_INGEST_PREFIX.length) : topic;
  const parts = rest.split('/');
  if (parts[0] !== 'zw' || parts[1] !== CONTRACT_VERSION || parts[2] !== 'gw') return null;
  const thingName = parts[3] ?? '';
  if (!isValidThingName(thingName)) return null;
  if (parts.length === 5 && parts[4] === 'telegrams')
    return { kind: 'telegrams', thingName, basicIngest };
  if (basicIngest) return null;
  if (parts.length === 5 && parts[4] === 'status')
    return { kind: 'status', thingName, basicIngest };
  if (parts.length === 6 && parts[4] === 'evt' && /^[a-z][a-z0-9-]{0,31}$/.test(parts[5] ?? '')) {
    return { kind: 'event', thingName, event: parts[5]!, basicIngest };
  }
  return null;
}
