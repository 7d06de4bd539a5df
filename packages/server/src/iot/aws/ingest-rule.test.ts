import { describe, expect, it } from 'vitest';
import { ingestTopicRulePayload, parseRuleRequest } from './ingest-rule.js';

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
