import { isDeepStrictEqual } from 'node:util';
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateProvisioningTemplateCommand,
  CreateProvisioningTemplateVersionCommand,
  CreateTopicRuleCommand,
  DeletePolicyVersionCommand,
  DeleteProvisioningTemplateVersionCommand,
  DescribeProvisioningTemplateCommand,
  GetPolicyCommand,
  GetTopicRuleCommand,
  ListPolicyVersionsCommand,
  ListProvisioningTemplateVersionsCommand,
  ReplaceTopicRuleCommand,
  UpdateProvisioningTemplateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import {
  claimPolicy,
  gatewayPolicy,
  ingestWorkerPolicy,
  type PolicyDocument,
} from '../local/policy/index.js';
import { isAwsError } from './aws-errors.js';
import { INGEST_RULE_NAME, ingestTopicRulePayload, type IngestRuleOptions } from './ingest-rule.js';
import {
  claimPolicyName,
  DEFAULT_GATEWAY_POLICY_NAME,
  INGEST_WORKER_POLICY_NAME,
  provisioningTemplateBody,
  provisioningTemplateName,
} from './provisioning-template.js';

export interface PartnerProvisioning {
  partnerId: string;
  /** Lambda that checks the serial against the partner's allow-list (IOT-CORE.md §1.10). */
  preProvisioningHookArn?: string;
}

/** The rule's action (`ingestAction`, default `http`) and its settings, plus the account's. */
export type EnsureAwsResourcesOptions = IngestRuleOptions & {
  accountId: string;
  region: string;
  /** Role IoT assumes to run RegisterThing; needs the managed policy AWSIoTThingsRegistration. */
  provisioningRoleArn: string;
  partners: readonly PartnerProvisioning[];
  gatewayPolicyName?: string;
};

export type ResourceKind = 'policy' | 'provisioning-template' | 'topic-rule';

export interface ResourceChange {
  kind: ResourceKind;
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** Policies and templates keep at most five versions (IoT Core quota). */
const MAX_VERSIONS = 5;

/**
 * Makes the account hold what a deployment needs, and nothing is changed that
 * already matches: the gateway policy, the ingest worker policy, each
 * partner's claim policy and provisioning template, and the `zw_ingest` rule
 * with the chosen action. The worker policy is there whatever the action: API
 * servers read the ingest events with a worker certificate. Safe to run at every
 * deployment. Resources of partners no longer listed are left alone: deleting
 * a template strands that partner's devices in the field, so it is a
 * decision for a person.
 */
export async function ensureAwsResources(
  iot: IoTClient,
  options: EnsureAwsResourcesOptions,
): Promise<ResourceChange[]> {
  const scope = { region: options.region, account: options.accountId };
  const policyName = options.gatewayPolicyName ?? DEFAULT_GATEWAY_POLICY_NAME;
  // Built before any call, so bad options change nothing.
  const rule = ingestTopicRulePayload(options);
  const partners = options.partners.map((p) => ({
    ...p,
    templateName: provisioningTemplateName(p.partnerId),
    claimPolicyName: claimPolicyName(p.partnerId),
  }));

  const changes: ResourceChange[] = [];
  const record = (kind: ResourceKind, name: string, action: ResourceChange['action']) =>
    changes.push({ kind, name, action });

  record('policy', policyName, await ensurePolicy(iot, policyName, gatewayPolicy(scope)));
  record(
    'policy',
    INGEST_WORKER_POLICY_NAME,
    await ensurePolicy(
      iot,
      INGEST_WORKER_POLICY_NAME,
      ingestWorkerPolicy(scope, { issuer: 'aws' }),
    ),
  );
  for (const partner of partners) {
    const document = claimPolicy({ ...scope, templateName: partner.templateName });
    record(
      'policy',
      partner.claimPolicyName,
      await ensurePolicy(iot, partner.claimPolicyName, document),
    );
    const template = {
      templateName: partner.templateName,
      templateBody: provisioningTemplateBody({
        partnerId: partner.partnerId,
        gatewayPolicyName: policyName,
      }),
      provisioningRoleArn: options.provisioningRoleArn,
      preProvisioningHookArn: partner.preProvisioningHookArn,
    };
    record('provisioning-template', partner.templateName, await ensureTemplate(iot, template));
  }
  record('topic-rule', INGEST_RULE_NAME, await ensureRule(iot, rule));
  return changes;
}

type Outcome = ResourceChange['action'];

async function ensurePolicy(
  iot: IoTClient,
  policyName: string,
  document: PolicyDocument,
  afterRace = false,
): Promise<Outcome> {
  const policyDocument = JSON.stringify(document);
  let current: string | undefined;
  try {
    ({ policyDocument: current } = await iot.send(new GetPolicyCommand({ policyName })));
  } catch (err) {
    if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    try {
      await iot.send(new CreatePolicyCommand({ policyName, policyDocument }));
      return 'created';
    } catch (createErr) {
      // Another deployment created it between our two calls: compare with theirs.
      if (afterRace || !isAwsError(createErr, 'ResourceAlreadyExistsException')) throw createErr;
      return ensurePolicy(iot, policyName, document, true);
    }
  }
  if (current !== undefined && isDeepStrictEqual(JSON.parse(current), document)) return 'unchanged';

  const { policyVersions = [] } = await iot.send(new ListPolicyVersionsCommand({ policyName }));
  if (policyVersions.length >= MAX_VERSIONS) {
    const oldest = policyVersions
      .filter((v) => !v.isDefaultVersion && v.versionId !== undefined)
      .sort((a, b) => (a.createDate?.getTime() ?? 0) - (b.createDate?.getTime() ?? 0))[0];
    if (oldest?.versionId !== undefined) {
      await iot.send(
        new DeletePolicyVersionCommand({ policyName, policyVersionId: oldest.versionId }),
      );
    }
  }
  // A new default version, not a new policy: certificates stay attached to the name.
  await iot.send(
    new CreatePolicyVersionCommand({ policyName, policyDocument, setAsDefault: true }),
  );
  return 'updated';
}

interface TemplateSpec {
  templateName: string;
  templateBody: string;
  provisioningRoleArn: string;
  preProvisioningHookArn: string | undefined;
}

async function ensureTemplate(iot: IoTClient, spec: TemplateSpec): Promise<Outcome> {
  const { templateName, templateBody, provisioningRoleArn, preProvisioningHookArn } = spec;
  const hook =
    preProvisioningHookArn === undefined ? undefined : { targetArn: preProvisioningHookArn };
  let current;
  try {
    current = await iot.send(new DescribeProvisioningTemplateCommand({ templateName }));
  } catch (err) {
    if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    await iot.send(
      new CreateProvisioningTemplateCommand({
        templateName,
        description: 'Zählwerk: gateway fleet provisioning by claim with CSR',
        templateBody,
        provisioningRoleArn,
        enabled: true,
        type: 'FLEET_PROVISIONING',
        ...(hook === undefined ? {} : { preProvisioningHook: hook }),
      }),
    );
    return 'created';
  }

  let outcome: Outcome = 'unchanged';
  const sameBody =
    current.templateBody !== undefined &&
    isDeepStrictEqual(JSON.parse(current.templateBody), JSON.parse(templateBody));
  if (!sameBody) {
    await pruneTemplateVersions(iot, templateName);
    await iot.send(
      new CreateProvisioningTemplateVersionCommand({
        templateName,
        templateBody,
        setAsDefault: true,
      }),
    );
    outcome = 'updated';
  }
  const sameSettings =
    current.enabled === true &&
    current.provisioningRoleArn === provisioningRoleArn &&
    current.preProvisioningHook?.targetArn === preProvisioningHookArn;
  if (!sameSettings) {
    await iot.send(
      new UpdateProvisioningTemplateCommand({
        templateName,
        enabled: true,
        provisioningRoleArn,
        ...(hook === undefined
          ? current.preProvisioningHook === undefined
            ? {}
            : { removePreProvisioningHook: true }
          : { preProvisioningHook: hook }),
      }),
    );
    outcome = 'updated';
  }
  return outcome;
}

async function pruneTemplateVersions(iot: IoTClient, templateName: string): Promise<void> {
  const { versions = [] } = await iot.send(
    new ListProvisioningTemplateVersionsCommand({ templateName }),
  );
  if (versions.length < MAX_VERSIONS) return;
  const oldest = versions
    .filter((v) => !v.isDefaultVersion && v.versionId !== undefined)
    .sort((a, b) => (a.versionId ?? 0) - (b.versionId ?? 0))[0];
  if (oldest?.versionId !== undefined) {
    await iot.send(
      new DeleteProvisioningTemplateVersionCommand({ templateName, versionId: oldest.versionId }),
    );
  }
}

async function ensureRule(
  iot: IoTClient,
  payload: ReturnType<typeof ingestTopicRulePayload>,
): Promise<Outcome> {
  const ruleName = INGEST_RULE_NAME;
  let current;
  try {
    ({ rule: current } = await iot.send(new GetTopicRuleCommand({ ruleName })));
  } catch (err) {
    // IoT answers GetTopicRule for a missing rule with UnauthorizedException
    // (Terraform's provider treats it as "not found" too); a real lack of
    // permission then fails at CreateTopicRule with the same clarity.
    if (!isAwsError(err, 'ResourceNotFoundException', 'UnauthorizedException')) throw err;
    await iot.send(new CreateTopicRuleCommand({ ruleName, topicRulePayload: payload }));
    return 'created';
  }
  // AWS answers with defaults we never set (e.g. createdAt, enableBatching),
  // so "unchanged" means every field we set has the value we want, and no
  // error action is left that we no longer want.
  const same =
    current !== undefined &&
    contains(toJson(current), toJson(payload)) &&
    (payload.errorAction !== undefined || current.errorAction === undefined);
  if (same) return 'unchanged';
  await iot.send(new ReplaceTopicRuleCommand({ ruleName, topicRulePayload: payload }));
  return 'updated';
}

function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Whether `actual` has every field of `wanted` with the same value; arrays must match in length. */
function contains(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((item, i) => contains(actual[i], item))
    );
  }
  if (typeof wanted === 'object' && wanted !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const record = actual as Record<string, unknown>;
    return Object.entries(wanted).every(([key, value]) => contains(record[key], value));
  }
  return actual === wanted;
}
