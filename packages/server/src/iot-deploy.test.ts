import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';
import type { FakeAwsIot } from './iot/aws/aws-test-kit.js';
import { useFakeAwsIot } from '../test/ports/fake-aws-iot.js';
import { runIotDeploy } from './iot-deploy.js';

/** What every deployment names, whatever the rule's action. */
const COMMON = [
  '--aws-account-id',
  '123456789012',
  '--provisioning-role-arn',
  'arn:aws:iam::123456789012:role/zw-provisioning',
  '--partners',
  'solvimus,acme',
];
const DEPLOY = [
  ...COMMON,
  '--ingest-url',
  'https://api.example.com/v1/iot/rules/zw_ingest',
  '--ingest-token',
  'a-long-enough-ingest-secret-for-tests-0123456789',
];

const ROLE = 'arn:aws:iam::123456789012:role/zw-ingest-republish';

describe('zw-server iot-deploy', () => {
  const aws = useFakeAwsIot();
  let fake: FakeAwsIot;
  beforeAll(() => {
    fake = aws.fake();
  });

  it('creates the policies, templates and rule once, and changes nothing the second time', async () => {
    const config = parseConfig([...DEPLOY, '--aws-iot-endpoint', fake.url], {});
    const lines: string[] = [];
    const first = await runIotDeploy(config, (text) => lines.push(text));
    expect(first.map((c) => `${c.action} ${c.kind} ${c.name}`).sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^created policy /),
        expect.stringMatching(/^created provisioning-template .*solvimus/),
        expect.stringMatching(/^created provisioning-template .*acme/),
        'created topic-rule zw_ingest',
      ]),
    );
    expect(first.every((c) => c.action === 'created')).toBe(true);
    expect(lines.at(-1)).toBe(
      `iot-deploy: ${first.length} of ${first.length} resources created or updated\n`,
    );
    // The gateway's, the ingest workers', and one claim policy per partner.
    expect([...fake.policies.keys()].sort()).toEqual([
      'zw-claim-acme',
      'zw-claim-solvimus',
      'zw-gateway-v1',
      'zw-ingest-worker',
    ]);
    expect(lines).toContain(`created   ${'policy'.padEnd(21)} zw-ingest-worker\n`);
    expect(fake.rules.get('zw_ingest')).toMatchObject({
      actions: [{ http: { url: 'https://api.example.com/v1/iot/rules/zw_ingest' } }],
    });

    const second = await runIotDeploy(config, () => undefined);
    expect(second.map((c) => c.action)).toEqual(first.map(() => 'unchanged'));
  });

  it('deploys the republish action with its role, without the HTTP settings, and switches back', async () => {
    const republish = parseConfig(
      [
        ...COMMON,
        '--aws-iot-endpoint',
        fake.url,
        '--ingest-action',
        'republish',
        '--republish-role-arn',
        ROLE,
      ],
      {},
    );
    const lines: string[] = [];
    const changes = await runIotDeploy(republish, (text) => lines.push(text));
    // The first test deployed the HTTP rule: only the rule changes.
    expect(changes.filter((c) => c.action !== 'unchanged')).toEqual([
      { kind: 'topic-rule', name: 'zw_ingest', action: 'updated' },
    ]);
    expect(lines.at(-1)).toBe(`iot-deploy: 1 of ${changes.length} resources created or updated\n`);
    expect(fake.rules.get('zw_ingest')).toMatchObject({
      sql: "SELECT * FROM 'zw/v1/gw/+/telegrams'",
      actions: [
        { republish: { topic: 'zw/v1/ingest/${topic(4)}/telegrams', qos: 1, roleArn: ROLE } },
      ],
    });

    const fromEnv = parseConfig(['--aws-iot-endpoint', fake.url], {
      ZW_AWS_ACCOUNT_ID: '123456789012',
      ZW_PROVISIONING_ROLE_ARN: 'arn:aws:iam::123456789012:role/zw-provisioning',
      ZW_PARTNERS: 'solvimus,acme',
      ZW_INGEST_ACTION: 'republish',
      ZW_REPUBLISH_ROLE_ARN: ROLE,
    });
    const again = await runIotDeploy(fromEnv, () => undefined);
    expect(again.every((c) => c.action === 'unchanged')).toBe(true);

    const back = await runIotDeploy(
      parseConfig([...DEPLOY, '--aws-iot-endpoint', fake.url], {}),
      () => undefined,
    );
    expect(back.filter((c) => c.action !== 'unchanged').map((c) => c.name)).toEqual(['zw_ingest']);
  });

  it('asks for the republish role, and only for it, with --ingest-action republish', async () => {
    fake.requests.length = 0;
    const config = parseConfig(
      [...DEPLOY, '--aws-iot-endpoint', fake.url, '--ingest-action', 'republish'],
      {},
    );
    const failure = await runIotDeploy(config, () => undefined).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems).toEqual([
      'ZW_REPUBLISH_ROLE_ARN (--republish-role-arn) is required by iot-deploy --ingest-action republish',
    ]);
    const bare = parseConfig(
      ['--aws-iot-endpoint', fake.url, '--ingest-action', 'republish', '--partners', 'acme'],
      {},
    );
    const all = await runIotDeploy(bare, () => undefined).catch((e: unknown) => e);
    expect((all as ConfigError).problems).toEqual([
      'ZW_AWS_ACCOUNT_ID (--aws-account-id) is required by iot-deploy',
      'ZW_REPUBLISH_ROLE_ARN (--republish-role-arn) is required by iot-deploy --ingest-action republish',
      'ZW_PROVISIONING_ROLE_ARN (--provisioning-role-arn) is required by iot-deploy',
    ]);
    expect(fake.requests).toEqual([]);
  });

  it('names every missing setting and calls nothing', async () => {
    fake.requests.length = 0;
    const config = parseConfig(['--aws-iot-endpoint', fake.url, '--partners', 'acme'], {});
    const failure = await runIotDeploy(config, () => undefined).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems).toEqual([
      'ZW_AWS_ACCOUNT_ID (--aws-account-id) is required by iot-deploy',
      'ZW_INGEST_URL (--ingest-url) is required by iot-deploy',
      'ZW_INGEST_TOKEN (--ingest-token) is required by iot-deploy',
      'ZW_PROVISIONING_ROLE_ARN (--provisioning-role-arn) is required by iot-deploy',
    ]);
    expect(fake.requests).toEqual([]);
  });
});
