import { topics } from '@zaehlwerk/firmware-contract';
import { buildArn, type ArnScope } from './evaluate-policy.js';
import type { PolicyDocument } from './policy-document.js';

const THING = '${iot:Connection.Thing.ThingName}';

/**
 * A valid thing name that stands in for the variable while the contract's
 * builders lay out a topic (they refuse `${…}`). Replacing it afterwards keeps
 * the policy in step with the topics the firmware is told to use.
 */
const SLOT = 'zw-policy-thing-slot';

function withThingVariable(topic: string): string {
  const pieces = topic.split(`/${SLOT}/`);
  if (pieces.length !== 2) throw new Error(`expected one thing level in ${topic}`);
  return pieces.join(`/${THING}/`);
}

/** `…/evt/<event>` → `…/evt/*`: every event name the contract allows. */
function anyEvent(topic: string): string {
  return `${topic.slice(0, topic.lastIndexOf('/'))}/*`;
}

/**
 * The policy every gateway certificate gets (contract clauses C1, C5, C9, C12).
 * One document for the whole fleet: thing policy variables scope it to the
 * connecting thing, so gateway A can never touch B's topics.
 * - Connect only as its own thing name, and only with a certificate attached to
 *   that thing (IOT-CORE.md §1.11: `IsAttached` refuses unattached certificates).
 * - Publish its telegram batches through Basic Ingest (§1.13) and its status
 *   and events; nothing retained (C12), so no `iot:RetainPublish`.
 * - Its own classic and named shadows (`shadow/*` covers `shadow/name/<n>/…`):
 *   publish requests, subscribe to and receive responses (§1.9).
 * Jobs are left out until the contract uses them.
 */
export function gatewayPolicy(scope: ArnScope): PolicyDocument {
  const topic = (name: string) => buildArn('topic', name, scope);
  const shadow = `$aws/things/${THING}/shadow/*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: buildArn('client', THING, scope),
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [
          topic(withThingVariable(topics.telegrams(SLOT))),
          topic(withThingVariable(topics.status(SLOT))),
          topic(withThingVariable(anyEvent(topics.event(SLOT, 'any')))),
          topic(shadow),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [
          buildArn('topicfilter', shadow, scope),
          // Contract v1: the cloud answers a gateway's rejected payloads here.
          buildArn('topicfilter', withThingVariable(topics.errors(SLOT)), scope),
        ],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: [topic(shadow), topic(withThingVariable(topics.errors(SLOT)))],
      },
    ],
  };
}

/**
 * The provisioning template name as CreateProvisioningTemplate accepts it
 * ([verify] against the API reference); above all it rules out `*`, `?`, `/`,
 * `+`, `#` and `$`, which would widen the policy.
 */
const TEMPLATE_NAME = /^[0-9A-Za-z_-]{1,36}$/;

/**
 * The policy of a fleet-provisioning claim certificate (IOT-CORE.md §1.10,
 * contract C10): CreateCertificateFromCsr and RegisterThing with one template,
 * nothing else. Any client id may connect: the device has no thing yet.
 * `$aws/certificates/create/…` (AWS generates the key) is deliberately absent,
 * and Subscribe takes `topicfilter/` ARNs (§1.10 pitfalls 1 and 2).
 */
export function claimPolicy(scope: ArnScope & { templateName: string }): PolicyDocument {
  if (!TEMPLATE_NAME.test(scope.templateName)) {
    throw new RangeError(`invalid provisioning template name '${scope.templateName}'`);
  }
  const requests = [
    '$aws/certificates/create-from-csr/json',
    `$aws/provisioning-templates/${scope.templateName}/provision/json`,
  ];
  const responses = requests.flatMap((t) => [`${t}/accepted`, `${t}/rejected`]);
  const arns = (kind: 'topic' | 'topicfilter', names: readonly string[]) =>
    names.map((name) => buildArn(kind, name, scope));
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: buildArn('client', '*', scope) },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: arns('topic', requests) },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arns('topicfilter', responses) },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: arns('topic', responses) },
    ],
  };
}
