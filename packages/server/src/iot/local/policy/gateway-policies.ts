import {
  CLAIM_POLICY_TEMPLATE,
  GATEWAY_POLICY_TEMPLATE,
  renderPolicyTemplate,
} from '@zaehlwerk/firmware-contract';
import type { ArnScope } from './evaluate-policy.js';
import type { PolicyDocument } from './policy-document.js';

/**
 * The policies are the firmware contract's published templates
 * (`policies/v1/*.json` of `@zaehlwerk/firmware-contract`), rendered for one
 * region and account. The emulator and the AWS adapter both take them from
 * here, so what a vendor reads in the package is what the platform enforces.
 * `renderPolicyTemplate` throws RangeError on a region that is not one, an
 * account that is not 12 digits, or a template name that could widen the policy.
 */

/**
 * The policy every gateway certificate gets (contract clauses 1.2, 2.2, 3.1–3.5,
 * 11.1, 13.1). One document for the whole fleet: thing policy variables scope
 * it to the connecting thing, so gateway A can never touch B's topics.
 * - Connect only as its own thing name, and only with a certificate attached to
 *   that thing (IOT-CORE.md §1.11: `IsAttached` refuses unattached certificates).
 * - Publish its telegram batches through Basic Ingest (§1.13) and its status
 *   and events; nothing retained (C12), so no `iot:RetainPublish`.
 * - Its own classic and named shadows (`shadow/*` covers `shadow/name/<n>/…`):
 *   publish requests, subscribe to and receive responses (§1.9).
 * - Subscribe to and receive its errors topic, where the cloud answers rejected
 *   messages.
 * Jobs are left out until the contract uses them.
 */
export function gatewayPolicy(scope: ArnScope): PolicyDocument {
  return renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, {
    region: scope.region,
    account: scope.account,
  });
}

/**
 * The policy of a fleet-provisioning claim certificate (IOT-CORE.md §1.10,
 * contract clause 1.3): CreateCertificateFromCsr and RegisterThing with one
 * template, nothing else. Any client id may connect: the device has no thing
 * yet. `$aws/certificates/create/…` (AWS generates the key) is deliberately
 * absent, and Subscribe takes `topicfilter/` ARNs (§1.10 pitfalls 1 and 2).
 */
export function claimPolicy(scope: ArnScope & { templateName: string }): PolicyDocument {
  return renderPolicyTemplate(CLAIM_POLICY_TEMPLATE, {
    region: scope.region,
    account: scope.account,
    templateName: scope.templateName,
  });
}
