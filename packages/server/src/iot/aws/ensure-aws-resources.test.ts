import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INGEST_REPUBLISH_TOPIC_TEMPLATE } from '../ingest-republish.js';
import { claimPolicy, gatewayPolicy, ingestWorkerPolicy } from '../local/policy/index.js';
import { startFakeAwsIot, type FakeAwsIot, type RecordedRequest } from './aws-test-kit.js';
import { ensureAwsResources, type EnsureAwsResourcesOptions } from './ensure-aws-resources.js';
import { INGEST_REPUBLISH_RULE_SQL, INGEST_RULE_SQL } from './ingest-rule.js';

let fake: FakeAwsIot;
beforeEach(async () => {
  fake = await startFakeAwsIot();
});
afterEach(() => fake.close());

const options: EnsureAwsResourcesOptions = {
  accountId: '123456789012',
  region: 'eu-central-1',
  ingestUrl: 'https://portal.example/ingest/aws-iot',
  ingestToken: 's3cret',
  provisioningRoleArn: 'arn:aws:iam::123456789012:role/zw-provisioning',
  partners: [
    {
      partnerId: 'stadtwerke-x',
      preProvisioningHookArn: 'arn:aws:lambda:eu-central-1:123456789012:function:zw-hook',
    },
  ],
};
const republishRoleArn = 'arn:aws:iam::123456789012:role/zw-ingest-republish';
const republishOptions: EnsureAwsResourcesOptions = {
  ingestAction: 'republish',
  republishRoleArn,
  accountId: options.accountId,
  region: options.region,
  provisioningRoleArn: options.provisioningRoleArn,
  partners: options.partners,
};
const scope = { region: 'eu-central-1', account: '123456789012' };
const line = (r: RecordedRequest) => {
  const query = new URLSearchParams(r.query).toString();
  return `${r.method} ${r.path}${query ? `?${query}` : ''}`;
};
const body = (r: RecordedRequest | undefined) =>
  JSON.parse(r?.body ?? '') as Record<string, unknown>;
const find = (method: string, path: string) =>
  fake.requests.find((r) => r.method === method && r.path === path);

describe('ensureAwsResources', () => {
  it('creates the policies, the template and the rule in an empty account', async () => {
    const changes = await ensureAwsResources(fake.clients().iot, options);
    expect(changes).toEqual([
      { kind: 'policy', name: 'zw-gateway-v1', action: 'created' },
      { kind: 'policy', name: 'zw-ingest-worker', action: 'created' },
      { kind: 'policy', name: 'zw-claim-stadtwerke-x', action: 'created' },
      { kind: 'provisioning-template', name: 'zw-prov-stadtwerke-x', action: 'created' },
      { kind: 'topic-rule', name: 'zw_ingest', action: 'created' },
    ]);
    expect(fake.requests.map(line)).toEqual([
      'GET /policies/zw-gateway-v1',
      'POST /policies/zw-gateway-v1',
      'GET /policies/zw-ingest-worker',
      'POST /policies/zw-ingest-worker',
      'GET /policies/zw-claim-stadtwerke-x',
      'POST /policies/zw-claim-stadtwerke-x',
      'GET /provisioning-templates/zw-prov-stadtwerke-x',
      'POST /provisioning-templates',
      'GET /rules/zw_ingest',
      'POST /rules/zw_ingest',
    ]);

    const gateway = body(find('POST', '/policies/zw-gateway-v1'));
    expect(JSON.parse(gateway['policyDocument'] as string)).toEqual(gatewayPolicy(scope));
    // The emulator's worker policy, in the flavour for certificates AWS issues.
    const worker = body(find('POST', '/policies/zw-ingest-worker'));
    expect(JSON.parse(worker['policyDocument'] as string)).toEqual(
      ingestWorkerPolicy(scope, { issuer: 'aws' }),
    );
    const claim = body(find('POST', '/policies/zw-claim-stadtwerke-x'));
    expect(JSON.parse(claim['policyDocument'] as string)).toEqual(
      claimPolicy({ ...scope, templateName: 'zw-prov-stadtwerke-x' }),
    );

    const template = body(find('POST', '/provisioning-templates'));
    expect(template).toMatchObject({
      templateName: 'zw-prov-stadtwerke-x',
      provisioningRoleArn: options.provisioningRoleArn,
      enabled: true,
      type: 'FLEET_PROVISIONING',
      preProvisioningHook: { targetArn: options.partners[0]!.preProvisioningHookArn },
    });
    const templateBody = JSON.parse(template['templateBody'] as string) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    expect(templateBody.Resources['thing']!.Properties['AttributePayload']).toEqual({
      partnerId: 'stadtwerke-x',
      organisationId: { Ref: 'OrganisationId' },
    });
    expect(templateBody.Resources['policy']!.Properties).toEqual({ PolicyName: 'zw-gateway-v1' });

    // CreateTopicRule's payload is the HTTP body itself (httpPayload).
    expect(body(find('POST', '/rules/zw_ingest'))).toEqual({
      sql: INGEST_RULE_SQL,
      awsIotSqlVersion: '2016-03-23',
      description: expect.any(String),
      ruleDisabled: false,
      actions: [
        {
          http: {
            url: options.ingestUrl,
            headers: [{ key: 'x-zw-ingest-token', value: 's3cret' }],
          },
        },
      ],
    });
  });

  it('changes nothing on a second run', async () => {
    await ensureAwsResources(fake.clients().iot, options);
    fake.requests.length = 0;
    const changes = await ensureAwsResources(fake.clients().iot, options);
    expect(changes.map((c) => c.action)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('updates what differs: a new default policy version, the template settings, the rule', async () => {
    await ensureAwsResources(fake.clients().iot, options);
    fake.requests.length = 0;
    const changes = await ensureAwsResources(fake.clients().iot, {
      ...options,
      accountId: '210987654321',
      ingestUrl: 'https://portal.example/ingest/v2',
      partners: [{ partnerId: 'stadtwerke-x' }],
    });
    expect(changes.map((c) => c.action)).toEqual([
      'updated',
      'updated',
      'updated',
      'updated',
      'updated',
    ]);
    const writes = fake.requests.filter((r) => r.method !== 'GET').map(line);
    expect(writes).toEqual([
      'POST /policies/zw-gateway-v1/version?setAsDefault=true',
      'POST /policies/zw-ingest-worker/version?setAsDefault=true',
      'POST /policies/zw-claim-stadtwerke-x/version?setAsDefault=true',
      'PATCH /provisioning-templates/zw-prov-stadtwerke-x',
      'PATCH /rules/zw_ingest',
    ]);
    expect(body(find('PATCH', '/provisioning-templates/zw-prov-stadtwerke-x'))).toEqual({
      enabled: true,
      provisioningRoleArn: options.provisioningRoleArn,
      removePreProvisioningHook: true,
    });
  });

  it('deletes the oldest non-default policy version when five exist', async () => {
    fake.policies.set('zw-gateway-v1', {
      versions: ['1', '2', '3', '4', '5'].map((id) => ({
        id,
        document: '{}',
        isDefault: id === '3',
      })),
    });
    await ensureAwsResources(fake.clients().iot, options);
    const writes = fake.requests
      .filter((r) => r.path.startsWith('/policies/zw-gateway-v1'))
      .map(line);
    expect(writes).toEqual([
      'GET /policies/zw-gateway-v1',
      'GET /policies/zw-gateway-v1/version',
      'DELETE /policies/zw-gateway-v1/version/1',
      'POST /policies/zw-gateway-v1/version?setAsDefault=true',
    ]);
  });

  it('deploys the republish rule for the MQTT ingest workers, and the worker policy', async () => {
    const changes = await ensureAwsResources(fake.clients().iot, republishOptions);
    expect(changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'created policy zw-gateway-v1',
      'created policy zw-ingest-worker',
      'created policy zw-claim-stadtwerke-x',
      'created provisioning-template zw-prov-stadtwerke-x',
      'created topic-rule zw_ingest',
    ]);
    expect(body(find('POST', '/rules/zw_ingest'))).toEqual({
      sql: "SELECT * FROM 'zw/v1/gw/+/telegrams'",
      awsIotSqlVersion: '2016-03-23',
      description: expect.any(String),
      ruleDisabled: false,
      actions: [
        {
          republish: {
            topic: 'zw/v1/ingest/${topic(4)}/telegrams',
            qos: 1,
            roleArn: republishRoleArn,
          },
        },
      ],
    });
    expect(fake.policies.has('zw-ingest-worker')).toBe(true);

    fake.requests.length = 0;
    const again = await ensureAwsResources(fake.clients().iot, republishOptions);
    expect(again.every((c) => c.action === 'unchanged')).toBe(true);
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('replaces the rule when the action changes, both ways, and leaves the rest', async () => {
    await ensureAwsResources(fake.clients().iot, options);
    fake.requests.length = 0;
    const toRepublish = await ensureAwsResources(fake.clients().iot, republishOptions);
    expect(toRepublish.filter((c) => c.action !== 'unchanged')).toEqual([
      { kind: 'topic-rule', name: 'zw_ingest', action: 'updated' },
    ]);
    expect(fake.requests.filter((r) => r.method !== 'GET').map(line)).toEqual([
      'PATCH /rules/zw_ingest',
    ]);
    expect(fake.rules.get('zw_ingest')).toMatchObject({
      sql: INGEST_REPUBLISH_RULE_SQL,
      actions: [
        {
          republish: { topic: INGEST_REPUBLISH_TOPIC_TEMPLATE, qos: 1, roleArn: republishRoleArn },
        },
      ],
    });

    fake.requests.length = 0;
    const back = await ensureAwsResources(fake.clients().iot, options);
    expect(back.filter((c) => c.action !== 'unchanged').map((c) => c.name)).toEqual(['zw_ingest']);
    expect(fake.rules.get('zw_ingest')).toMatchObject({
      sql: INGEST_RULE_SQL,
      actions: [{ http: { url: options.ingestUrl } }],
    });
    expect(JSON.stringify(fake.rules.get('zw_ingest'))).not.toContain('republish');
  });

  it('replaces the rule for another republish role, and when its error action is dropped', async () => {
    const errorLog = { roleArn: republishRoleArn, logGroupName: 'zw-ingest-errors' };
    await ensureAwsResources(fake.clients().iot, { ...republishOptions, errorLog });
    expect(fake.rules.get('zw_ingest')?.['errorAction']).toEqual({ cloudwatchLogs: errorLog });

    const otherRole = 'arn:aws:iam::123456789012:role/zw-ingest-republish-2';
    const changed = await ensureAwsResources(fake.clients().iot, {
      ...republishOptions,
      republishRoleArn: otherRole,
      errorLog,
    });
    expect(changed.at(-1)).toMatchObject({ name: 'zw_ingest', action: 'updated' });

    const dropped = await ensureAwsResources(fake.clients().iot, {
      ...republishOptions,
      republishRoleArn: otherRole,
    });
    expect(dropped.at(-1)).toMatchObject({ name: 'zw_ingest', action: 'updated' });
    expect(fake.rules.get('zw_ingest')).not.toHaveProperty('errorAction');
  });

  it('refuses bad options before calling AWS', async () => {
    const iot = fake.clients().iot;
    await expect(
      ensureAwsResources(iot, { ...options, ingestUrl: 'http://portal.example/i' }),
    ).rejects.toThrow(/https/);
    await expect(
      ensureAwsResources(iot, { ...options, partners: [{ partnerId: 'a'.repeat(29) }] }),
    ).rejects.toThrow(RangeError);
    await expect(
      ensureAwsResources(iot, { ...republishOptions, republishRoleArn: 'zw-ingest-republish' }),
    ).rejects.toThrow(/IAM role ARN/);
    expect(fake.requests).toEqual([]);
  });
});
