#!/usr/bin/env node
import { ConfigError, parseConfig, SETTINGS, type Config } from './config.js';
import { formatCredentials } from './demo/seed.js';
import { runGatewayCommand } from './gateway-cli.js';
import { runIngestWorkerCommand } from './ingest-worker-cli.js';
import { runIotDeploy } from './iot-deploy.js';
import { runKeysCommand } from './key-rotation.js';
import { startPlatform, type Platform } from './main.js';
import { openApiDocument } from './openapi.js';
import { VERSION } from './version.js';

const USAGE = `Usage: zw-server <command> [options]

Commands:
  start      run the platform (API, local IoT Core, embedded DynamoDB unless
             --dynamodb-endpoint is given)
  gateway    manage gateways through the API as an operator: list, show,
             register from a CSR, rotate, deactivate, activate, revoke
             (zw-server gateway --help)
  ingest-worker
             store telegram batches read over an MQTT shared subscription
             (the ingest rule's republish topics); any number of workers
             (zw-server ingest-worker --help)
  iot-deploy create or update what AWS IoT Core needs (gateway policy, ingest
             worker policy, each partner's claim policy and provisioning
             template, the ingest rule: --ingest-action http POSTs batches to
             --ingest-url, republish hands them to ingest workers as
             --republish-role-arn); changes nothing that already matches
  keys       meter key master key: 'keys rotate' makes a new local master key
             current and rewraps every stored meter key to it; 'keys rewrap'
             only rewraps (to the local file's current key, or to --kms-key-id
             with the keys it replaces in --kms-previous-key-ids ARN,...)
  openapi    print the OpenAPI document of the API
  help       show this text
  version    print the version

Options of start, iot-deploy and keys (flag, or environment variable; flags win):
${SETTINGS.map((s) => `  --${s.flag} VALUE`.padEnd(28) + `${s.env.padEnd(22)}${s.description}`).join('\n')}
`;

/** Where a gateway vendor's lab finds its credentials, and how to check the lab's gateway live. */
function labLines(platform: Platform): string[] {
  const { lab, local, simulatedGateway } = platform;
  if (lab === null || local === null) return [];
  const port = new URL(local.mqttUrl).port;
  const gateway =
    simulatedGateway === null
      ? `${lab.thingName} registered, not simulated (--simulate-meters N to run it)`
      : `${simulatedGateway.thingName} simulated with ${simulatedGateway.meterCount} meters ` +
        `(meters and keys: ${simulatedGateway.metersCsvPath})`;
  return [
    `  Lab        ${lab.dir} (CA, gateway and monitor certificates and keys)`,
    `  Gateway    ${gateway}`,
    ...(lab.claim === null
      ? []
      : [
          `  Claim      ${lab.claim.certificatePath} (fleet provisioning by claim, ` +
            `template ${lab.claim.templateName}, SerialNumber = thing name)`,
        ]),
    `  Check it   npx zw-contract check --url mqtts://127.0.0.1:${port} --servername localhost ` +
      `--thing ${lab.thingName} --cert ${lab.monitor.certificatePath} ` +
      `--key ${lab.monitor.privateKeyPath} --ca ${lab.caPath}`,
  ];
}

function ingestLine(config: Config): string {
  if (config.ingest === 'rule') {
    return config.iot === 'aws'
      ? "the zw_ingest rule's HTTP action, in this process"
      : 'the zw_ingest rule, in this process (--ingest mqtt: workers on a shared subscription)';
  }
  const own =
    config.iot === 'local' && config.ingestWorkers > 0
      ? `${config.ingestWorkers} worker session${config.ingestWorkers === 1 ? '' : 's'} in this process`
      : 'no worker in this process';
  return `MQTT workers on $share/zw-ingest (${own}; add more with zw-server ingest-worker); live updates from their events`;
}

async function start(argv: string[]): Promise<number> {
  const config = parseConfig(argv, process.env);
  const platform = await startPlatform(config);
  const storage = config.dynamodbEndpoint
    ? config.dynamodbEndpoint
    : `embedded DynamoDB at ${platform.dynamodbEndpoint} (${config.dataDir ? `on disk in ${config.dataDir}` : 'in memory'})`;
  const { local } = platform;
  const iotLines =
    local === null
      ? [
          `  IoT Core   AWS IoT Core (${config.region}); ingest rule target ` +
            `${platform.url}/v1/iot/rules/zw_ingest`,
        ]
      : [
          // Node and mqtt.js send no SNI to an IP address, and the broker requires it (as IoT Core does).
          `  MQTT       ${local.mqttUrl} (mutual TLS; SNI required, e.g. servername localhost)`,
          `  CA         ${
            local.caCertificatePath ??
            `in memory; GET it from ${platform.url}/v1/iot/ca.pem (keep it with --data-dir)`
          }`,
          ...labLines(platform),
        ];
  process.stdout.write(
    [
      '',
      `Zählwerk ${VERSION} is running`,
      `  API        ${platform.url}`,
      `  API docs   ${platform.url}/docs`,
      `  OpenAPI    ${platform.url}/openapi.json`,
      `  Health     ${platform.url}/health`,
      `  Storage    ${storage}, table ${config.table}`,
      ...iotLines,
      `  Ingest     ${ingestLine(config)}`,
      ...(platform.demo === null ? [] : ['', formatCredentials(platform.demo)]),
      ...(platform.demo === null || platform.simulatedGateway === null
        ? []
        : [
            // Where the simulated meters' readings show up, for the operator's token of the login above.
            `  Readings   ${platform.url}/v1/live?propertyId=${platform.demo.ids.propertyId} ` +
              `(Server-Sent Events; Bearer token of a demo login) and ` +
              `${platform.url}/v1/properties/${platform.demo.ids.propertyId}/consumption`,
          ]),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: the user does not want to wait for a clean stop.
        process.stderr.write(`${signal} again: exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      process.stdout.write(`${signal}: stopping…\n`);
      platform.close().then(
        () => {
          process.stdout.write('Zählwerk stopped.\n');
          resolve(0);
        },
        (err: unknown) => {
          process.stderr.write(`error while stopping: ${String(err)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'start':
      return start(rest);
    case 'gateway':
      return runGatewayCommand(rest, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        env: process.env,
        cwd: process.cwd(),
      });
    case 'ingest-worker':
      return runIngestWorkerCommand(rest, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        env: process.env,
        cwd: process.cwd(),
        untilStopped: () =>
          new Promise((resolve) => {
            process.once('SIGTERM', () => resolve());
            process.once('SIGINT', () => resolve());
          }),
      });
    case 'iot-deploy':
      await runIotDeploy(parseConfig(rest, process.env), (text) => process.stdout.write(text));
      return 0;
    case 'keys': {
      const { report } = await runKeysCommand(rest, process.env, (text) =>
        process.stdout.write(text),
      );
      return report.total.failed === 0 ? 0 : 1;
    }
    case 'openapi':
      process.stdout.write(JSON.stringify(await openApiDocument(), null, 2) + '\n');
      return 0;
    case 'version':
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`zw-server: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`zw-server: ${err.message}\n\nSee 'zw-server help'.\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `zw-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
