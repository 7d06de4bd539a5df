import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLAIM_POLICY_TEMPLATE,
  GATEWAY_POLICY_TEMPLATE,
  renderPolicyTemplate,
  type IotPolicyDocument,
} from './policy-template.js';
import { topics } from './topics.js';

const values = { region: 'eu-central-1', account: '123456789012' };
const THING = '${iot:Connection.Thing.ThingName}';
const ARN_PREFIX = 'arn:aws:iot:eu-central-1:123456789012:';

function readPolicyFile(name: string): unknown {
  const url = new URL(`../policies/v1/${name}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as unknown;
}

function resources(policy: IotPolicyDocument, action: string): string[] {
  return policy.Statement.filter((s) => [s.Action].flat().includes(action)).flatMap((s) =>
    [s.Resource].flat(),
  );
}

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  }
  return [];
}

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

/** The rendered policy's resources for gateway `gw-A`, as IoT Core resolves the variable. */
function forThing(arns: string[], thing: string): string[] {
  return arns.map((arn) => arn.split(THING).join(thing).slice(ARN_PREFIX.length));
}

describe('the published policy files', () => {
  it('are what the constants hold', () => {
    expect(GATEWAY_POLICY_TEMPLATE).toStrictEqual(readPolicyFile('gateway-policy.json'));
    expect(CLAIM_POLICY_TEMPLATE).toStrictEqual(readPolicyFile('claim-policy.json'));
  });

  it('name no placeholders but {{region}}, {{account}} and (claim only) {{templateName}}', () => {
    const names = (t: unknown) =>
      new Set(strings(t).flatMap((s) => [...s.matchAll(/\{\{([^{}]*)\}\}/g)].map((m) => m[1])));
    expect(names(GATEWAY_POLICY_TEMPLATE)).toEqual(new Set(['region', 'account']));
    expect(names(CLAIM_POLICY_TEMPLATE)).toEqual(new Set(['region', 'account', 'templateName']));
  });

  it('stay within IoT Core’s policy size (2048 characters without whitespace)', () => {
    for (const template of [GATEWAY_POLICY_TEMPLATE, CLAIM_POLICY_TEMPLATE]) {
      const rendered = renderPolicyTemplate(template, { ...values, templateName: 'x'.repeat(36) });
      expect(JSON.stringify(rendered).replace(/\s/g, '').length).toBeLessThanOrEqual(2048);
    }
  });

  it('use client/ ARNs for Connect, topicfilter/ for Subscribe and topic/ for the rest', () => {
    for (const template of [GATEWAY_POLICY_TEMPLATE, CLAIM_POLICY_TEMPLATE]) {
      const policy = renderPolicyTemplate(template, { ...values, templateName: 'zw-p1' });
      for (const arn of resources(policy, 'iot:Connect')) expect(arn).toMatch(/:client\//);
      for (const arn of resources(policy, 'iot:Subscribe')) expect(arn).toMatch(/:topicfilter\//);
      for (const action of ['iot:Publish', 'iot:Receive']) {
        for (const arn of resources(policy, action)) expect(arn).toMatch(/:topic\//);
      }
    }
  });
});

describe('renderPolicyTemplate', () => {
  it('fills in region and account and keeps the IoT policy variables', () => {
    const policy = renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, values);
    expect(policy.Statement[0]).toStrictEqual({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `${ARN_PREFIX}client/${THING}`,
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    });
    const all = strings(policy);
    expect(all.join('\n')).not.toMatch(/\{\{|\}\}/);
    const arns = policy.Statement.flatMap((s) => [s.Resource].flat());
    for (const arn of arns) {
      expect(arn.startsWith(ARN_PREFIX)).toBe(true);
      // Every gateway resource is scoped to the connecting thing.
      expect(arn).toContain(THING);
    }
    const variables = (t: unknown) => strings(t).join('\n').split('${iot:').length;
    expect(variables(policy)).toBe(variables(GATEWAY_POLICY_TEMPLATE));
  });

  it('gives a gateway exactly the topics of the contract', () => {
    const policy = renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, values);
    const thing = 'gw-A';
    expect(forThing(resources(policy, 'iot:Publish'), thing)).toEqual([
      `topic/${topics.telegrams(thing)}`,
      `topic/${topics.status(thing)}`,
      `topic/${topics.event(thing, 'boot').replace(/boot$/, '*')}`,
      `topic/$aws/things/${thing}/shadow/*`,
    ]);
    expect(forThing(resources(policy, 'iot:Subscribe'), thing)).toEqual([
      `topicfilter/$aws/things/${thing}/shadow/*`,
      `topicfilter/${topics.errors(thing)}`,
    ]);
    expect(forThing(resources(policy, 'iot:Receive'), thing)).toEqual([
      `topic/$aws/things/${thing}/shadow/*`,
      `topic/${topics.errors(thing)}`,
    ]);
    // The configuration shadow's topics lie under the granted shadow/*.
    expect(topics.shadow(thing, 'update/delta').startsWith(`$aws/things/${thing}/shadow/`)).toBe(
      true,
    );
    // Nothing retained (clause 3.3), no jobs, no other rule.
    expect(resources(policy, 'iot:RetainPublish')).toEqual([]);
    expect(strings(policy).join('\n')).not.toMatch(/jobs|\$aws\/rules\/(?!zw_ingest\/)/);
  });

  it('fills in the provisioning template name of the claim policy', () => {
    const policy = renderPolicyTemplate(CLAIM_POLICY_TEMPLATE, {
      ...values,
      templateName: 'zw-partner-1',
    });
    expect(resources(policy, 'iot:Connect')).toEqual([`${ARN_PREFIX}client/*`]);
    expect(resources(policy, 'iot:Publish')).toEqual([
      `${ARN_PREFIX}topic/$aws/certificates/create-from-csr/json`,
      `${ARN_PREFIX}topic/$aws/provisioning-templates/zw-partner-1/provision/json`,
    ]);
    const responses = [
      '$aws/certificates/create-from-csr/json/accepted',
      '$aws/certificates/create-from-csr/json/rejected',
      '$aws/provisioning-templates/zw-partner-1/provision/json/accepted',
      '$aws/provisioning-templates/zw-partner-1/provision/json/rejected',
    ];
    expect(resources(policy, 'iot:Subscribe')).toEqual(
      responses.map((t) => `${ARN_PREFIX}topicfilter/${t}`),
    );
    expect(resources(policy, 'iot:Receive')).toEqual(
      responses.map((t) => `${ARN_PREFIX}topic/${t}`),
    );
    // Keys made by AWS are not allowed (contract clause 1.1).
    expect(strings(policy).join('\n')).not.toContain('$aws/certificates/create/');
  });

  it('asks for a template name where the template needs one', () => {
    expect(() => renderPolicyTemplate(CLAIM_POLICY_TEMPLATE, values)).toThrow(
      /needs a value for \{\{templateName\}\}/,
    );
    // One the template does not use is checked, then ignored.
    expect(
      renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, { ...values, templateName: 'zw-p1' }),
    ).toStrictEqual(renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, values));
  });

  it('refuses a region that is not one', () => {
    for (const region of [
      '',
      'eu',
      'eu-central',
      'EU-central-1',
      'eu-central-1:123',
      'eu-central-1/x',
      'eu-central-*',
      '*',
      '{{account}}',
      'eu-central-1 ',
    ]) {
      expect(() => renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, { ...values, region })).toThrow(
        RangeError,
      );
    }
    for (const region of ['us-east-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1']) {
      expect(() =>
        renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, { ...values, region }),
      ).not.toThrow();
    }
  });

  it('refuses an account that is not 12 digits', () => {
    for (const account of [
      '',
      '12345678901',
      '1234567890123',
      '12345678901a',
      '*',
      '123456789012*',
      '{{region}}',
    ]) {
      expect(() => renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, { ...values, account })).toThrow(
        RangeError,
      );
    }
  });

  it('refuses a template name that would widen the policy', () => {
    for (const templateName of ['*', 'a*', 'a?', 'a/b', 'a+', '#', '$aws', '', 'x'.repeat(37)]) {
      expect(() =>
        renderPolicyTemplate(CLAIM_POLICY_TEMPLATE, { ...values, templateName }),
      ).toThrow(RangeError);
    }
  });

  it('leaves the templates as they were, and hands out a new document each time', () => {
    const before = structuredClone([GATEWAY_POLICY_TEMPLATE, CLAIM_POLICY_TEMPLATE]);
    const first = renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, values);
    renderPolicyTemplate(CLAIM_POLICY_TEMPLATE, { ...values, templateName: 'zw-p1' });
    expect([GATEWAY_POLICY_TEMPLATE, CLAIM_POLICY_TEMPLATE]).toStrictEqual(before);

    first.Statement.push({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
    const resource = first.Statement[0]!.Resource;
    if (Array.isArray(resource)) resource.push('*');
    expect(renderPolicyTemplate(GATEWAY_POLICY_TEMPLATE, values)).not.toStrictEqual(first);
    expect(GATEWAY_POLICY_TEMPLATE).toStrictEqual(before[0]);
  });

  it('publishes templates no importer can change in place', () => {
    expect(isDeeplyFrozen(GATEWAY_POLICY_TEMPLATE)).toBe(true);
    expect(isDeeplyFrozen(CLAIM_POLICY_TEMPLATE)).toBe(true);
    const statements = GATEWAY_POLICY_TEMPLATE.Statement as unknown as unknown[];
    expect(() => statements.push({})).toThrow(TypeError);
  });
});
