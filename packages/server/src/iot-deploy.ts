import type { Config } from './config.js';
import { ConfigError, SETTINGS } from './config.js';
import {
  createAwsIotClients,
  ensureAwsResources,
  type IngestRuleOptions,
  type ResourceChange,
} from './iot/aws/index.js';

/**
 * What `zw-server iot-deploy` needs beyond the common settings, in the order
 * they are named (flag and variable from SETTINGS); `action`: only with that
 * `--ingest-action`.
 */
const REQUIRED: readonly { key: keyof Config; action?: Config['ingestAction'] }[] = [
  { key: 'awsAccountId' },
  { key: 'ingestUrl', action: 'http' },
  { key: 'ingestToken', action: 'http' },
  { key: 'republishRoleArn', action: 'republish' },
  { key: 'provisioningRoleArn' },
  { key: 'partners' },
];

/**
 * `zw-server iot-deploy`: makes the AWS account hold the gateway policy, the
 * ingest worker policy, each partner's claim policy and provisioning
 * template, and the ingest rule with the action `--ingest-action` names
 * (ensureAwsResources; unchanged resources are left alone). Prints one line
 * per resource, so a deployment log shows what changed.
 */
export async function runIotDeploy(
  config: Config,
  write: (text: string) => void,
): Promise<ResourceChange[]> {
  const action = config.ingestAction;
  const missing = REQUIRED.filter(
    (r) => (r.action === undefined || r.action === action) && config[r.key] === undefined,
  ).map((r) => {
    const setting = SETTINGS.find((s) => s.key === r.key)!;
    // http is the default action, so only the other one is named.
    return (
      `${setting.env} (--${setting.flag}) is required by iot-deploy` +
      (r.action === 'republish' ? ' --ingest-action republish' : '')
    );
  });
  if (missing.length > 0) throw new ConfigError(missing);
  const rule: IngestRuleOptions =
    action === 'republish'
      ? { ingestAction: 'republish', republishRoleArn: config.republishRoleArn! }
      : { ingestAction: 'http', ingestUrl: config.ingestUrl!, ingestToken: config.ingestToken! };

  const clients = await createAwsIotClients({
    region: config.region,
    ...(config.awsIotEndpoint === undefined ? {} : { endpoint: config.awsIotEndpoint }),
    // The control plane is all this command talks to; no DescribeEndpoint needed.
    dataEndpoint: config.awsIotDataEndpoint ?? 'https://unused.invalid',
  });
  try {
    const changes = await ensureAwsResources(clients.iot, {
      ...rule,
      accountId: config.awsAccountId!,
      region: config.region,
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
