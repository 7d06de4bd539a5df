import { parseArgs } from 'node:util';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { DEFAULT_MINIMUM_AGGREGATION_UNITS } from './domain/tenancy/property.js';

/**
 * The server's whole configuration, parsed once at start and passed down.
 * Every field has a default that works with no configuration at all, so that
 * `zw-server start` on a fresh machine runs the embedded platform.
 */
export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
    }),
    /** Keep the embedded DynamoDB on disk here; in memory when absent. */
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    /** Any DynamoDB (Amazon DynamoDB in production); the embedded one is not started then. */
    dynamodbEndpoint: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
    /** Port of the embedded DynamoDB; 0 picks a free one. */
    dynamodbPort: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$', default: 'eu-central-1' }),
    table: Type.String({ pattern: '^[A-Za-z0-9_.-]{3,255}$', default: 'zaehlwerk' }),
    /** Address the IoT Core emulator's MQTT broker listens on. */
    mqttHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** 8883 as on AWS IoT Core; 0 picks a free one. */
    mqttPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8883 }),
    /** Append every gateway publish to this file in the firmware contract's capture format. */
    mqttCapture: Type.Optional(Type.String({ minLength: 1 })),
    /** The platform's public base URL: the issuer of its tokens, and where links point. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' })),
    /** An AWS KMS key ARN for the master key of meter keys; a local key file when absent. */
    kmsKeyId: Type.Optional(
      Type.String({ pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/.+$' }),
    ),
    /** KMS keys of earlier rotations (comma-separated ARNs): their envelopes still open until rewrapped. */
    kmsPreviousKeyIds: Type.Optional(
      Type.String({
        pattern:
          '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[^,\\s]+(,arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[^,\\s]+)*$',
      }),
    ),
    /** Requests per minute and API key (or IP) before 429. */
    rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /**
     * The fewest units a landlord's consumption total may combine, for every
     * property; a property's own minimum may raise it, never lower it.
     */
    minAggregationUnits: Type.Integer({
      minimum: DEFAULT_MINIMUM_AGGREGATION_UNITS,
      maximum: 1000,
      default: DEFAULT_MINIMUM_AGGREGATION_UNITS,
    }),
    /** Seed the demo (two partners, users, a property with units and meters) and print its logins. */
    demo: Type.Boolean({ default: false }),
    /**
     * Webhooks may deliver to http://localhost and private addresses: for local development
     * and tests only (`--demo` implies it). Off, they must be https to public addresses.
     */
    webhookAllowLocalUrls: Type.Boolean({ default: false }),
    /** Meters of the simulated gateway the local emulator runs (the lab's gateway); 0: none. */
    simulateMeters: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
    /**
     * How batches reach the ingest: `rule`, the rule's action in this process (the emulator's
     * in-process rule, or the HTTP action on AWS); `mqtt`, ingest workers on a shared
     * subscription, and this server's live hub fed from their ingest events.
     */
    ingest: Type.Enum(['rule', 'mqtt'], { default: 'rule' }),
    /** With `ingest=mqtt` and the local emulator: workers run in this process (0: external only). */
    ingestWorkers: Type.Integer({ minimum: 0, maximum: 16, default: 1 }),
    /** With `ingest=mqtt` on AWS: an ingest worker certificate, its key and the CA, for the events. */
    ingestEventsCert: Type.Optional(Type.String({ minLength: 1 })),
    ingestEventsKey: Type.Optional(Type.String({ minLength: 1 })),
    ingestEventsCa: Type.Optional(Type.String({ minLength: 1 })),
    /** Which IoT Core: the local emulator, or AWS IoT Core through the AWS adapter. */
    iot: Type.Enum(['local', 'aws'], { default: 'local' }),
    /** AWS IoT control-plane endpoint override (VPC endpoints, tests); AWS's regional one when absent. */
    awsIotEndpoint: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
    /** The account's iot:Data-ATS endpoint; looked up with DescribeEndpoint when absent. */
    awsIotDataEndpoint: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
    /** The shared secret the ingest rule's HTTP action sends; required with iot=aws, ingest=rule. */
    ingestToken: Type.Optional(Type.String({ minLength: 32 })),
    /** For `zw-server iot-deploy`: the account of the policy ARNs. */
    awsAccountId: Type.Optional(Type.String({ pattern: '^\\d{12}$' })),
    /** For `zw-server iot-deploy`: the https URL of this server's ingest route. */
    ingestUrl: Type.Optional(Type.String({ pattern: '^https://[^\\s]+$' })),
    /** For `zw-server iot-deploy`: the role fleet provisioning runs as. */
    provisioningRoleArn: Type.Optional(
      Type.String({ pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$' }),
    ),
    /** For `zw-server iot-deploy`: partner ids (comma-separated), each gets a claim policy and template. */
    partners: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$' })),
    /**
     * For `zw-server iot-deploy`: what the `zw_ingest` rule does with a batch: POST it to
     * `ingestUrl`, or republish it to the MQTT ingest workers' topics.
     */
    ingestAction: Type.Enum(['http', 'republish'], { default: 'http' }),
    /** For `zw-server iot-deploy --ingest-action republish`: the role the rule publishes as. */
    republishRoleArn: Type.Optional(
      Type.String({ pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$' }),
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  description: string;
}

/** Flags and environment variables, in the order `--help` lists them. */
export const SETTINGS: readonly Setting[] = [
  { key: 'host', flag: 'host', env: 'ZW_HOST', description: 'address the API listens on' },
  { key: 'port', flag: 'port', env: 'ZW_PORT', description: 'port of the API (0: any free port)' },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'ZW_LOG_LEVEL',
    description: 'fatal, error, warn, info, debug, trace or silent',
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'ZW_DATA_DIR',
    description: 'keep the embedded DynamoDB and the local CA on disk here (default: in memory)',
  },
  {
    key: 'dynamodbEndpoint',
    flag: 'dynamodb-endpoint',
    env: 'ZW_DYNAMODB_ENDPOINT',
    description: 'use this DynamoDB instead of the embedded one (e.g. Amazon DynamoDB)',
  },
  {
    key: 'dynamodbPort',
    flag: 'dynamodb-port',
    env: 'ZW_DYNAMODB_PORT',
    description: 'port of the embedded DynamoDB (0: any free port)',
  },
  { key: 'region', flag: 'region', env: 'ZW_AWS_REGION', description: 'AWS region' },
  { key: 'table', flag: 'table', env: 'ZW_TABLE', description: 'DynamoDB table name' },
  {
    key: 'mqttHost',
    flag: 'mqtt-host',
    env: 'ZW_MQTT_HOST',
    description: 'address the local IoT Core (MQTT over TLS) listens on',
  },
  {
    key: 'mqttPort',
    flag: 'mqtt-port',
    env: 'ZW_MQTT_PORT',
    description: 'port of the local IoT Core (0: any free port)',
  },
  {
    key: 'mqttCapture',
    flag: 'mqtt-capture',
    env: 'ZW_MQTT_CAPTURE',
    description:
      'append every gateway publish to this file (capture format, for zw-contract check)',
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'ZW_PUBLIC_URL',
    description: 'public base URL of the platform (the issuer of its tokens)',
  },
  {
    key: 'kmsKeyId',
    flag: 'kms-key-id',
    env: 'ZW_KMS_KEY_ID',
    description: 'AWS KMS key ARN wrapping meter keys (default: a key file in the data dir)',
  },
  {
    key: 'kmsPreviousKeyIds',
    flag: 'kms-previous-key-ids',
    env: 'ZW_KMS_PREVIOUS_KEY_IDS',
    description: 'KMS key ARNs of earlier rotations, comma-separated (until keys rewrap is done)',
  },
  {
    key: 'rateLimitPerMinute',
    flag: 'rate-limit',
    env: 'ZW_RATE_LIMIT',
    description: 'requests per minute per API key or IP (default 600)',
  },
  {
    key: 'minAggregationUnits',
    flag: 'min-aggregation-units',
    env: 'ZW_MIN_AGGREGATION_UNITS',
    description: `fewest units in a landlord's consumption total (default and least ${DEFAULT_MINIMUM_AGGREGATION_UNITS})`,
  },
  {
    key: 'demo',
    flag: 'demo',
    env: 'ZW_DEMO',
    description: 'true: seed the demo data and print its logins (npm start does)',
  },
  {
    key: 'webhookAllowLocalUrls',
    flag: 'webhook-allow-local-urls',
    env: 'ZW_WEBHOOK_ALLOW_LOCAL_URLS',
    description: 'true: webhooks may go to http://localhost and private addresses (development)',
  },
  {
    key: 'simulateMeters',
    flag: 'simulate-meters',
    env: 'ZW_SIMULATE_METERS',
    description: 'run a simulated gateway with N meters on the local IoT Core (npm start: 20)',
  },
  { key: 'iot', flag: 'iot', env: 'ZW_IOT', description: 'local (the emulator) or aws' },
  {
    key: 'ingest',
    flag: 'ingest',
    env: 'ZW_INGEST',
    description:
      'rule (the ingest rule in this process) or mqtt (ingest workers, shared subscription)',
  },
  {
    key: 'ingestWorkers',
    flag: 'ingest-workers',
    env: 'ZW_INGEST_WORKERS',
    description:
      'ingest=mqtt, local IoT Core: ingest worker sessions run in this process (default 1)',
  },
  {
    key: 'ingestEventsCert',
    flag: 'ingest-events-cert',
    env: 'ZW_INGEST_EVENTS_CERT',
    description:
      'ingest=mqtt on AWS: ingest worker certificate (PEM file) to read the ingest events',
  },
  {
    key: 'ingestEventsKey',
    flag: 'ingest-events-key',
    env: 'ZW_INGEST_EVENTS_KEY',
    description: 'ingest=mqtt on AWS: its private key (PEM file)',
  },
  {
    key: 'ingestEventsCa',
    flag: 'ingest-events-ca',
    env: 'ZW_INGEST_EVENTS_CA',
    description: "ingest=mqtt on AWS: the CA of IoT Core's server certificate (Amazon Root CA 1)",
  },
  {
    key: 'awsIotEndpoint',
    flag: 'aws-iot-endpoint',
    env: 'ZW_AWS_IOT_ENDPOINT',
    description: "AWS IoT control-plane endpoint override (default: the region's)",
  },
  {
    key: 'awsIotDataEndpoint',
    flag: 'aws-iot-data-endpoint',
    env: 'ZW_AWS_IOT_DATA_ENDPOINT',
    description: "the account's iot:Data-ATS endpoint (default: DescribeEndpoint)",
  },
  {
    key: 'ingestToken',
    flag: 'ingest-token',
    env: 'ZW_INGEST_TOKEN',
    description: 'secret the IoT ingest rule sends (iot=aws; at least 32 characters)',
  },
  {
    key: 'awsAccountId',
    flag: 'aws-account-id',
    env: 'ZW_AWS_ACCOUNT_ID',
    description: 'iot-deploy: AWS account id (12 digits)',
  },
  {
    key: 'ingestUrl',
    flag: 'ingest-url',
    env: 'ZW_INGEST_URL',
    description: "iot-deploy: https URL of this server's /v1/iot/rules/zw_ingest",
  },
  {
    key: 'provisioningRoleArn',
    flag: 'provisioning-role-arn',
    env: 'ZW_PROVISIONING_ROLE_ARN',
    description: 'iot-deploy: IAM role fleet provisioning runs as',
  },
  {
    key: 'partners',
    flag: 'partners',
    env: 'ZW_PARTNERS',
    description: 'iot-deploy: partner ids, comma-separated (claim policy and template each)',
  },
  {
    key: 'ingestAction',
    flag: 'ingest-action',
    env: 'ZW_INGEST_ACTION',
    description:
      'iot-deploy: the ingest rule POSTs to --ingest-url (http) or feeds ingest workers (republish)',
  },
  {
    key: 'republishRoleArn',
    flag: 'republish-role-arn',
    env: 'ZW_REPUBLISH_ROLE_ARN',
    description: 'iot-deploy: IAM role the ingest rule republishes as (--ingest-action republish)',
  },
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Reads the configuration from command-line flags (first) and `ZW_*`
 * environment variables (second), fills defaults and validates the result.
 * Throws a ConfigError naming every problem, with the flag or variable it came from.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  /** `servesApi: false` for commands that run no HTTP server (an ingest worker). */
  options: { servesApi?: boolean } = {},
): Config {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
    }).values;
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }

  const raw: Record<string, unknown> = {};
  const origin: Partial<Record<keyof Config, string>> = {};
  for (const s of SETTINGS) {
    const fromFlag = flags[s.flag];
    const fromEnv = env[s.env];
    if (typeof fromFlag === 'string') {
      raw[s.key] = fromFlag;
      origin[s.key] = `--${s.flag}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[s.key] = fromEnv;
      origin[s.key] = s.env;
    }
  }

  const value = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw));
  if (Value.Check(ConfigSchema, value)) {
    // The ingest route is open to the internet on AWS; it must not run without its secret.
    if (
      value.iot === 'aws' &&
      value.ingest === 'rule' &&
      value.ingestToken === undefined &&
      options.servesApi !== false
    ) {
      throw new ConfigError(['ZW_INGEST_TOKEN (--ingest-token) is required with --iot aws']);
    }
    if (value.iot === 'aws' && value.ingest === 'mqtt') {
      const missing = (['ingestEventsCert', 'ingestEventsKey', 'ingestEventsCa'] as const)
        .filter((key) => value[key] === undefined)
        .map((key) => SETTINGS.find((s) => s.key === key)!)
        .map((s) => `${s.env} (--${s.flag}) is required with --iot aws --ingest mqtt`);
      if (missing.length > 0) throw new ConfigError(missing);
    }
    return value;
  }

  // One line per setting: a union or enum failure yields several errors for the same path.
  const problems = new Map<string, string>();
  for (const e of Value.Errors(ConfigSchema, value)) {
    const key = e.instancePath.replace(/^\//, '') as keyof Config;
    if (key === ('' as keyof Config) || problems.has(key)) continue;
    const got = JSON.stringify((value as Record<string, unknown>)[key]);
    problems.set(key, `${origin[key] ?? key}: ${e.message} (got ${got})`);
  }
  throw new ConfigError([...problems.values()]);
}
