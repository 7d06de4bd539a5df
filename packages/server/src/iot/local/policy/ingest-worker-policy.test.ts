import { describe, expect, it } from 'vitest';
import { INGEST_EVENTS_TOPIC, INGEST_SHARED_FILTER } from '../../ingest-republish.js';
import { buildArn, isAllowed } from './evaluate-policy.js';
import { ingestWorkerPolicy, type IngestWorkerIssuer } from './ingest-worker-policy.js';
import { validatePolicyDocument, type IotAction } from './policy-document.js';
import { connectionPolicyVariables } from './policy-variables.js';

const scope = { region: 'eu-central-1', account: '123456789012' };

/** What a worker with `CN=<commonName>` connected as `clientId` may do. */
function worker(
  clientId: string,
  commonName = 'zw-ingest-w1',
  issuer: IngestWorkerIssuer = 'platform-ca',
) {
  const variables = connectionPolicyVariables({
    clientId,
    certificateCommonName: commonName,
    attachedThingNames: [],
  });
  return (action: IotAction, name: string) => {
    const kind =
      action === 'iot:Connect' ? 'client' : action === 'iot:Subscribe' ? 'topicfilter' : 'topic';
    return isAllowed([ingestWorkerPolicy(scope, { issuer })], {
      action,
      resource: buildArn(kind, name, scope),
      variables,
    });
  };
}

describe('ingestWorkerPolicy', () => {
  const can = worker('zw-ingest-w1');

  it('is a valid document within the size quota', () => {
    expect(validatePolicyDocument(ingestWorkerPolicy(scope))).toMatchObject({ ok: true });
  });

  it('connects only as its CN or a numbered session of it', () => {
    expect(can('iot:Connect', 'zw-ingest-w1')).toBe(true);
    expect(can('iot:Connect', 'zw-ingest-w1-2')).toBe(true);
    expect(can('iot:Connect', 'zw-ingest-w2')).toBe(false);
    expect(can('iot:Connect', 'gw-0001')).toBe(false);
  });

  it('reads the republished batches through the ingest group only', () => {
    expect(can('iot:Subscribe', INGEST_SHARED_FILTER)).toBe(true);
    expect(can('iot:Subscribe', '$share/other/zw/v1/ingest/+/telegrams')).toBe(false);
    expect(can('iot:Subscribe', 'zw/v1/ingest/+/telegrams')).toBe(false);
    expect(can('iot:Subscribe', '#')).toBe(false);
    expect(can('iot:Receive', 'zw/v1/ingest/gw-0001/telegrams')).toBe(true);
    expect(can('iot:Receive', 'zw/v1/gw/gw-0001/status')).toBe(false);
  });

  it('publishes and reads the ingest events, and no topic beside it', () => {
    expect(can('iot:Publish', INGEST_EVENTS_TOPIC)).toBe(true);
    expect(can('iot:Subscribe', INGEST_EVENTS_TOPIC)).toBe(true);
    expect(can('iot:Receive', INGEST_EVENTS_TOPIC)).toBe(true);
    expect(can('iot:Publish', 'zw/v1/platform/other')).toBe(false);
    expect(can('iot:Subscribe', 'zw/v1/platform/+')).toBe(false);
  });

  it('answers gateways on their errors topic and publishes nothing else', () => {
    expect(can('iot:Publish', 'zw/v1/gw/gw-0001/errors')).toBe(true);
    expect(can('iot:Publish', '$aws/rules/zw_ingest/zw/v1/gw/gw-0001/telegrams')).toBe(false);
    expect(can('iot:Publish', 'zw/v1/ingest/gw-0001/telegrams')).toBe(false);
    expect(can('iot:Publish', '$aws/things/gw-0001/shadow/update')).toBe(false);
    expect(can('iot:Publish', 'zw/v1/gw/gw-0001/telegrams')).toBe(false);
  });
});

/** AWS-issued certificates all carry this subject; the CN names no worker. */
const AWS_CN = 'AWS IoT Certificate';

describe("ingestWorkerPolicy for AWS-issued certificates ({ issuer: 'aws' })", () => {
  const can = worker('zw-ingest-w1', AWS_CN, 'aws');

  it('is a valid document within the size quota, with no CN variable', () => {
    const document = ingestWorkerPolicy(scope, { issuer: 'aws' });
    expect(validatePolicyDocument(document)).toMatchObject({ ok: true });
    expect(JSON.stringify(document)).not.toContain('CommonName');
  });

  it('connects under the zw-ingest- prefix only, whatever the CN', () => {
    expect(can('iot:Connect', 'zw-ingest-w1')).toBe(true);
    expect(can('iot:Connect', 'zw-ingest-w1-2')).toBe(true);
    // Not pinned to one worker: the certificate names none.
    expect(can('iot:Connect', 'zw-ingest-w2')).toBe(true);
    expect(can('iot:Connect', 'gw-0001')).toBe(false);
    expect(can('iot:Connect', 'zw-monitor-m1')).toBe(false);
    expect(can('iot:Connect', 'AWS IoT Certificate')).toBe(false);
  });

  it('grants the same topics as the platform CA flavour', () => {
    const local = ingestWorkerPolicy(scope).Statement.slice(1);
    expect(ingestWorkerPolicy(scope, { issuer: 'aws' }).Statement.slice(1)).toEqual(local);
    expect(can('iot:Subscribe', INGEST_SHARED_FILTER)).toBe(true);
    expect(can('iot:Receive', 'zw/v1/ingest/gw-0001/telegrams')).toBe(true);
    expect(can('iot:Publish', 'zw/v1/gw/gw-0001/errors')).toBe(true);
    expect(can('iot:Publish', 'zw/v1/gw/gw-0001/telegrams')).toBe(false);
  });

  it('is needed: the CN-pinned flavour admits no AWS-issued certificate', () => {
    expect(worker('zw-ingest-w1', AWS_CN)('iot:Connect', 'zw-ingest-w1')).toBe(false);
  });
});
