import { CONTRACT_VERSION, isValidThingName } from '@zaehlwerk/firmware-contract';

/**
 * The MQTT side of the ingest: nobody can subscribe to Basic Ingest topics
 * (IOT-CORE.md §1.13), so for workers that read over MQTT the `zw_ingest`
 * rule republishes each batch, payload unchanged, to an ordinary topic that
 * names the thing, and the workers share one subscription to those topics
 * (§1.7). On AWS the republish action's topic is the template
 * `zw/v1/ingest/${topic(4)}/telegrams`: `topic(4)` is the thing level of the
 * source topic, which the gateway policy pins to the thing's own name, so the
 * thing never comes from the payload.
 */
export const INGEST_REPUBLISH_TOPIC_TEMPLATE = `zw/${CONTRACT_VERSION}/ingest/\${topic(4)}/telegrams`;

/** The share name every ingest worker subscribes with: all workers form one group. */
export const INGEST_SHARE_NAME = 'zw-ingest';

/** What an ingest worker subscribes to (QoS 1, persistent session). */
export const INGEST_SHARED_FILTER = `$share/${INGEST_SHARE_NAME}/zw/${CONTRACT_VERSION}/ingest/+/telegrams`;

/**
 * Where ingest workers tell the API servers what they stored (readings and
 * alarm changes), so that live subscribers connected to any API server hear
 * of them. Not shared: every API server needs every event. Gateways cannot
 * publish here (their policy pins them to their own thing's topics).
 */
export const INGEST_EVENTS_TOPIC = `zw/${CONTRACT_VERSION}/platform/ingest-events`;

/** The topic a thing's batches are republished to. */
export function ingestRepublishTopic(thingName: string): string {
  if (!isValidThingName(thingName)) throw new RangeError(`invalid thing name '${thingName}'`);
  return `zw/${CONTRACT_VERSION}/ingest/${thingName}/telegrams`;
}

/** The thing a republished batch came from; null for any other topic. */
export function parseIngestRepublishTopic(topic: string): string | null {
  const parts = topic.split('/');
  if (parts.length !== 5) return null;
  const [zw, version, ingest, thingName, telegrams] = parts;
  if (zw !== 'zw' || version !== CONTRACT_VERSION || ingest !== 'ingest') return null;
  if (telegrams !== 'telegrams' || thingName === undefined) return null;
  return isValidThingName(thingName) ? thingName : null;
}

/**
 * The source topic as the rule's `topic()` sees it (without the Basic Ingest
 * prefix): what the in-process rule and the HTTP action hand the ingest as
 * the delivery's topic, so the MQTT driver hands it the same.
 */
export function ingestSourceTopic(thingName: string): string {
  return `zw/${CONTRACT_VERSION}/gw/${thingName}/telegrams`;
}
