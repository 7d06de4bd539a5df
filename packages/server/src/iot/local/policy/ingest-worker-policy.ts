import { CONTRACT_VERSION } from '@zaehlwerk/firmware-contract';
import { INGEST_EVENTS_TOPIC, INGEST_SHARED_FILTER } from '../../ingest-republish.js';
import { INGEST_WORKER_CLIENT_ID_PREFIX } from '../pki/index.js';
import { buildArn, type ArnScope } from './evaluate-policy.js';
import type { PolicyDocument } from './policy-document.js';

/**
 * Who issued the worker certificates the policy is attached to:
 * - `platform-ca` (the emulator): the CA writes `CN=zw-ingest-<name>`, so the
 *   policy pins each certificate to its own client ids.
 * - `aws` (CreateKeysAndCertificate): AWS issues every certificate with the
 *   same subject ("AWS IoT Certificate"), so the CN names no worker and the
 *   policy can only pin the prefix: any worker certificate may connect as any
 *   `zw-ingest-…` client id, and could push another worker's session off
 *   (the MQTT client-id takeover). Every holder is a platform process already
 *   trusted with all batches, so this costs isolation between workers only.
 */
export type IngestWorkerIssuer = 'platform-ca' | 'aws';

/**
 * The policy of an ingest worker certificate: what a worker reading the
 * ingest rule's republished batches needs, in the emulator and on AWS IoT
 * Core alike (`ensureAwsResources` deploys it as `zw-ingest-worker`).
 * - Connect as its certificate's CN, or `<CN>-<n>` for a worker with several
 *   sessions, so one worker's certificate cannot take over another's session
 *   (with `issuer: 'aws'`, as `zw-ingest-<anything>`: see IngestWorkerIssuer).
 * - Subscribe to the ingest group's shared subscription only
 *   (`topicfilter/$share/zw-ingest/…`, the form of AWS's shared subscription
 *   policy examples), and receive the republished batches.
 * - Publish the contract's error responses to gateways (clause 13), which the
 *   contract gate sends for a batch that breaks the contract.
 * - Publish what it stored to the ingest events topic, and subscribe to it:
 *   the API servers, which fan the events out to live subscribers, connect
 *   with a worker certificate too (the consuming side of the ingest tier).
 * It can neither publish as a gateway nor read anything else.
 */
export function ingestWorkerPolicy(
  scope: ArnScope,
  options: { issuer?: IngestWorkerIssuer } = {},
): PolicyDocument {
  const commonName = '${iot:Certificate.Subject.CommonName}';
  const connect =
    options.issuer === 'aws'
      ? [buildArn('client', `${INGEST_WORKER_CLIENT_ID_PREFIX}*`, scope)]
      : [buildArn('client', commonName, scope), buildArn('client', `${commonName}-*`, scope)];
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: connect },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [
          buildArn('topicfilter', INGEST_SHARED_FILTER, scope),
          buildArn('topicfilter', INGEST_EVENTS_TOPIC, scope),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: [
          buildArn('topic', `zw/${CONTRACT_VERSION}/ingest/*/telegrams`, scope),
          buildArn('topic', INGEST_EVENTS_TOPIC, scope),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [
          buildArn('topic', `zw/${CONTRACT_VERSION}/gw/*/errors`, scope),
          buildArn('topic', INGEST_EVENTS_TOPIC, scope),
        ],
      },
    ],
  };
}
