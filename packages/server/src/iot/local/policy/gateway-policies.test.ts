import {
  CLAIM_POLICY_TEMPLATE,
  GATEWAY_POLICY_TEMPLATE,
  parseTopic,
  renderPolicyTemplate,
  topics,
} from '@zaehlwerk/firmware-contract';
import { describe, expect, it } from 'vitest';
import { buildArn, isAllowed } from './evaluate-policy.js';
import { claimPolicy, gatewayPolicy } from './gateway-policies.js';
import type { IotAction, PolicyDocument } from './policy-document.js';
import { validatePolicyDocument } from './policy-document.js';
import { connectionPolicyVariables, type PolicyVariables } from './policy-variables.js';

const scope = { region: 'eu-central-1', account: '123456789012' };

function can(
  policies: PolicyDocument[],
  variables: PolicyVariables,
  action: IotAction,
  name: string,
): boolean {
  const kind =
    action === 'iot:Connect' ? 'client' : action === 'iot:Subscribe' ? 'topicfilter' : 'topic';
  return isAllowed(policies, { action, resource: buildArn(kind, name, scope), variables });
}

describe('gatewayPolicy', () => {
  const policies = [gatewayPolicy(scope)];
  /** Gateway A connected as itself with its own certificate. */
  const a = connectionPolicyVariables({ clientId: 'gw-A', attachedThingNames: ['gw-A'] });
  const gw = (action: IotAction, name: string) => can(policies, a, action, name);

  it('is a valid document within the size quota', () => {
    expect(validatePolicyDocument(gatewayPolicy(scope))).toMatchObject({ ok: true });
  });

  it('is the firmware contract’s published template, rendered for the region and account', () => {
    expect(gatewayPolicy(scope)).toStrictEqual(
      renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, scope),
    );
    // The emulator's own scope renders too.
    const local = { region: 'eu-central-1', account: '000000000000' };
    expect(validatePolicyDocument(gatewayPolicy(local))).toMatchObject({ ok: true });
  });

  it('refuses a region or account that would change what the ARNs name', () => {
    expect(() => gatewayPolicy({ ...scope, region: 'eu-central-*' })).toThrow(RangeError);
    expect(() => gatewayPolicy({ ...scope, account: '*' })).toThrow(RangeError);
    expect(() => gatewayPolicy({ ...scope, account: '12345' })).toThrow(RangeError);
  });

  it('lets a gateway connect only with client id = its thing name, with an attached certificate', () => {
    expect(gw('iot:Connect', 'gw-A')).toBe(true);
    // Client id B with A's certificate: B is not attached to it, so nothing resolves.
    const asB = connectionPolicyVariables({ clientId: 'gw-B', attachedThingNames: ['gw-A'] });
    expect(can(policies, asB, 'iot:Connect', 'gw-B')).toBe(false);
    expect(can(policies, asB, 'iot:Connect', 'gw-A')).toBe(false);
    // A thing name resolved without an attached certificate still fails IsAttached.
    const unattached = {
      'iot:Connection.Thing.ThingName': 'gw-A',
      'iot:Connection.Thing.IsAttached': false,
    };
    expect(can(policies, unattached, 'iot:Connect', 'gw-A')).toBe(false);
  });

  it('lets gateway A publish its telegrams, status and events, but not B’s', () => {
    expect(gw('iot:Publish', topics.telegrams('gw-A'))).toBe(true);
    expect(gw('iot:Publish', topics.status('gw-A'))).toBe(true);
    expect(gw('iot:Publish', topics.event('gw-A', 'power-loss'))).toBe(true);
    expect(gw('iot:Publish', topics.telegrams('gw-B'))).toBe(false);
    expect(gw('iot:Publish', topics.status('gw-B'))).toBe(false);
    expect(gw('iot:Publish', topics.event('gw-B', 'power-loss'))).toBe(false);
    // Every topic it may publish under zw/ is one the contract recognises as A's.
    expect(parseTopic(topics.telegrams('gw-A'))).toMatchObject({
      thingName: 'gw-A',
      basicIngest: true,
    });
  });

  it('lets it use its own classic and named shadows, and not B’s', () => {
    for (const own of [
      '$aws/things/gw-A/shadow/update',
      '$aws/things/gw-A/shadow/name/zw-config/get',
    ]) {
      expect(gw('iot:Publish', own)).toBe(true);
    }
    for (const filter of [
      '$aws/things/gw-A/shadow/update/delta',
      '$aws/things/gw-A/shadow/name/zw-config/update/accepted',
      '$aws/things/gw-A/shadow/#',
      '$aws/things/gw-A/shadow/+/accepted',
    ]) {
      expect(gw('iot:Subscribe', filter)).toBe(true);
    }
    expect(gw('iot:Receive', '$aws/things/gw-A/shadow/update/delta')).toBe(true);

    expect(gw('iot:Publish', '$aws/things/gw-B/shadow/update')).toBe(false);
    expect(gw('iot:Subscribe', '$aws/things/gw-B/shadow/update/delta')).toBe(false);
    expect(gw('iot:Subscribe', '$aws/things/+/shadow/update/delta')).toBe(false);
    expect(gw('iot:Subscribe', '$aws/things/#')).toBe(false);
    expect(gw('iot:Receive', '$aws/things/gw-B/shadow/update/delta')).toBe(false);
    // A thing whose name extends A's is another thing.
    expect(gw('iot:Publish', '$aws/things/gw-AB/shadow/update')).toBe(false);
  });

  it('lets it receive the cloud’s answers on its own errors topic, and not B’s', () => {
    expect(gw('iot:Subscribe', topics.errors('gw-A'))).toBe(true);
    expect(gw('iot:Receive', topics.errors('gw-A'))).toBe(true);
    expect(gw('iot:Publish', topics.errors('gw-A'))).toBe(false);
    expect(gw('iot:Subscribe', topics.errors('gw-B'))).toBe(false);
    expect(gw('iot:Receive', topics.errors('gw-B'))).toBe(false);
    expect(gw('iot:Subscribe', 'zw/v1/gw/+/errors')).toBe(false);
  });

  it('allows nothing else', () => {
    expect(gw('iot:Publish', '$aws/rules/other_rule/zw/v1/gw/gw-A/telegrams')).toBe(false);
    expect(gw('iot:Publish', 'zw/v1/gw/gw-A/telegrams')).toBe(false);
    expect(gw('iot:Publish', '$aws/things/gw-A/jobs/get')).toBe(false);
    expect(gw('iot:RetainPublish', topics.status('gw-A'))).toBe(false);
    expect(gw('iot:Subscribe', 'zw/v1/gw/gw-A/status')).toBe(false);
    expect(gw('iot:Subscribe', '$aws/rules/zw_ingest/zw/v1/gw/gw-A/telegrams')).toBe(false);
    expect(gw('iot:Receive', 'zw/v1/gw/gw-B/status')).toBe(false);
    expect(gw('iot:Subscribe', '#')).toBe(false);
  });

  it('gives a thing named + or # nothing, even if the registry were to hand it over', () => {
    for (const thing of ['+', '#']) {
      const variables = {
        'iot:ClientId': thing,
        'iot:Connection.Thing.ThingName': thing,
        'iot:Connection.Thing.IsAttached': true,
      };
      expect(can(policies, variables, 'iot:Connect', thing)).toBe(false);
      expect(
        can(policies, variables, 'iot:Subscribe', `$aws/things/${thing}/shadow/update/delta`),
      ).toBe(false);
    }
  });
});

describe('claimPolicy', () => {
  const policies = [claimPolicy({ ...scope, templateName: 'zw-partner-1' })];
  const claim = connectionPolicyVariables({ clientId: 'any-id', attachedThingNames: [] });
  const may = (action: IotAction, name: string) => can(policies, claim, action, name);
  const csr = '$aws/certificates/create-from-csr/json';
  const provision = '$aws/provisioning-templates/zw-partner-1/provision/json';

  it('is a valid document', () => {
    expect(validatePolicyDocument(policies[0])).toMatchObject({ ok: true });
  });

  it('is the firmware contract’s published template, rendered', () => {
    const values = { ...scope, templateName: 'zw-partner-1' };
    expect(claimPolicy(values)).toStrictEqual(renderPolicyTemplate(CLAIM_POLICY_TEMPLATE, values));
  });

  it('lets any client id connect', () => {
    expect(may('iot:Connect', 'any-id')).toBe(true);
    expect(may('iot:Connect', 'serial-4711')).toBe(true);
  });

  it('allows exactly the CSR and RegisterThing requests and their responses', () => {
    for (const request of [csr, provision]) {
      expect(may('iot:Publish', request)).toBe(true);
      for (const reply of ['accepted', 'rejected']) {
        expect(may('iot:Subscribe', `${request}/${reply}`)).toBe(true);
        expect(may('iot:Receive', `${request}/${reply}`)).toBe(true);
        expect(may('iot:Publish', `${request}/${reply}`)).toBe(false);
      }
      expect(may('iot:Subscribe', request)).toBe(false);
      expect(may('iot:Subscribe', `${request}/+`)).toBe(false);
      expect(may('iot:Subscribe', `${request}/#`)).toBe(false);
    }
  });

  it('allows nothing else: no AWS-made keys, no other template, no gateway topics', () => {
    expect(may('iot:Publish', '$aws/certificates/create/json')).toBe(false);
    expect(may('iot:Publish', '$aws/certificates/create-from-csr/cbor')).toBe(false);
    expect(may('iot:Publish', '$aws/provisioning-templates/other/provision/json')).toBe(false);
    expect(may('iot:Publish', topics.telegrams('any-id'))).toBe(false);
    expect(may('iot:Publish', '$aws/things/any-id/shadow/update')).toBe(false);
    expect(may('iot:Subscribe', '$aws/things/any-id/shadow/update/delta')).toBe(false);
    expect(may('iot:RetainPublish', csr)).toBe(false);
  });

  it('refuses a template name that would widen the policy', () => {
    for (const templateName of ['*', 'a/b', 'a+', '#', '', 'x'.repeat(37)]) {
      expect(() => claimPolicy({ ...scope, templateName })).toThrow(RangeError);
    }
  });
});
