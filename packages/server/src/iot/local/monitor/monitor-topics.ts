/**
 * The emulator's monitor interface: how a cloud-side observer (the live
 * conformance checker, `zw-contract check --url …`) watches one gateway. On
 * AWS the same is pieced together from lifecycle events, a republish rule and
 * DeleteConnection; the emulator offers it directly on these topics. Only a
 * monitor certificate's policy reaches them.
 */
export const MONITOR_TOPIC_ROOT = 'zw-monitor/v1/gw';

/** Every publish the gateway made, as one capture line (firmware-contract's capture format). */
export function monitorCaptureTopic(clientId: string): string {
  return `${MONITOR_TOPIC_ROOT}/${clientId}/capture`;
}

/** A monitor's publish here cuts the gateway's connection, as DeleteConnection does. */
export function monitorDisconnectTopic(thingName: string): string {
  return `${MONITOR_TOPIC_ROOT}/${thingName}/disconnect`;
}

/** The thing of a disconnect request, or null for any other topic. */
export function parseMonitorDisconnectTopic(topic: string): string | null {
  const prefix = `${MONITOR_TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix) || !topic.endsWith('/disconnect')) return null;
  const thing = topic.slice(prefix.length, -'/disconnect'.length);
  return thing.length > 0 && !thing.includes('/') ? thing : null;
}
