import claimPolicy from '../policies/v1/claim-policy.json' with { type: 'json' };
import gatewayPolicy from '../policies/v1/gateway-policy.json' with { type: 'json' };

/**
 * The AWS IoT Core policies of contract v1 as published templates
 * (policies/v1/*.json): `{{region}}`, `{{account}}` and, in the claim policy,
 * `{{templateName}}` are filled in per deployment; `${iot:…}` policy
 * variables are left for IoT Core to resolve per connection.
 */

/** One statement of an IoT Core policy (the IAM grammar IoT Core accepts). */
export interface IotPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  /** `iot:Connect`, `iot:Publish`, `iot:Subscribe`, `iot:Receive`, … */
  Action: string | string[];
  /** `arn:aws:iot:REGION:ACCOUNT:{client|topic|topicfilter|thing}/…` */
  Resource: string | string[];
  /** Operator → condition key → value(s), e.g. `{ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }`. */
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IotPolicyDocument {
  Version: '2012-10-17';
  Statement: IotPolicyStatement[];
}

export interface PolicyTemplateValues {
  /**
   * AWS region, e.g. `eu-central-1`. The templates' ARNs are in the standard
   * `aws` partition (`arn:aws:iot:…`).
   */
  region: string;
  /** 12-digit AWS account id. */
  account: string;
  /** Fleet provisioning template name; required by templates that use `{{templateName}}`. */
  templateName?: string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// Frozen: one object is shared by every importer, and a caller editing it in
// place would change the policy every other gateway gets.
/**
 * The policy of every gateway certificate (contract clauses 1.2, 2.2, 3.1–3.5,
 * 11.1, 13.1): connect only as its own thing with a certificate attached to
 * it, publish its batches (Basic Ingest), status, events and shadow requests,
 * subscribe to and receive its shadow responses and error responses.
 */
export const GATEWAY_POLICY_TEMPLATE: Readonly<IotPolicyDocument> = deepFreeze(
  gatewayPolicy as IotPolicyDocument,
);

/**
 * The policy of a fleet-provisioning claim certificate (clause 1.3):
 * CreateCertificateFromCsr and RegisterThing with one template, nothing else.
 */
export const CLAIM_POLICY_TEMPLATE: Readonly<IotPolicyDocument> = deepFreeze(
  claimPolicy as IotPolicyDocument,
);

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
/**
 * As CreateProvisioningTemplate accepts names; above all it rules out `*`,
 * `?`, `/`, `+`, `#` and `$`, which would widen the policy.
 */
const TEMPLATE_NAME = /^[0-9A-Za-z_-]{1,36}$/;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

function checked(values: PolicyTemplateValues): Record<string, string> {
  if (!REGION.test(values.region))
    throw new RangeError(`region must look like eu-central-1, got '${values.region}'`);
  if (!ACCOUNT.test(values.account))
    throw new RangeError(`account must be 12 digits, got '${values.account}'`);
  const out: Record<string, string> = { region: values.region, account: values.account };
  if (values.templateName !== undefined) {
    if (!TEMPLATE_NAME.test(values.templateName)) {
      throw new RangeError(
        `templateName must be 1-36 characters of A-Z a-z 0-9 _ -, got '${values.templateName}'`,
      );
    }
    out.templateName = values.templateName;
  }
  return out;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new RangeError(`the template needs a value for {{${name}}}`);
    return value;
  });
}

function fillAll(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === 'string') return fill(value, values);
  if (Array.isArray(value)) return value.map((v) => fillAll(v, values));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [fill(k, values), fillAll(v, values)]),
    );
  }
  return value;
}

/**
 * A policy document for one deployment: every `{{placeholder}}` replaced,
 * IoT policy variables (`${iot:Connection.Thing.ThingName}`) kept. Throws
 * RangeError on a malformed region, account or template name, and when the
 * template names a placeholder without a value. The template is not changed.
 *
 * @example
 * const policy = renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, {
 *   region: 'eu-central-1',
 *   account: '123456789012',
 * });
 * // policy.Statement[0].Resource ===
 * //   'arn:aws:iot:eu-central-1:123456789012:client/${iot:Connection.Thing.ThingName}'
 */
export function renderPolicyTemplate(
  template: Readonly<IotPolicyDocument>,
  values: PolicyTemplateValues,
): IotPolicyDocument {
  return fillAll(template, checked(values)) as IotPolicyDocument;
}
