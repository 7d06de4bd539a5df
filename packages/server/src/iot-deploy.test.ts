import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';
import { startFakeAwsIot, type FakeAwsIot } from './iot/aws/aws-test-kit.js';
import { runIotDeploy } from './iot-deploy.js';

const DEPLOY = [
  '--aws-account-id',
  '123456789012',
  '--ingest-url',
  'https://api.example.com/v1/iot/rules/zw_ingest',
  '--ingest-token',
  'a-long-enough-ingest-secret-for-tests-0123456789',
  '--provisioning-role-arn',
  'arn:aws:iam::123456789012:role/zw-provisioning',
  '--partners',
  'solvimus,acme',
];

describe('zw-server iot-deploy', () => {
  let fake: FakeAwsIot;
  const saved = { ...process.env };
  beforeAll(async () => {
    fake = await startFakeAwsIot();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  });
  afterAll(async () => {
    await fake.close();
    process.env = saved;
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
    expect(fake.policies.size).toBe(3); // the gateway's, and one claim policy per partner

    const second = await runIotDeploy(config, () => undefined);
    expect(second.map((c) => c.action)).toEqual(first.map(() => 'unchanged'));
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
