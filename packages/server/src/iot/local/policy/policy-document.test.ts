import { describe, expect, it } from 'vitest';
import {
  MAX_POLICY_DOCUMENT_CHARS,
  policyDocumentSize,
  validatePolicyDocument,
} from './policy-document.js';

const ARN = 'arn:aws:iot:eu-central-1:123456789012';

const valid = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'own',
      Effect: 'Allow',
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: [`${ARN}:topic/dev/\${iot:ClientId}/*`],
    },
    { Effect: 'Deny', Action: 'iot:*', Resource: '*' },
    {
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `arn:aws:iot:*:*:client/*`,
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } },
    },
  ],
};

function issuesOf(input: unknown): string[] {
  const result = validatePolicyDocument(input);
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

/** A one-statement policy whose whitespace-free JSON has exactly `chars` characters. */
function policyOfSize(chars: number): object {
  const base = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/` }],
  };
  const pad = chars - policyDocumentSize(base);
  return {
    ...base,
    Statement: [{ ...base.Statement[0], Resource: `${ARN}:topic/${'a'.repeat(pad)}` }],
  };
}

describe('validatePolicyDocument', () => {
  it('accepts a document as object or JSON text', () => {
    expect(validatePolicyDocument(valid)).toEqual({ ok: true, value: valid });
    expect(validatePolicyDocument(JSON.stringify(valid, null, 2))).toMatchObject({ ok: true });
  });

  it('counts the size without whitespace, at, below and above 2048', () => {
    expect(policyDocumentSize(policyOfSize(MAX_POLICY_DOCUMENT_CHARS))).toBe(2048);
    expect(issuesOf(policyOfSize(2047))).toEqual([]);
    expect(issuesOf(policyOfSize(2048))).toEqual([]);
    expect(issuesOf(policyOfSize(2049))).toEqual([
      ': has 2049 characters without whitespace, at most 2048',
    ]);
    // Indentation does not count.
    expect(issuesOf(JSON.stringify(policyOfSize(2048), null, 8))).toEqual([]);
  });

  it('reports every problem with its path and never throws', () => {
    expect(issuesOf('{')).toEqual([': not valid JSON']);
    expect(issuesOf(null)).toEqual([': must be an object']);
    expect(issuesOf({ Version: '2008-10-17', Statement: [] })).toEqual([
      '/Version: must be "2012-10-17"',
      '/Statement: must be a non-empty array',
    ]);
    expect(
      issuesOf({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'allow', Action: 'iot:UpdateThingShadow', Resource: [] },
          { Effect: 'Allow', Action: ['iot:Publish', 3], Resource: `${ARN}:bucket/x` },
          { Effect: 'Allow', NotAction: 'iot:Publish', Resource: 'arn:aws:s3:::b' },
          { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/\${iot:ClientId` },
        ],
      }),
    ).toEqual([
      '/Statement/0/Effect: must be "Allow" or "Deny"',
      '/Statement/0/Action: "iot:UpdateThingShadow" names none of iot:Connect, iot:Publish, iot:Subscribe, iot:Receive, iot:RetainPublish',
      '/Statement/0/Resource: must be a string or a non-empty array of strings',
      '/Statement/1/Action/1: must be a string',
      '/Statement/1/Resource: resource type "bucket" is none of client, topic, topicfilter, thing',
      '/Statement/2/NotAction: is not supported by the emulator',
      '/Statement/2/Action: must be a string or a non-empty array of strings',
      '/Statement/2/Resource: "arn:aws:s3:::b" must be "*" or arn:aws:iot:REGION:ACCOUNT:TYPE/NAME',
      `/Statement/3/Resource: "${ARN}:topic/\${iot:ClientId" has an unclosed policy variable`,
    ]);
  });

  it('accepts action wildcards that name a MQTT action, and only those', () => {
    const withAction = (Action: string) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action, Resource: '*' }],
    });
    for (const action of ['*', 'iot:*', 'iot:Pub*', 'iot:?ublish', 'IOT:CONNECT']) {
      expect(issuesOf(withAction(action))).toEqual([]);
    }
    for (const action of ['iot:Get*', 's3:*', 'iot:Publishx']) {
      expect(issuesOf(withAction(action))).toHaveLength(1);
    }
  });

  it('refuses conditions it cannot evaluate exactly', () => {
    const withCondition = (Condition: unknown) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition }],
    });
    expect(issuesOf(withCondition({ StringEquals: { 'iot:ClientId': ['a', 'b'] } }))).toEqual([]);
    expect(issuesOf(withCondition({ StringLike: { 'iot:ClientId': 'a*' } }))).toEqual([
      '/Statement/0/Condition/StringLike: operator not supported by the emulator (only Bool, StringEquals)',
    ]);
    expect(issuesOf(withCondition({ Bool: {} }))).toEqual([
      '/Statement/0/Condition/Bool: must map condition keys to values',
    ]);
    expect(issuesOf(withCondition({ Bool: { 'iot:Connection.Thing.IsAttached': true } }))).toEqual([
      '/Statement/0/Condition/Bool/iot:Connection.Thing.IsAttached: must be a string or a non-empty array of strings',
    ]);
  });
});
