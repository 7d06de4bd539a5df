import { topics } from '@zaehlwerk/firmware-contract';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { FakeAwsIot } from '../src/iot/aws/aws-test-kit.js';
import { useFakeAwsIot } from './ports/fake-aws-iot.js';
import { makeGatewayCsr } from '../src/iot/local/pki/pki-test-kit.js';
import { startPlatform, type Platform } from '../src/main.js';

const TOKEN = 'a-long-enough-ingest-secret-for-tests-0123456789';
// OMS Vol. 2 Annex N example frame, CRCs stripped (format A).
const FRAME =
  '2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3';

/** A body as the zw_ingest rule's SQL makes it (see src/iot/aws/README.md). */
function ruleBody(payload: string, thing = 'gw-aws-1') {
  return {
    payload: Buffer.from(payload).toString('base64'),
    topic: `zw/v1/gw/${thing}/telegrams`,
    clientId: thing,
    principal: 'ab'.repeat(32),
    receivedAt: Date.parse('2025-01-15T06:01:00Z'),
  };
}

describe('startPlatform with AWS IoT Core (--iot aws)', () => {
  const aws = useFakeAwsIot();
  let fake: FakeAwsIot;
  let platform: Platform;

  beforeAll(async () => {
    fake = aws.fake();
    platform = await startPlatform(
      parseConfig(
        [
          '--port',
          '0',
          '--log-level',
          'silent',
          '--iot',
          'aws',
          '--aws-iot-endpoint',
          fake.url,
          '--aws-iot-data-endpoint',
          fake.url,
          '--ingest-token',
          TOKEN,
        ],
        {},
      ),
    );
  });
  afterAll(async () => {
    await platform.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  const post = (body: unknown, token: string | null = TOKEN) =>
    fetch(`${platform.url}/v1/iot/rules/zw_ingest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { 'x-zw-ingest-token': token }),
      },
      body: JSON.stringify(body),
    });

  it('runs no broker and registers gateways in AWS', async () => {
    expect(platform.local).toBeNull();
    // The fake signs every CSR as AWS would for a subject of "CN=gw" (see aws-test-kit.ts).
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw');
    await platform.iot.registerGateway({
      thingName: 'gw-aws-1',
      partnerId: 'acme',
      organisationId: 'org-1',
      csrPem,
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toContain('POST /things/gw-aws-1');
  });

  it('refuses rule deliveries without the right token, and tells no one why in detail', async () => {
    for (const token of [null, 'wrong', TOKEN.slice(0, -1)]) {
      const res = await post(ruleBody('{}'), token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
    expect(fake.requests).toEqual([]);
  });

  it("confirms the rule's HTTP destination with the token AWS sent", async () => {
    const res = await post({
      arn: 'arn:aws:iot:eu-central-1:123456789012:ruledestination/http/abc',
      confirmationToken: 'AYADeMXL',
      enableUrl: 'https://iot.eu-central-1.amazonaws.com/confirmdestination/AYADeMXL',
      messageType: 'DestinationConfirmation',
    });
    expect(res.status).toBe(204);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /confirmdestination/AYADeMXL',
    ]);
  });

  it('takes a batch that keeps the contract, and answers one that breaks it through the data plane', async () => {
    const good = {
      contractVersion: '1',
      gatewaySeq: 1,
      sentAt: '2025-01-15T06:00:59Z',
      frames: [
        {
          frame: FRAME,
          crc: 'stripped',
          receivedAt: '2025-01-15T06:00:10Z',
          rssi: -70,
          mode: 'T1',
        },
      ],
    };
    expect((await post(ruleBody(JSON.stringify(good)))).status).toBe(204);
    // The ingest asks the registry who owns the gateway (its attributes), and nothing else.
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /things/gw-aws-1']);
    fake.requests.length = 0;

    expect((await post(ruleBody('{"gatewaySeq": 2, "frames": []}'))).status).toBe(204);
    const [answer] = fake.requests;
    expect(decodeURIComponent(answer!.path)).toBe(`/topics/${topics.errors('gw-aws-1')}`);
    expect(JSON.parse(answer!.body)).toMatchObject({ code: 'SCHEMA_VIOLATION', gatewaySeq: 2 });
  });

  it('refuses a body the rule cannot have sent', async () => {
    const res = await post({ ...ruleBody('{}'), clientId: 'someone-else' });
    expect(res.status).toBe(403);
    expect((await post({ payload: 'not base64!' })).status).toBe(400);
  });
});
