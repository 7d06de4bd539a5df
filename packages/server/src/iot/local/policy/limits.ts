import type { LimitViolation } from './limit-violation.js';

// The broker's one import for quotas: the bigger checks live in their own modules.
export type { LimitViolation, LimitViolationCode } from './limit-violation.js';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { checkReservedTopic } from './reserved-topics.js';

/** IoT Core's message-broker quotas (IOT-CORE.md §1.3); none of them is adjustable. */
export const IOT_CORE_LIMITS = {
  maxClientIdBytes: 128,
  /** "128 KB"; read as KiB, the unit the same table uses for throughput. */
  maxPayloadBytes: 128 * 1024,
  /** UTF-8 bytes, without a Basic Ingest or shared-subscription prefix. */
  maxTopicBytes: 256,
  /** Slashes, without those prefixes ("older docs: 8", we keep the stricter 7). */
  maxTopicSlashes: 7,
  maxSubscriptionsPerConnection: 50,
  maxFiltersPerSubscribe: 8,
  /** Inbound + outbound; "Publish requests that exceed that quota are discarded". */
  maxPublishesPerSecond: 100,
  minKeepAliveSeconds: 30,
  maxKeepAliveSeconds: 1200,
} as const;

const utf8 = new TextEncoder();

function byteLength(text: string): number {
  return utf8.encode(text).length;
}

/** ≤ 128 bytes UTF-8, and no `$` prefix: "reserved for AWS-generated ids" (§1.3). */
export function checkClientId(clientId: string): LimitViolation | null {
  const bytes = byteLength(clientId);
  if (bytes > IOT_CORE_LIMITS.maxClientIdBytes) {
    return {
      code: 'CLIENT_ID_TOO_LONG',
      limit: IOT_CORE_LIMITS.maxClientIdBytes,
      actual: bytes,
      message: `client id has ${bytes} bytes, at most ${IOT_CORE_LIMITS.maxClientIdBytes}`,
    };
  }
  if (clientId.startsWith('$')) {
    return {
      code: 'CLIENT_ID_RESERVED',
      limit: 'no leading $',
      actual: clientId,
      message: 'client ids starting with $ are reserved for AWS',
    };
  }
  return null;
}

export interface KeepAlive {
  /** What the broker enforces (MQTT 5 returns it as Server Keep Alive). */
  seconds: number;
  adjusted: boolean;
  /** Silence after which the broker disconnects: 1.5 × keep-alive (§1.3). */
  timeoutMs: number;
}

/**
 * Keep-alive is never refused, only adjusted, as §1.3 quotes the quota page
 * ([verify] wording): 0 or more than 1200 s becomes the default 1200 s; more
 * than 0 but less than 30 s becomes 30 s.
 */
export function negotiateKeepAlive(requestedSeconds: number): KeepAlive {
  const { minKeepAliveSeconds: min, maxKeepAliveSeconds: max } = IOT_CORE_LIMITS;
  let seconds = requestedSeconds;
  if (requestedSeconds === 0 || requestedSeconds > max) seconds = max;
  else if (requestedSeconds < min) seconds = min;
  return { seconds, adjusted: seconds !== requestedSeconds, timeoutMs: seconds * 1500 };
}

/**
 * QoS 0 and 1 only. AWS answers QoS 2 with no PUBACK or SUBACK at all (§1.2);
 * the broker decides how to mirror that, this only says it is not allowed.
 */
export function checkQos(qos: number): LimitViolation | null {
  if (qos === 0 || qos === 1) return null;
  return {
    code: 'QOS_NOT_SUPPORTED',
    limit: 1,
    actual: qos,
    message: `QoS ${qos} is not supported, only 0 and 1`,
  };
}

/** ≤ 128 KB per PUBLISH, "larger requests are rejected" (§1.3). */
export function checkPayloadSize(payloadBytes: number): LimitViolation | null {
  if (payloadBytes <= IOT_CORE_LIMITS.maxPayloadBytes) return null;
  return {
    code: 'PAYLOAD_TOO_LARGE',
    limit: IOT_CORE_LIMITS.maxPayloadBytes,
    actual: payloadBytes,
    message: `payload has ${payloadBytes} bytes, at most ${IOT_CORE_LIMITS.maxPayloadBytes}`,
  };
}

/**
 * The part of a topic or filter the size quotas count: without the Basic
 * Ingest prefix `$aws/rules/<rule>/` (§1.3, §1.13) and without a shared
 * subscription's `$share/<name>/` (§1.3, §1.7).
 */
export function countedTopic(topicOrFilter: string): string {
  const prefix = /^(\$aws\/rules|\$share)\/[^/]*\//.exec(topicOrFilter);
  return prefix === null ? topicOrFilter : topicOrFilter.slice(prefix[0].length);
}

/** ≤ 256 bytes UTF-8 and ≤ 7 slashes, for publish topics and subscribe filters alike. */
export function checkTopicSize(topicOrFilter: string): LimitViolation | null {
  const counted = countedTopic(topicOrFilter);
  const bytes = byteLength(counted);
  if (bytes > IOT_CORE_LIMITS.maxTopicBytes) {
    return {
      code: 'TOPIC_TOO_LONG',
      limit: IOT_CORE_LIMITS.maxTopicBytes,
      actual: bytes,
      message: `topic has ${bytes} bytes, at most ${IOT_CORE_LIMITS.maxTopicBytes}`,
    };
  }
  const slashes = counted.split('/').length - 1;
  if (slashes > IOT_CORE_LIMITS.maxTopicSlashes) {
    return {
      code: 'TOPIC_TOO_DEEP',
      limit: IOT_CORE_LIMITS.maxTopicSlashes,
      actual: slashes,
      message: `topic has ${slashes} slashes, at most ${IOT_CORE_LIMITS.maxTopicSlashes}`,
    };
  }
  return null;
}

/** "Retained messages are not allowed on reserved `$` topics" (§1.6). */
export function checkRetain(topic: string, retain: boolean): LimitViolation | null {
  if (!retain || !topic.startsWith('$')) return null;
  return {
    code: 'RETAIN_ON_RESERVED_TOPIC',
    limit: 'no retained messages on $ topics',
    actual: topic,
    message: `a retained message may not be published to ${topic}`,
  };
}

/**
 * ≤ 50 subscriptions per connection (§1.3: "excess may close the connection").
 * `count` is the number of distinct filters the connection would hold after
 * the SUBSCRIBE; re-subscribing to a filter it holds does not add one.
 */
export function checkSubscriptionCount(count: number): LimitViolation | null {
  if (count <= IOT_CORE_LIMITS.maxSubscriptionsPerConnection) return null;
  return {
    code: 'TOO_MANY_SUBSCRIPTIONS',
    limit: IOT_CORE_LIMITS.maxSubscriptionsPerConnection,
    actual: count,
    message: `${count} subscriptions, at most ${IOT_CORE_LIMITS.maxSubscriptionsPerConnection} per connection`,
  };
}

/** ≤ 8 topic filters in one SUBSCRIBE packet (§1.3). */
export function checkFiltersPerSubscribe(count: number): LimitViolation | null {
  if (count <= IOT_CORE_LIMITS.maxFiltersPerSubscribe) return null;
  return {
    code: 'TOO_MANY_FILTERS',
    limit: IOT_CORE_LIMITS.maxFiltersPerSubscribe,
    actual: count,
    message: `${count} filters in one SUBSCRIBE, at most ${IOT_CORE_LIMITS.maxFiltersPerSubscribe}`,
  };
}
