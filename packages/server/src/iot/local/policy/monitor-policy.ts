import { MONITOR_CLIENT_ID_PREFIX } from '../pki/index.js';
import { buildArn, type ArnScope } from './evaluate-policy.js';
import type { PolicyDocument } from './policy-document.js';

/** Mirrors monitor/monitor-topics.ts; a policy module must not depend on the broker's helpers. */
const MONITOR_TOPICS = 'zw-monitor/v1/gw/*';

/**
 * The policy of the emulator's monitor certificate: the cloud side's view of
 * every gateway, as an operator's tooling has it on IoT Core (lifecycle
 * events, the gateways' shadows, a republish of their traffic). It cannot
 * publish as a gateway: neither Basic Ingest nor the gateways' own topics.
 */
export function monitorPolicy(scope: ArnScope): PolicyDocument {
  const topics = (...names: string[]) => names.map((name) => buildArn('topic', name, scope));
  const filters = (...names: string[]) => names.map((name) => buildArn('topicfilter', name, scope));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: buildArn('client', `${MONITOR_CLIENT_ID_PREFIX}*`, scope),
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: filters(MONITOR_TOPICS, '$aws/events/presence/*', '$aws/things/*/shadow/*'),
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: topics(MONITOR_TOPICS, '$aws/events/presence/*', '$aws/things/*/shadow/*'),
      },
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: topics('zw-monitor/v1/gw/*/disconnect', '$aws/things/*/shadow/*'),
      },
    ],
  };
}
