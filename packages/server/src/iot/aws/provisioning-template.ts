/**
 * Names and the fleet-provisioning template of one partner (IOT-CORE.md §1.10,
 * contract clause C10). Each partner has its own claim certificate, claim
 * policy and template, so the partner a gateway lands in is fixed by the
 * template its claim may use and never taken from what the device sends.
 */

/** Policy every gateway certificate gets; the `-v1` lets a v2 roll out beside it. */
export const DEFAULT_GATEWAY_POLICY_NAME = 'zw-gateway-v1';

/** Policy every ingest worker certificate gets (`ingestWorkerPolicy` with `issuer: 'aws'`). */
export const INGEST_WORKER_POLICY_NAME = 'zw-ingest-worker';

/**
 * `zw-prov-` + partner id must stay a valid template name (1–36 of
 * `[0-9A-Za-z_-]`, as `claimPolicy` checks), hence at most 28 characters.
 */
const PARTNER_ID = /^[A-Za-z0-9_-]{1,28}$/;

function checkPartnerId(partnerId: string): string {
  if (!PARTNER_ID.test(partnerId)) {
    throw new RangeError(
      `partner id '${partnerId}' must be 1 to 28 characters of A-Z a-z 0-9 _ - to name AWS resources`,
    );
  }
  return partnerId;
}

export function provisioningTemplateName(partnerId: string): string {
  return `zw-prov-${checkPartnerId(partnerId)}`;
}

export function claimPolicyName(partnerId: string): string {
  return `zw-claim-${checkPartnerId(partnerId)}`;
}

/**
 * The template body RegisterThing runs. The device passes `SerialNumber` (the
 * thing name) and `OrganisationId`; a pre-provisioning hook, when configured,
 * can refuse or override both. The partner is a literal here.
 * `OverrideSettings.AttributePayload: DO_NOTHING` keeps an existing thing's
 * owner attributes as they are if a serial is provisioned twice.
 */
export function provisioningTemplateBody(input: {
  partnerId: string;
  gatewayPolicyName: string;
}): string {
  const template = {
    Parameters: {
      SerialNumber: { Type: 'String' },
      OrganisationId: { Type: 'String' },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        OverrideSettings: { AttributePayload: 'DO_NOTHING' },
        Properties: {
          ThingName: { Ref: 'SerialNumber' },
          AttributePayload: {
            partnerId: checkPartnerId(input.partnerId),
            organisationId: { Ref: 'OrganisationId' },
          },
        },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
      },
      policy: {
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: input.gatewayPolicyName },
      },
    },
  };
  return JSON.stringify(template);
}
