import { describe, expect, it } from 'vitest';
import { ingestRepublishTopic, INGEST_REPUBLISH_TOPIC_TEMPLATE } from '../ingest-republish.js';
import { INGEST_RULE_SQL, ingestTopicRulePayload, parseRuleRequest } from './ingest-rule.js';

const principal = 'ab'.repeat(32);
const row = {
  payload: Buffer.from('{"gatewaySeq":1}').toString('base64'),
  topic: 'zw/v1/gw/gw-1/telegrams',
  clientId: 'gw-1',
  principal,
  receivedAt: 1_735_689_600_123,
};

describe('parseRuleRequest', () => {
  it('reads the row the rule SQL produces', () => {
    expect(parseRuleRequest(row)).toEqual({
      kind: 'telegram-batch',
      certificateId: principal,
      batch: {
        thingName: 'gw-1',
        topic: 'zw/v1/gw/gw-1/telegrams',
        payload: new Uint8Array(Buffer.from('{"gatewaySeq":1}')),
        receivedAt: '2025-01-01T00:00:00.123Z',
      },
    });
  });

  it("reads AWS's destination confirmation", () => {
    expect(
      parseRuleRequest({
        arn: 'arn:aws:iot:eu-central-1:123456789012:ruledestination/http/7a28',
        confirmationToken: 'AYADeMXL',
        enableUrl: 'https://iot.eu-central-1.amazonaws.com/confirmdestination/AYADeMXL',
        messageType: 'DestinationConfirmation',
      }),
    ).toEqual({
      kind: 'destination-confirmation',
      confirmationToken: 'AYADeMXL',
      destinationArn: 'arn:aws:iot:eu-central-1:123456789012:ruledestination/http/7a28',
    });
  });

  it('refuses a client publishing for another thing', () => {
    expect(() => parseRuleRequest({ ...row, clientId: 'gw-2' })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
  });

  it.each([
    ['not an object', []],
    ['bad base64', { ...row, payload: 'a$b=' }],
    ['status topic', { ...row, topic: 'zw/v1/gw/gw-1/status' }],
    ['principal not a certificate id', { ...row, principal: 'AIDAEXAMPLE' }],
    ['receivedAt as a string', { ...row, receivedAt: '2025-01-01' }],
  ])('refuses %s', (_, body) => {
    expect(() => parseRuleRequest(body)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('ingestTopicRulePayload', () => {
  it('adds a CloudWatch Logs error action when given one', () => {
    const payload = ingestTopicRulePayload({
      ingestUrl: 'https://portal.example/ingest',
      ingestToken: "${get_secret('zw/ingest', 'SecretString', 'token', 'arn:aws:iam::1:role/r')}",
      errorLog: { roleArn: 'arn:aws:iam::1:role/r', logGroupName: 'zw-ingest-errors' },
    });
    expect(payload.errorAction).toEqual({
      cloudwatchLogs: { roleArn: 'arn:aws:iam::1:role/r', logGroupName: 'zw-ingest-errors' },
    });
    expect(payload.sql).toContain("FROM 'zw/v1/gw/+/telegrams'");
  });
});

describe('ingestTopicRulePayload with the republish action', () => {
  const roleArn = 'arn:aws:iam::123456789012:role/zw-ingest-republish';

  it('selects the batch unchanged and republishes it with QoS 1 as the given role', () => {
    const payload = ingestTopicRulePayload({
      ingestAction: 'republish',
      republishRoleArn: roleArn,
    });
    expect(payload.sql).toBe("SELECT * FROM 'zw/v1/gw/+/telegrams'");
    expect(payload.sql).not.toBe(INGEST_RULE_SQL);
    expect(payload.awsIotSqlVersion).toBe('2016-03-23');
    expect(payload.ruleDisabled).toBe(false);
    expect(payload.actions).toEqual([
      { republish: { topic: INGEST_REPUBLISH_TOPIC_TEMPLATE, qos: 1, roleArn } },
    ]);
    expect(payload).not.toHaveProperty('errorAction');
  });

  it('republishes to the topic the workers read, with the thing from the source topic', () => {
    const topic = ingestTopicRulePayload({ ingestAction: 'republish', republishRoleArn: roleArn })
      .actions?.[0]?.republish?.topic;
    // The rules engine's topic(n): the n-th level of the source topic, counted from 1.
    const source = 'zw/v1/gw/gw-0001/telegrams'.split('/');
    const substituted = topic?.replace(
      /\$\{topic\((\d+)\)\}/g,
      (_, n: string) => source[Number(n) - 1]!,
    );
    expect(substituted).toBe(ingestRepublishTopic('gw-0001'));
  });

  it('keeps the error action', () => {
    const errorLog = { roleArn, logGroupName: 'zw-ingest-errors' };
    expect(
      ingestTopicRulePayload({ ingestAction: 'republish', republishRoleArn: roleArn, errorLog })
        .errorAction,
    ).toEqual({ cloudwatchLogs: errorLog });
  });

  it.each([
    ['a role name', 'zw-ingest-republish'],
    ['a user ARN', 'arn:aws:iam::123456789012:user/deploy'],
    ['a short account', 'arn:aws:iam::1234:role/r'],
    ['an empty string', ''],
  ])('refuses %s as the role', (_, republishRoleArn) => {
    expect(() => ingestTopicRulePayload({ ingestAction: 'republish', republishRoleArn })).toThrow(
      /republishRoleArn must be an IAM role ARN/,
    );
  });

  it('keeps the HTTP action as it was when no action is named', () => {
    const payload = ingestTopicRulePayload({
      ingestUrl: 'https://portal.example/ingest',
      ingestToken: 's3cret',
    });
    expect(payload.sql).toBe(INGEST_RULE_SQL);
    expect(payload.actions).toEqual([
      {
        http: {
          url: 'https://portal.example/ingest',
          headers: [{ key: 'x-zw-ingest-token', value: 's3cret' }],
        },
      },
    ]);
  });
});
