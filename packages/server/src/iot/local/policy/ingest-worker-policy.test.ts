import { describe, expect, it } from 'vitest';
import { INGEST_SHARED_FILTER } from '../../ingest-republish.js';
import { buildArn, isAllowed } from './evaluate-policy.js';
import { ingestWorkerPolicy } from './ingest-worker-policy.js';
import { validatePolicyDocument, type IotAction } from './policy-document.js';
import { connectionPolicyVariables } from './policy-variables.js';

const scope = { region: 'eu-central-1', account: '123456789012' };

/** What a worker with `CN=zw-ingest-w1` connected as `clientId` may do. */
function worker(clientId: string) {
  const variables = connectionPolicyVariables({
    clientId,
    certificateCommonName: 'zw-ingest-w1',
    attachedThingNames: [],
  });
  return (action: IotAction, name: string) => {
    const kind =
      action === 'iot:Connect' ? 'client' : action === 'iot:Subscribe' ? 'topicfilter' : 'topic';
    return isAllowed([ingestWorkerPolicy(scope)], {
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

  it('answers gateways on their errors topic and publishes nothing else', () => {
    expect(can('iot:Publish', 'zw/v1/gw/gw-0001/errors')).toBe(true);
    expect(can('iot:Publish', '$aws/rules/zw_ingest/zw/v1/gw/gw-0001/telegrams')).toBe(false);
    expect(can('iot:Publish', 'zw/v1/ingest/gw-0001/telegrams')).toBe(false);
    expect(can('iot:Publish', '$aws/things/gw-0001/shadow/update')).toBe(false);
  });
});
