import type { Config } from './config.js';
import { ConfigError } from './config.js';
import { createAwsIotClients, ensureAwsResources, type ResourceChange } from './iot/aws/index.js';

/** What `zw-server iot-deploy` needs beyond the common settings, by flag. */
const REQUIRED = [
  ['awsAccountId', 'aws-account-id', 'ZW_AWS_ACCOUNT_ID'],
  ['ingestUrl', 'ingest-url', 'ZW_INGEST_URL'],
  ['ingestToken', 'ingest-token', 'ZW_INGEST_TOKEN'],
  ['provisioningRoleArn', 'provisioning-role-arn', 'ZW_PROVISIONING_ROLE_ARN'],
  ['partners', 'partners', 'ZW_PARTNERS'],
] as const;

/**
 * `zw-server iot-deploy`: makes the AWS account hold the gateway policy, each
 * partner's claim policy and provisioning template, and the ingest rule
 * (ensureAwsResources; unchanged resources are left alone). Prints one line
 * per resource, so a deployment log shows what changed.
 */
export async function runIotDeploy(
  config: Config,
  write: (text: string) => void,
): Promise<ResourceChange[]> {
  const missing = REQUIRED.filter(([key]) => config[key] === undefined).map(
    ([, flag, env]) => `${env} (--${flag}) is required by iot-deploy`,
  );
  if (missing.length > 0) throw new ConfigError(missing);

  const clients = await createAwsIotClients({
    region: config.region,
    ...(config.awsIotEndpoint === undefined ? {} : { endpoint: config.awsIotEndpoint }),
    // The control plane is all this command talks to; no DescribeEndpoint needed.
    dataEndpoint: config.awsIotDataEndpoint ?? 'https://unused.invalid',
  });
  try {
    const changes = await ensureAwsResources(clients.iot, {
      accountId: config.awsAccountId!,
      region: config.region,
      ingestUrl: config.ingestUrl!,
      ingestToken: config.ingestToken!,
      provisioningRoleArn: config.provisioningRoleArn!,
      partners: config.partners!.split(',').map((partnerId) => ({ partnerId })),
    });
    for (const change of changes) {
      write(`${change.action.padEnd(9)} ${change.kind.padEnd(21)} ${change.name}\n`);
    }
    const changed = changes.filter((c) => c.action !== 'unchanged').length;
    write(`iot-deploy: ${changed} of ${changes.length} resources created or updated\n`);
    return changes;
  } finally {
    clients.iot.destroy();
    clients.data.destroy();
  }
}
