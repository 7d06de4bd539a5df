import { describe, expect, it } from 'vitest';
import { buildArn, evaluatePolicies, isAllowed } from './evaluate-policy.js';
import type { IotAction, PolicyDocument, PolicyStatement } from './policy-document.js';
import type { PolicyVariables } from './policy-variables.js';

const scope = { region: 'eu-central-1', account: '123456789012' };
const ARN = 'arn:aws:iot:eu-central-1:123456789012';

function policy(...Statement: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement };
}

function allows(
  policies: PolicyDocument[],
  action: IotAction,
  kind: 'client' | 'topic' | 'topicfilter',
  name: string,
  variables: PolicyVariables = {},
): boolean {
  return isAllowed(policies, { action, resource: buildArn(kind, name, scope), variables });
}

describe('buildArn', () => {
  it('puts the name in verbatim, MQTT wildcards included', () => {
    expect(buildArn('topicfilter', 'a/+/#', scope)).toBe(`${ARN}:topicfilter/a/+/#`);
    expect(buildArn('client', 'gw-1', scope)).toBe(`${ARN}:client/gw-1`);
  });

  it('refuses a region or account that would change the ARN structure', () => {
    expect(() => buildArn('topic', 'a', { region: 'eu:1', account: '1' })).toThrow(RangeError);
    expect(() => buildArn('topic', 'a', { region: 'eu', account: '*' })).toThrow(RangeError);
  });
});

describe('isAllowed: effects', () => {
  const allowAll = policy({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });

  it('denies by default', () => {
    expect(allows([], 'iot:Publish', 'topic', 'a')).toBe(false);
    expect(
      allows(
        [policy({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/b` })],
        'iot:Publish',
        'topic',
        'a',
      ),
    ).toBe(false);
  });

  it('lets an explicit Deny beat an Allow, in the same or another policy, in any order', () => {
    const deny = policy({ Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/secret` });
    for (const policies of [
      [allowAll, deny],
      [deny, allowAll],
    ]) {
      expect(allows(policies, 'iot:Publish', 'topic', 'secret')).toBe(false);
      expect(allows(policies, 'iot:Publish', 'topic', 'public')).toBe(true);
      expect(allows(policies, 'iot:Receive', 'topic', 'secret')).toBe(true);
    }
    expect(
      evaluatePolicies([allowAll, deny], {
        action: 'iot:Publish',
        resource: `${ARN}:topic/secret`,
        variables: {},
      }),
    ).toBe('EXPLICIT_DENY');
    expect(
      evaluatePolicies([], { action: 'iot:Publish', resource: `${ARN}:topic/x`, variables: {} }),
    ).toBe('IMPLICIT_DENY');
  });
});

describe('isAllowed: action wildcards', () => {
  const withAction = (Action: string | string[]) =>
    policy({ Effect: 'Allow', Action, Resource: '*' });

  it('matches *, iot:*, prefixes and ? case-insensitively', () => {
    expect(allows([withAction('*')], 'iot:Subscribe', 'topicfilter', 'a')).toBe(true);
    expect(allows([withAction('iot:*')], 'iot:Connect', 'client', 'a')).toBe(true);
    expect(allows([withAction('iot:Pub*')], 'iot:Publish', 'topic', 'a')).toBe(true);
    expect(allows([withAction('iot:Pub*')], 'iot:Subscribe', 'topicfilter', 'a')).toBe(false);
    expect(allows([withAction('iot:publish')], 'iot:Publish', 'topic', 'a')).toBe(true);
    expect(allows([withAction('iot:?eceive')], 'iot:Receive', 'topic', 'a')).toBe(true);
    expect(allows([withAction(['iot:Connect', 'iot:Receive'])], 'iot:Publish', 'topic', 'a')).toBe(
      false,
    );
  });

  it('does not let Publish imply RetainPublish', () => {
    expect(allows([withAction('iot:Publish')], 'iot:RetainPublish', 'topic', 'a')).toBe(false);
  });
});

describe('isAllowed: resource wildcards', () => {
  const pub = (Resource: string) => [policy({ Effect: 'Allow', Action: 'iot:Publish', Resource })];

  it('lets * span levels and match nothing, and ? match exactly one character', () => {
    expect(allows(pub(`${ARN}:topic/a/*`), 'iot:Publish', 'topic', 'a/b/c')).toBe(true);
    expect(allows(pub(`${ARN}:topic/a/*`), 'iot:Publish', 'topic', 'a/')).toBe(true);
    expect(allows(pub(`${ARN}:topic/a/*`), 'iot:Publish', 'topic', 'a')).toBe(false);
    expect(allows(pub(`${ARN}:topic/a/?`), 'iot:Publish', 'topic', 'a/ä')).toBe(true);
    expect(allows(pub(`${ARN}:topic/a/?`), 'iot:Publish', 'topic', 'a/bc')).toBe(false);
    expect(allows(pub(`arn:aws:iot:*:*:topic/a`), 'iot:Publish', 'topic', 'a')).toBe(true);
  });

  it('matches the whole ARN, case-sensitively', () => {
    expect(allows(pub(`${ARN}:topic/a`), 'iot:Publish', 'topic', 'a/b')).toBe(false);
    expect(allows(pub(`${ARN}:topic/A`), 'iot:Publish', 'topic', 'a')).toBe(false);
    expect(
      allows(pub(`arn:aws:iot:us-east-1:123456789012:topic/a`), 'iot:Publish', 'topic', 'a'),
    ).toBe(false);
  });

  it('treats regular-expression characters as literal', () => {
    expect(allows(pub(`${ARN}:topic/a.b`), 'iot:Publish', 'topic', 'aXb')).toBe(false);
    expect(allows(pub(`${ARN}:topic/a(b)`), 'iot:Publish', 'topic', 'a(b)')).toBe(true);
  });
});

describe('isAllowed: topic and topicfilter', () => {
  const sub = (Resource: string) => [
    policy({ Effect: 'Allow', Action: 'iot:Subscribe', Resource }),
  ];

  it('compares a subscribed filter literally: topicfilter/a/+ allows the filter a/+ only', () => {
    const policies = sub(`${ARN}:topicfilter/a/+`);
    expect(allows(policies, 'iot:Subscribe', 'topicfilter', 'a/+')).toBe(true);
    expect(allows(policies, 'iot:Subscribe', 'topicfilter', 'a/b')).toBe(false);
    expect(allows(policies, 'iot:Subscribe', 'topicfilter', 'a/#')).toBe(false);
  });

  it('lets topicfilter/a/* allow a/+, a/# and a/b', () => {
    const policies = sub(`${ARN}:topicfilter/a/*`);
    for (const filter of ['a/+', 'a/#', 'a/b', 'a/b/+']) {
      expect(allows(policies, 'iot:Subscribe', 'topicfilter', filter)).toBe(true);
    }
    expect(allows(policies, 'iot:Subscribe', 'topicfilter', '#')).toBe(false);
    expect(allows(policies, 'iot:Subscribe', 'topicfilter', '+/b')).toBe(false);
  });

  it('never lets a topic/ resource grant Subscribe, nor topicfilter/ grant Publish (§1.10 pitfall 2)', () => {
    expect(allows(sub(`${ARN}:topic/a/*`), 'iot:Subscribe', 'topicfilter', 'a/b')).toBe(false);
    const pubFilter = [
      policy({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topicfilter/a/*` }),
    ];
    expect(allows(pubFilter, 'iot:Publish', 'topic', 'a/b')).toBe(false);
  });
});

describe('isAllowed: policy variables', () => {
  const perClient = policy({
    Effect: 'Allow',
    Action: ['iot:Publish', 'iot:Subscribe'],
    Resource: [`${ARN}:topic/dev/\${iot:ClientId}/*`, `${ARN}:topicfilter/dev/\${iot:ClientId}/*`],
  });

  it('substitutes before matching', () => {
    const variables = { 'iot:ClientId': 'gw-1' };
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev/gw-1/x', variables)).toBe(true);
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev/gw-2/x', variables)).toBe(false);
  });

  it('takes substituted values literally: a client id * or ? grants no wildcard', () => {
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev/gw-2/x', { 'iot:ClientId': '*' })).toBe(
      false,
    );
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev/*/x', { 'iot:ClientId': '*' })).toBe(
      true,
    );
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev/a/x', { 'iot:ClientId': '?' })).toBe(
      false,
    );
  });

  it('refuses to substitute + or # into a topicfilter (it would become an MQTT wildcard)', () => {
    const variables = { 'iot:ClientId': '+' };
    expect(allows([perClient], 'iot:Subscribe', 'topicfilter', 'dev/+/x', variables)).toBe(false);
    expect(
      allows([perClient], 'iot:Subscribe', 'topicfilter', 'dev/#', { 'iot:ClientId': '#' }),
    ).toBe(false);
    // In a topic name + is just a character (MQTT forbids wildcards in PUBLISH topics anyway).
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev/+/x', variables)).toBe(true);
  });

  it('makes a statement with an unset or unknown variable not match, for Allow and Deny', () => {
    expect(allows([perClient], 'iot:Publish', 'topic', 'dev//x', {})).toBe(false);
    const unknown = policy({
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: `${ARN}:topic/\${iot:Nope}`,
    });
    expect(allows([unknown], 'iot:Publish', 'topic', '', { 'iot:ClientId': 'a' })).toBe(false);
    const mixed = policy({
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: [`${ARN}:topic/fixed`, `${ARN}:topic/\${iot:Connection.Thing.ThingName}`],
    });
    // The unresolved variable spoils the whole statement, its fixed resource too.
    expect(allows([mixed], 'iot:Publish', 'topic', 'fixed', {})).toBe(false);
    expect(
      allows([mixed], 'iot:Publish', 'topic', 'fixed', { 'iot:Connection.Thing.ThingName': 't' }),
    ).toBe(true);
    const deny = policy({
      Effect: 'Deny',
      Action: 'iot:Publish',
      Resource: `${ARN}:topic/\${iot:ClientId}`,
    });
    const allowAll = policy({ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' });
    expect(allows([allowAll, deny], 'iot:Publish', 'topic', 'x', {})).toBe(true);
    expect(allows([allowAll, deny], 'iot:Publish', 'topic', 'x', { 'iot:ClientId': 'x' })).toBe(
      false,
    );
  });

  it('treats a thing name outside the registry charset as unset (a thing named + or #)', () => {
    const shadow = policy({
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: `${ARN}:topicfilter/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`,
    });
    for (const thing of ['+', '#', 'a+b', 'a/b', '*', '']) {
      const variables = { 'iot:Connection.Thing.ThingName': thing };
      expect(
        allows(
          [shadow],
          'iot:Subscribe',
          'topicfilter',
          `$aws/things/${thing}/shadow/update/accepted`,
          variables,
        ),
      ).toBe(false);
    }
    const valid = { 'iot:Connection.Thing.ThingName': 'gw:1_a-b' };
    expect(
      allows([shadow], 'iot:Subscribe', 'topicfilter', '$aws/things/gw:1_a-b/shadow/#', valid),
    ).toBe(true);
  });

  it('reads ${*}, ${?} and ${$} as the literal characters', () => {
    const literal = policy({
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: `${ARN}:topic/a/\${*}/\${?}/\${$}`,
    });
    expect(allows([literal], 'iot:Publish', 'topic', 'a/*/?/$')).toBe(true);
    expect(allows([literal], 'iot:Publish', 'topic', 'a/b/c/$')).toBe(false);
  });

  it('does not match an unclosed ${', () => {
    const broken = policy({
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: `${ARN}:topic/\${iot:ClientId`,
    });
    expect(
      allows([broken], 'iot:Publish', 'topic', '${iot:ClientId', { 'iot:ClientId': 'a' }),
    ).toBe(false);
  });

  it('resolves iot:Certificate.Subject.CommonName', () => {
    const byCn = policy({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `${ARN}:client/\${iot:Certificate.Subject.CommonName}`,
    });
    const variables = { 'iot:Certificate.Subject.CommonName': 'gw-7' };
    expect(allows([byCn], 'iot:Connect', 'client', 'gw-7', variables)).toBe(true);
    expect(allows([byCn], 'iot:Connect', 'client', 'gw-8', variables)).toBe(false);
  });
});

describe('isAllowed: conditions', () => {
  const attachedOnly = policy({
    Effect: 'Allow',
    Action: 'iot:Connect',
    Resource: '*',
    Condition: { Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } },
  });

  it('evaluates Bool on IsAttached, and a missing key as false', () => {
    expect(
      allows([attachedOnly], 'iot:Connect', 'client', 'a', {
        'iot:Connection.Thing.IsAttached': true,
      }),
    ).toBe(true);
    expect(
      allows([attachedOnly], 'iot:Connect', 'client', 'a', {
        'iot:Connection.Thing.IsAttached': false,
      }),
    ).toBe(false);
    expect(allows([attachedOnly], 'iot:Connect', 'client', 'a', {})).toBe(false);
  });

  it('evaluates StringEquals with variables in the value, all keys ANDed, values ORed', () => {
    const cnIsClient = policy({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: '*',
      Condition: {
        StringEquals: { 'iot:Certificate.Subject.CommonName': ['other', '${iot:ClientId}'] },
        Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
      },
    });
    const base = { 'iot:ClientId': 'gw-1', 'iot:Connection.Thing.IsAttached': true };
    expect(
      allows([cnIsClient], 'iot:Connect', 'client', 'gw-1', {
        ...base,
        'iot:Certificate.Subject.CommonName': 'gw-1',
      }),
    ).toBe(true);
    expect(
      allows([cnIsClient], 'iot:Connect', 'client', 'gw-1', {
        ...base,
        'iot:Certificate.Subject.CommonName': 'other',
      }),
    ).toBe(true);
    expect(
      allows([cnIsClient], 'iot:Connect', 'client', 'gw-1', {
        ...base,
        'iot:Certificate.Subject.CommonName': 'GW-1',
      }),
    ).toBe(false);
    expect(
      allows([cnIsClient], 'iot:Connect', 'client', 'gw-1', {
        ...base,
        'iot:Connection.Thing.IsAttached': false,
        'iot:Certificate.Subject.CommonName': 'gw-1',
      }),
    ).toBe(false);
  });

  it('reads an operator it does not implement the safe way: Deny applies, Allow does not', () => {
    const condition = { StringLike: { 'iot:ClientId': 'x*' } } as never;
    const allowAll = policy({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
    const allowLike = policy({
      Effect: 'Allow',
      Action: 'iot:*',
      Resource: '*',
      Condition: condition,
    });
    const denyLike = policy({
      Effect: 'Deny',
      Action: 'iot:*',
      Resource: '*',
      Condition: condition,
    });
    expect(allows([allowLike], 'iot:Connect', 'client', 'x1', { 'iot:ClientId': 'x1' })).toBe(
      false,
    );
    expect(
      allows([allowAll, denyLike], 'iot:Connect', 'client', 'y', { 'iot:ClientId': 'y' }),
    ).toBe(false);
  });
});
