import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, parseConfig, type Config } from './config.js';
import { registryGatewayOwner } from './ingest/platform-ingest.js';
import { startIngestWorker } from './ingest-worker.js';
import { isAwsError } from './iot/aws/aws-errors.js';
import {
  AwsIotCore,
  createAwsIotClients,
  dataPlaneEndpoint,
  INGEST_WORKER_POLICY_NAME,
} from './iot/aws/index.js';
import { createAwsIngestWorkerCredentials } from './iot/aws/ingest-worker-credentials.js';
import { ingestWorkerCommonName } from './iot/local/pki/certificate-names.js';
import { registerIngestWorker } from './iot/local/ingest-worker-credentials.js';
import { readCaFiles } from './iot/local/pki/ca-store.js';
import {
  INGEST_WORKER_CLIENT_ID_PREFIX,
  isPkiError,
  loadOrCreateCertificateAuthority,
} from './iot/local/pki/index.js';
import { createPlatformServices, platformServicesOptions } from './platform-services.js';
import { createDynamoClients } from './store/dynamodb-client.js';
import { createDynamoIotRegistry } from './store/dynamodb-iot-registry.js';

/** What the command needs from its process; tests pass their own. */
export interface IngestWorkerCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when the worker should stop (SIGTERM or SIGINT in the CLI). */
  untilStopped(): Promise<void>;
}

export const INGEST_WORKER_USAGE = `Usage: zw-server ingest-worker [options]
       zw-server ingest-worker credentials --name NAME --out DIR [options]
       zw-server ingest-worker credentials --iot aws --name NAME --out DIR [options]

Reads telegram batches from the ingest rule's republish topics over an MQTT
shared subscription ($share/zw-ingest/zw/v1/ingest/+/telegrams, QoS 1,
persistent session) and stores them in the platform's table. Any number of
workers may run; each batch goes to one of them, and is acknowledged only
once it is stored. SIGTERM stops it cleanly: nothing new is taken, the batch
in hand is finished, then it disconnects.

Worker options:
  --mqtt-url URL        mqtts://host:port of the broker (the emulator's, or AWS IoT Core's)
  --servername NAME     TLS server name (SNI) when it is not the URL's host, e.g. localhost
  --cert FILE           the worker's client certificate (PEM)
  --key FILE            its private key (PEM)
  --ca FILE             the CA the broker's certificate chains to (PEM)
  --client-id ID        default: the certificate's CN (the emulator insists on it);
                        required with --iot aws: zw-ingest-NAME, or zw-ingest-NAME-<n>
  --sessions N          batches worked on at once, one MQTT session each (default 1)

credentials (local emulator): issues an ingest worker certificate from the
platform's CA (under --data-dir/pki), registers it in the table's registry
and writes it to DIR:
  --name NAME           1-48 of A-Z a-z 0-9 _ -; the client id is zw-ingest-NAME
  --out DIR             where the certificate, key and CA are written

credentials --iot aws: AWS IoT Core makes the certificate and key
(CreateKeysAndCertificate) and the policy zw-ingest-worker, which
'zw-server iot-deploy' deploys, is attached to it. Writes the certificate and
key to DIR, no CA: AWS IoT Core's server certificate chains to Amazon Root
CA 1, which you pass with --ca. Prints the account's endpoint and the run line.

The table and the meter key master key are the platform's: pass the same
--dynamodb-endpoint, --table, --region, and --data-dir or --kms-key-id as
'zw-server start' has (see 'zw-server help').
`;

const WORKER_FLAGS = [
  'mqtt-url',
  'servername',
  'cert',
  'key',
  'ca',
  'client-id',
  'sessions',
  'name',
  'out',
] as const;
type WorkerFlag = (typeof WORKER_FLAGS)[number];

/** The worker's own flags out of argv; the rest is the platform's configuration. */
function splitArgs(argv: readonly string[]): {
  own: Partial<Record<WorkerFlag, string>>;
  rest: string[];
  positionals: string[];
  help: boolean;
} {
  const own: Partial<Record<WorkerFlag, string>> = {};
  const rest: string[] = [];
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(WORKER_FLAGS as readonly string[]).includes(name)) {
      rest.push(arg);
      if (inline === undefined && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError([`--${name} needs a value`]);
    own[name as WorkerFlag] = value;
  }
  return { own, rest, positionals, help };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One JSON line per entry at or above the configured level. */
function lineLogger(level: Config['logLevel'], write: (text: string) => void) {
  const threshold = level === 'silent' ? Infinity : LEVELS.indexOf(level);
  const at =
    (name: (typeof LEVELS)[number]) =>
    (fields: object, message: string): void => {
      if (LEVELS.indexOf(name) < threshold) return;
      write(
        `${JSON.stringify({ level: name, time: new Date().toISOString(), msg: message, ...fields })}\n`,
      );
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A DynamoDB on this machine (the platform's embedded one) takes any
 * credentials; the SDK still wants some, and an operator's machine may have
 * none configured.
 */
function isLoopback(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

function required(own: Partial<Record<WorkerFlag, string>>, ...flags: WorkerFlag[]): void {
  const missing = flags.filter((flag) => own[flag] === undefined).map((f) => `--${f} is required`);
  if (missing.length > 0) throw new ConfigError(missing);
}

/** `zw-server ingest-worker`: see INGEST_WORKER_USAGE. */
export async function runIngestWorkerCommand(
  argv: string[],
  io: IngestWorkerCommandIo,
): Promise<number> {
  const { own, rest, positionals, help } = splitArgs(argv);
  if (help) {
    io.stdout(INGEST_WORKER_USAGE);
    return 0;
  }
  const [subcommand] = positionals;
  if (positionals.length > 1 || (subcommand !== undefined && subcommand !== 'credentials')) {
    io.stderr(
      `zw-server ingest-worker: unexpected '${positionals.join(' ')}'\n\n${INGEST_WORKER_USAGE}`,
    );
    return 2;
  }
  const config = parseConfig(rest, io.env, { servesApi: false });
  if (subcommand === undefined && config.iot === 'aws') checkAwsClientId(own['client-id']);
  return subcommand === 'credentials' ? credentials(own, config, io) : run(own, config, io);
}

async function credentials(
  own: Partial<Record<WorkerFlag, string>>,
  config: Config,
  io: IngestWorkerCommandIo,
): Promise<number> {
  required(own, 'name', 'out');
  if (config.iot === 'aws') return awsCredentials(own, config, io);
  if (config.dataDir === undefined) {
    throw new ConfigError(['--data-dir (ZW_DATA_DIR) is required: the CA lives under it']);
  }
  const caDir = join(config.dataDir, 'pki');
  // Never a new CA: the broker would refuse what it signed.
  if ((await readCaFiles(caDir)) === null) {
    io.stderr(
      `zw-server ingest-worker: no CA under ${caDir}; start the platform with --data-dir first\n`,
    );
    return 1;
  }
  const ca = await loadOrCreateCertificateAuthority({ dir: caDir });
  const dynamo = createDynamoClients({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    localCredentials: isLoopback(config.dynamodbEndpoint),
  });
  try {
    const registry = createDynamoIotRegistry({ doc: dynamo.doc, tableName: config.table });
    const issued = await registerIngestWorker(ca, registry, { name: own.name! });
    const out = resolve(io.cwd, own.out!);
    await mkdir(out, { recursive: true, mode: 0o700 });
    const certPath = join(out, `${issued.clientId}.cert.pem`);
    const keyPath = join(out, `${issued.clientId}.key.pem`);
    const caPath = join(out, 'ca.pem');
    await writeFile(certPath, issued.certificatePem);
    await writeFile(keyPath, issued.privateKeyPem, { mode: 0o600 });
    await chmod(keyPath, 0o600);
    await writeFile(caPath, ca.caCertificatePem);
    io.stdout(
      [
        `ingest worker ${issued.clientId} registered (certificate ${issued.certificateId})`,
        `  certificate ${certPath}`,
        `  key         ${keyPath}`,
        `  CA          ${caPath}`,
        `Run it with: zw-server ingest-worker --mqtt-url mqtts://127.0.0.1:8883 --servername localhost ` +
          `--cert ${certPath} --key ${keyPath} --ca ${caPath} --data-dir ${config.dataDir} ` +
          `--dynamodb-endpoint ${config.dynamodbEndpoint ?? '<the platform table endpoint>'} --table ${config.table}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    dynamo.client.destroy();
  }
}

/**
 * AWS makes every certificate with the subject "AWS IoT Certificate", so the
 * CN cannot be the client id there; the worker policy admits `zw-ingest-*`.
 */
function checkAwsClientId(clientId: string | undefined): void {
  if (clientId === undefined) {
    throw new ConfigError([
      "--client-id is required with --iot aws (the certificate's CN names no worker): " +
        "zw-ingest-NAME, as 'ingest-worker credentials --iot aws' printed it",
    ]);
  }
  if (!clientId.startsWith(INGEST_WORKER_CLIENT_ID_PREFIX)) {
    throw new ConfigError([
      `--client-id must start with ${INGEST_WORKER_CLIENT_ID_PREFIX} with --iot aws ` +
        `(the policy ${INGEST_WORKER_POLICY_NAME} admits no other), got '${clientId}'`,
    ]);
  }
}

/** Where operators get the CA that AWS IoT Core's ATS endpoints chain to. */
const AMAZON_ROOT_CA_1 = 'https://www.amazontrust.com/repository/AmazonRootCA1.pem';

async function awsCredentials(
  own: Partial<Record<WorkerFlag, string>>,
  config: Config,
  io: IngestWorkerCommandIo,
): Promise<number> {
  try {
    ingestWorkerCommonName(own.name!);
  } catch (err) {
    if (isPkiError(err)) throw new ConfigError([`--name: ${err.message}`]);
    throw err;
  }
  const aws = await createAwsIotClients({
    region: config.region,
    ...(config.awsIotEndpoint === undefined ? {} : { endpoint: config.awsIotEndpoint }),
    // No data-plane call is made: only its host goes into the run line.
    dataEndpoint: 'https://unused.invalid',
  });
  try {
    const host = new URL(config.awsIotDataEndpoint ?? (await dataPlaneEndpoint(aws.iot))).hostname;
    const out = resolve(io.cwd, own.out!);
    await mkdir(out, { recursive: true, mode: 0o700 });
    let made;
    try {
      made = await createAwsIngestWorkerCredentials(aws.iot, { name: own.name! });
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
      io.stderr(
        `zw-server ingest-worker: no policy ${INGEST_WORKER_POLICY_NAME} in ${config.region}; ` +
          "run 'zw-server iot-deploy' first (the certificate made for it was deleted again)\n",
      );
      return 1;
    }
    const certPath = join(out, `${made.clientId}.cert.pem`);
    const keyPath = join(out, `${made.clientId}.key.pem`);
    await writeFile(certPath, made.certificatePem);
    await writeFile(keyPath, made.privateKeyPem, { mode: 0o600 });
    await chmod(keyPath, 0o600);
    const platform = [
      `--region ${config.region}`,
      `--table ${config.table}`,
      ...(config.dynamodbEndpoint === undefined
        ? []
        : [`--dynamodb-endpoint ${config.dynamodbEndpoint}`]),
      `--kms-key-id ${config.kmsKeyId ?? '<the platform KMS key ARN>'}`,
    ].join(' ');
    io.stdout(
      [
        `ingest worker ${made.clientId} created on AWS IoT Core (certificate ${made.certificateId}, ` +
          `policy ${INGEST_WORKER_POLICY_NAME})`,
        `  certificate ${certPath}`,
        `  key         ${keyPath} (AWS keeps no copy)`,
        `  CA          none written: AWS IoT Core's certificate chains to Amazon Root CA 1 ` +
          `(${AMAZON_ROOT_CA_1}); pass it with --ca`,
        `  client id   ${made.clientId} (or ${made.clientId}-<n>): AWS-issued certificates name ` +
          'no worker, so give it with --client-id',
        `Run it with: zw-server ingest-worker --iot aws --mqtt-url mqtts://${host}:8883 ` +
          `--client-id ${made.clientId} --cert ${certPath} --key ${keyPath} ` +
          `--ca AmazonRootCA1.pem ${platform}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    aws.iot.destroy();
    aws.data.destroy();
  }
}

async function run(
  own: Partial<Record<WorkerFlag, string>>,
  config: Config,
  io: IngestWorkerCommandIo,
): Promise<number> {
  required(own, 'mqtt-url', 'cert', 'key', 'ca');
  const sessions = own.sessions === undefined ? 1 : Number(own.sessions);
  if (!Number.isInteger(sessions) || sessions < 1 || sessions > 64) {
    throw new ConfigError([`--sessions must be a whole number 1-64, got '${own.sessions}'`]);
  }
  const read = (flag: 'cert' | 'key' | 'ca') => readFile(resolve(io.cwd, own[flag]!), 'utf8');
  const [certPem, keyPem, caPem] = await Promise.all([read('cert'), read('key'), read('ca')]);
  const clientId = own['client-id'] ?? commonNameOf(certPem);
  const log = lineLogger(config.logLevel, io.stdout);

  const dynamo = createDynamoClients({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    localCredentials: isLoopback(config.dynamodbEndpoint),
  });
  const aws =
    config.iot === 'aws'
      ? await createAwsIotClients({
          region: config.region,
          ...(config.awsIotEndpoint === undefined ? {} : { endpoint: config.awsIotEndpoint }),
          // The ingest reads thing owners from the control plane only.
          dataEndpoint: config.awsIotDataEndpoint ?? 'https://unused.invalid',
        })
      : null;
  try {
    const services = await createPlatformServices(platformServicesOptions(config, dynamo.doc));
    const awsIot = aws === null ? null : new AwsIotCore(aws);
    const running = await startIngestWorker({
      mqtt: {
        url: own['mqtt-url']!,
        ...(own.servername === undefined ? {} : { servername: own.servername }),
        caPem,
        certPem,
        keyPem,
        clientId,
        sessions,
      },
      doc: dynamo.doc,
      tableName: config.table,
      services,
      gatewayOwner:
        awsIot === null
          ? registryGatewayOwner(
              createDynamoIotRegistry({ doc: dynamo.doc, tableName: config.table }),
            )
          : (thingName) => awsIot.gatewayOwner(thingName),
      webhookAllowLocalUrls: config.webhookAllowLocalUrls,
      log,
    });
    const { worker } = running;
    io.stdout(
      `ingest worker ${clientId} ready (${sessions} session${sessions === 1 ? '' : 's'})\n`,
    );
    await io.untilStopped();
    io.stdout('stopping: finishing the batch in hand…\n');
    await running.stop();
    const stats = worker.stats();
    io.stdout(
      `ingest worker stopped: ${stats.acknowledged} batches stored, ${stats.failed} failed\n`,
    );
    return 0;
  } finally {
    dynamo.client.destroy();
    aws?.iot.destroy();
    aws?.data.destroy();
  }
}

/** The emulator admits a worker as its certificate's CN (or `<CN>-<n>`). */
function commonNameOf(certificatePem: string): string {
  const subject = new X509Certificate(certificatePem).subject;
  const cn = /^CN=(.+)$/m.exec(subject)?.[1];
  if (cn === undefined) throw new ConfigError(['the certificate has no CN; give --client-id']);
  return cn;
}
