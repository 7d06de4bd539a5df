import type { Action, TopicRulePayload } from '@aws-sdk/client-iot';
import { CONTRACT_VERSION, INGEST_RULE, parseTopic } from '@zaehlwerk/firmware-contract';
import { DomainError } from '../../domain/errors.js';
import type { TelegramBatchDelivery } from '../../domain/ports.js';
import { INGEST_REPUBLISH_TOPIC_TEMPLATE } from '../ingest-republish.js';

/**
 * The topic rule that carries telegram batches from IoT Core to the ingest
 * (IOT-CORE.md §1.13). Gateways publish through Basic Ingest
 * (`$aws/rules/zw_ingest/zw/v1/gw/<thing>/telegrams`), so `topic()` sees the
 * topic without that prefix and the FROM filter below matches it.
 */
export const INGEST_RULE_NAME = INGEST_RULE;

export const INGEST_TOPIC_FILTER = `zw/${CONTRACT_VERSION}/gw/+/telegrams`;

/**
 * Batches are opaque bytes to the rules engine: the SQL must not read JSON
 * fields of a payload that might be binary (§1.13 binary payloads), so it
 * base64-encodes the whole payload and adds the identity the broker verified.
 */
export const INGEST_RULE_SQL =
  "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, " +
  `principal() AS principal, timestamp() AS receivedAt FROM '${INGEST_TOPIC_FILTER}'`;

/**
 * The republish action hands on what the SQL selects, so for the MQTT ingest
 * workers it selects the batch itself: `SELECT *` alone passes the payload on
 * as bytes, binary or not (§1.13). The thing is in the topic the action
 * republishes to (`INGEST_REPUBLISH_TOPIC_TEMPLATE`), never in the payload.
 */
export const INGEST_REPUBLISH_RULE_SQL = `SELECT * FROM '${INGEST_TOPIC_FILTER}'`;

/** The header that proves a POST to the ingest came from our rule (see README). */
export const INGEST_AUTH_HEADER = 'x-zw-ingest-token';

/**
 * How the rule hands batches on: `http` POSTs them to the server's ingest
 * route, `republish` to the topics the MQTT ingest workers share. Gateways
 * publish to the one rule `zw_ingest`, so a deployment picks one.
 */
export type IngestAction = 'http' | 'republish';

interface CommonRuleOptions {
  /** Where failed deliveries are logged; without it a failed action leaves no trace in AWS. */
  errorLog?: { roleArn: string; logGroupName: string };
}

export interface HttpIngestRuleOptions extends CommonRuleOptions {
  ingestAction?: 'http';
  /** https URL of the server's ingest route; AWS sends the destination confirmation there too. */
  ingestUrl: string;
  /**
   * Value of the `x-zw-ingest-token` header: a literal shared secret, or a
   * substitution template such as `${get_secret(…)}` so that the secret is not
   * stored in the rule itself.
   */
  ingestToken: string;
}

export interface RepublishIngestRuleOptions extends CommonRuleOptions {
  ingestAction: 'republish';
  /**
   * The IAM role IoT assumes to republish: trusted by `iot.amazonaws.com`,
   * allowed `iot:Publish` on the republish topics `zw/v1/ingest/<thing>/telegrams`
   * (README.md, "The republish role").
   */
  republishRoleArn: string;
}

export type IngestRuleOptions = HttpIngestRuleOptions | RepublishIngestRuleOptions;

const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

const RULE_COMMON = { awsIotSqlVersion: '2016-03-23', ruleDisabled: false } as const;

export function ingestTopicRulePayload(options: IngestRuleOptions): TopicRulePayload {
  const errorAction: Action | undefined =
    options.errorLog === undefined ? undefined : { cloudwatchLogs: { ...options.errorLog } };
  const withErrorAction = errorAction === undefined ? {} : { errorAction };
  if (options.ingestAction === 'republish') {
    // CreateTopicRule would refuse it too, but only after the policies were written.
    if (!IAM_ROLE_ARN.test(options.republishRoleArn)) {
      throw new RangeError(
        `republishRoleArn must be an IAM role ARN, got '${options.republishRoleArn}'`,
      );
    }
    return {
      sql: INGEST_REPUBLISH_RULE_SQL,
      ...RULE_COMMON,
      description: 'Zählwerk: telegram batches from gateways to the MQTT ingest workers',
      actions: [
        {
          republish: {
            topic: INGEST_REPUBLISH_TOPIC_TEMPLATE,
            // QoS 1: the workers' persistent sessions hold what no worker has taken yet (§1.7).
            qos: 1,
            roleArn: options.republishRoleArn,
          },
        },
      ],
      ...withErrorAction,
    };
  }
  const url = new URL(options.ingestUrl);
  // The HTTP action accepts https only; failing here beats a rejected CreateTopicRule.
  if (url.protocol !== 'https:') {
    throw new RangeError(`ingestUrl must be https, got '${options.ingestUrl}'`);
  }
  if (options.ingestToken === '') throw new RangeError('ingestToken must not be empty');
  return {
    sql: INGEST_RULE_SQL,
    ...RULE_COMMON,
    description: 'Zählwerk: telegram batches from gateways to the ingest',
    actions: [
      {
        http: {
          url: options.ingestUrl,
          // No confirmationUrl: AWS then uses `url` itself and creates the destination.
          headers: [{ key: INGEST_AUTH_HEADER, value: options.ingestToken }],
        },
      },
    ],
    ...withErrorAction,
  };
}

/** What the rules engine POSTs to the ingest URL: one of the two, told apart by the body. */
export type RuleRequest =
  | {
      kind: 'destination-confirmation';
      /** Pass to `AwsIotCore.confirmIngestDestination`. */
      confirmationToken: string;
      destinationArn: string;
    }
  | {
      kind: 'telegram-batch';
      batch: TelegramBatchDelivery;
      /** The certificate the gateway connected with (`principal()`), for a registry check. */
      certificateId: string;
    };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

function invalid(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `ingest rule request: ${message}`);
}

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw invalid(`'${name}' must be a string`);
  return value;
}

/**
 * Reads a body that the `zw_ingest` rule's HTTP action sent: either AWS's
 * destination confirmation (`messageType: DestinationConfirmation`) or the
 * row the rule's SQL produced. The thing comes from the topic and must equal
 * the client id, which the gateway policy already pins to the thing name;
 * checking both again costs nothing and catches a mis-edited rule or policy.
 */
export function parseRuleRequest(body: unknown): RuleRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  if (record['messageType'] === 'DestinationConfirmation') {
    return {
      kind: 'destination-confirmation',
      confirmationToken: field(record, 'confirmationToken'),
      destinationArn: field(record, 'arn'),
    };
  }
  const payload = field(record, 'payload');
  if (!BASE64.test(payload) || payload.length % 4 !== 0) throw invalid("'payload' is not base64");
  const topic = field(record, 'topic');
  const parsed = parseTopic(topic);
  if (parsed === null || parsed.kind !== 'telegrams') throw invalid(`unexpected topic '${topic}'`);
  const clientId = field(record, 'clientId');
  if (clientId !== parsed.thingName) {
    throw new DomainError('FORBIDDEN', `client '${clientId}' published on ${topic}`);
  }
  const certificateId = field(record, 'principal');
  if (!CERTIFICATE_ID.test(certificateId)) throw invalid("'principal' is not a certificate id");
  const receivedAt = record['receivedAt'];
  if (typeof receivedAt !== 'number' || !Number.isSafeInteger(receivedAt) || receivedAt < 0) {
    throw invalid("'receivedAt' must be epoch milliseconds");
  }
  return {
    kind: 'telegram-batch',
    certificateId,
    batch: {
      thingName: parsed.thingName,
      topic,
      payload: new Uint8Array(Buffer.from(payload, 'base64')),
      receivedAt: new Date(receivedAt).toISOString(),
    },
  };
}
