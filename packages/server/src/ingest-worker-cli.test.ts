import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../test/ports/dynalite-table.js';
import { ConfigError, parseConfig } from './config.js';
import { runIngestWorkerCommand, type IngestWorkerCommandIo } from './ingest-worker-cli.js';
import { ACCOUNT, REGION, type FakeAwsIot } from './iot/aws/aws-test-kit.js';
import { useFakeAwsIot } from '../test/ports/fake-aws-iot.js';
import { runIotDeploy } from './iot-deploy.js';
import {
  buildArn,
  connectionPolicyVariables,
  isAllowed,
  type PolicyDocument,
} from './iot/local/policy/index.js';
import {
  loadOrCreateCertificateAuthority,
  verifyClientCertificate,
} from './iot/local/pki/index.js';
import { createDynamoIotRegistry } from './store/dynamodb-iot-registry.js';

function io(cwd: string): IngestWorkerCommandIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
    env: {},
    cwd,
    untilStopped: () => Promise.resolve(),
  };
  return captured;
}

describe('zw-server ingest-worker', () => {
  const table = useDynaliteTable('ingest-worker-cli');
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zw-worker-cli-'));
    dirs.push(dir);
    return dir;
  };

  it('explains itself, and says what is missing', async () => {
    const help = io('/');
    expect(await runIngestWorkerCommand(['--help'], help)).toBe(0);
    expect(help.out).toContain('$share/zw-ingest/zw/v1/ingest/+/telegrams');
    await expect(runIngestWorkerCommand(['--mqtt-url', 'mqtts://x:8883'], io('/'))).rejects.toThrow(
      new ConfigError(['--cert is required', '--key is required', '--ca is required']),
    );
    // Settings of the platform go through its own parser, which knows them.
    await expect(
      runIngestWorkerCommand(['--mqtt-url', 'mqtts://x', '--table', '!'], io('/')),
    ).rejects.toThrow(/--table/);
    const odd = io('/');
    expect(await runIngestWorkerCommand(['rotate'], odd)).toBe(2);
    expect(odd.err).toContain("unexpected 'rotate'");
  });

  it('issues and registers credentials from the CA under the data dir, never a new CA', async () => {
    const { doc, tableName, endpoint } = table.table();
    const dataDir = await tempDir();
    const common = ['--data-dir', dataDir, '--dynamodb-endpoint', endpoint, '--table', tableName];
    const none = io(dataDir);
    expect(
      await runIngestWorkerCommand(['credentials', '--name', 'w1', '--out', 'w', ...common], none),
    ).toBe(1);
    expect(none.err).toMatch(/no CA under/);

    const ca = await loadOrCreateCertificateAuthority({ dir: join(dataDir, 'pki') });
    const made = io(dataDir);
    expect(
      await runIngestWorkerCommand(['credentials', '--name', 'w1', '--out', 'w', ...common], made),
    ).toBe(0);
    const certificatePem = await readFile(join(dataDir, 'w', 'zw-ingest-w1.cert.pem'), 'utf8');
    const keyFile = join(dataDir, 'w', 'zw-ingest-w1.key.pem');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dataDir, 'w', 'ca.pem'), 'utf8')).toBe(ca.caCertificatePem);
    const verified = await verifyClientCertificate(certificatePem, {
      caCertificatePem: ca.caCertificatePem,
    });
    expect(verified).toMatchObject({ ok: true, value: { isIngestWorker: true } });
    const certificateId = verified.ok ? verified.value.certificateId : '';
    const registry = createDynamoIotRegistry({ doc, tableName });
    expect(await registry.getCertificate(certificateId)).toMatchObject({
      status: 'ACTIVE',
      thingName: null,
      isClaim: false,
    });
    expect(made.out).toContain('zw-server ingest-worker --mqtt-url');
  });
});

describe('zw-server ingest-worker on AWS IoT Core', () => {
  const fakeAws = useFakeAwsIot();
  let fake: FakeAwsIot;
  const dirs: string[] = [];
  beforeAll(() => {
    fake = fakeAws.fake();
  });
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zw-worker-aws-'));
    dirs.push(dir);
    return dir;
  };
  const aws = () => ['--iot', 'aws', '--aws-iot-endpoint', fake.url];

  it('makes credentials the deployed worker policy admits under the printed client id', async () => {
    await runIotDeploy(
      parseConfig(
        [
          '--aws-iot-endpoint',
          fake.url,
          '--aws-account-id',
          ACCOUNT,
          '--provisioning-role-arn',
          `arn:aws:iam::${ACCOUNT}:role/zw-provisioning`,
          '--partners',
          'acme',
          '--ingest-action',
          'republish',
          '--republish-role-arn',
          `arn:aws:iam::${ACCOUNT}:role/zw-ingest-republish`,
        ],
        {},
      ),
      () => undefined,
    );
    fake.requests.length = 0;

    const dir = await tempDir();
    const made = io(dir);
    // No --ingest-token: a worker serves no ingest route.
    expect(
      await runIngestWorkerCommand(['credentials', ...aws(), '--name', 'w1', '--out', 'w'], made),
    ).toBe(0);
    expect(made.err).toBe('');

    const calls = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual([
      'GET /endpoint',
      'POST /keys-and-certificate',
      'PUT /target-policies/zw-ingest-worker',
    ]);
    expect(fake.requests[0]!.query).toEqual({ endpointType: 'iot:Data-ATS' });
    expect(fake.requests[1]!.query).toEqual({ setAsActive: 'true' });

    expect((await readdir(join(dir, 'w'))).sort()).toEqual([
      'zw-ingest-w1.cert.pem',
      'zw-ingest-w1.key.pem',
    ]);
    const certificatePem = await readFile(join(dir, 'w', 'zw-ingest-w1.cert.pem'), 'utf8');
    const [certificate] = [...fake.certificates.values()];
    expect(certificatePem).toBe(certificate!.certificatePem);
    expect(certificate!.status).toBe('ACTIVE');
    expect(fake.policyTargets.get('zw-ingest-worker')).toEqual([certificate!.certificateArn]);
    expect((await stat(join(dir, 'w', 'zw-ingest-w1.key.pem'))).mode & 0o777).toBe(0o600);

    expect(made.out).toContain('Amazon Root CA 1');
    expect(made.out).toContain(
      'zw-server ingest-worker --iot aws --mqtt-url mqtts://abc123-ats.iot.eu-central-1.amazonaws.com:8883 --client-id zw-ingest-w1 ',
    );

    // What AWS would decide at CONNECT: the deployed document, the certificate's
    // real subject, the client id the command printed.
    const document = JSON.parse(
      fake.policies.get('zw-ingest-worker')!.versions.find((v) => v.isDefault)!.document,
    ) as PolicyDocument;
    const commonName = /CN=(.+)/.exec(new X509Certificate(certificatePem).subject)?.[1];
    expect(commonName).toBe('AWS IoT Certificate');
    const connects = (clientId: string) =>
      isAllowed([document], {
        action: 'iot:Connect',
        resource: buildArn('client', clientId, { region: REGION, account: ACCOUNT }),
        variables: connectionPolicyVariables({
          clientId,
          certificateCommonName: commonName!,
          attachedThingNames: [],
        }),
      });
    expect(connects('zw-ingest-w1')).toBe(true);
    expect(connects('zw-ingest-w1-2')).toBe(true);
    expect(connects('gw-0001')).toBe(false);
  });

  it('takes the data endpoint from the settings when given, without DescribeEndpoint', async () => {
    fake.requests.length = 0;
    const dir = await tempDir();
    const made = io(dir);
    const argv = ['credentials', ...aws(), '--name', 'w2', '--out', '.'];
    const endpoint = ['--aws-iot-data-endpoint', 'https://xyz-ats.iot.eu-central-1.amazonaws.com'];
    expect(await runIngestWorkerCommand([...argv, ...endpoint], made)).toBe(0);
    expect(made.out).toContain('--mqtt-url mqtts://xyz-ats.iot.eu-central-1.amazonaws.com:8883');
    expect(fake.requests.map((r) => r.path)).not.toContain('/endpoint');
  });

  it('says to deploy first when the worker policy is missing, and leaves no certificate', async () => {
    const before = fake.certificates.size;
    fake.override('PUT', /^\/target-policies\//, {
      status: 404,
      errorType: 'ResourceNotFoundException',
      body: { message: 'The policy does not exist' },
    });
    const dir = await tempDir();
    const failed = io(dir);
    expect(
      await runIngestWorkerCommand(['credentials', ...aws(), '--name', 'w3', '--out', 'w'], failed),
    ).toBe(1);
    expect(failed.err).toMatch(
      /no policy zw-ingest-worker in eu-central-1; run 'zw-server iot-deploy'/,
    );
    expect(await readdir(join(dir, 'w'))).toEqual([]);
    expect(fake.certificates.size).toBe(before);
  });

  it('refuses a bad worker name before calling AWS', async () => {
    fake.requests.length = 0;
    await expect(
      runIngestWorkerCommand(
        ['credentials', ...aws(), '--name', 'w 4', '--out', 'w'],
        io(await tempDir()),
      ),
    ).rejects.toThrow(/--name: Ingest worker name/);
    expect(fake.requests).toEqual([]);
  });

  it('wants the client id from the worker on AWS, since the certificate names none', async () => {
    const worker = [...aws(), '--mqtt-url', 'mqtts://x:8883', '--cert', 'c', '--key', 'k'];
    await expect(runIngestWorkerCommand(worker, io('/'))).rejects.toThrow(
      /--client-id is required with --iot aws/,
    );
    await expect(
      runIngestWorkerCommand([...worker, '--client-id', 'gw-0001'], io('/')),
    ).rejects.toThrow(/--client-id must start with zw-ingest-/);
  });
});
