import { CONTRACT_VERSION } from '@zaehlwerk/firmware-contract';
import { INGEST_SHARED_FILTER } from '../../ingest-republish.js';
import { buildArn, type ArnScope } from './evaluate-policy.js';
import type { PolicyDocument } from './policy-document.js';

/**
 * The policy of the emulator's ingest worker certificate: what a worker
 * reading the ingest rule's republished batches needs on IoT Core too.
 * - Connect as its certificate's CN, or `<CN>-<n>` for a worker with several
 *   sessions, so one worker's certificate cannot take over another's session.
 * - Subscribe to the ingest group's shared subscription only
 *   (`topicfilter/$share/zw-ingest/…`, the form of AWS's shared subscription
 *   policy examples), and receive the republished batches.
 * - Publish the contract's error responses to gateways (clause 13), which the
 *   contract gate sends for a batch that breaks the contract.
 * It can neither publish as a gateway nor read anything else.
 */
export function ingestWorkerPolicy(scope: ArnScope): PolicyDocument {
  const commonName = '${iot:Certificate.Subject.CommonName}';
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: [
          buildArn('client', commonName, scope),
          buildArn('client', `${commonName}-*`, scope),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: buildArn('topicfilter', INGEST_SHARED_FILTER, scope),
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: buildArn('topic', `zw/${CONTRACT_VERSION}/ingest/*/telegrams`, scope),
      },
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: buildArn('topic', `zw/${CONTRACT_VERSION}/gw/*/errors`, scope),
      },
    ],
  };
}
