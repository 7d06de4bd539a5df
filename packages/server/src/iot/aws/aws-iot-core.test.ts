import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeGatewayCsr } from '../local/pki/pki-test-kit.js';
import { AwsIotCore, dataPlaneEndpoint } from './aws-iot-core.js';
import { startFakeAwsIot, type FakeAwsIot, type RecordedRequest } from './aws-test-kit.js';

let fake: FakeAwsIot;
let iot: AwsIotCore;
let csrPem: string;

beforeEach(async () => {
  fake = await startFakeAwsIot();
  iot = new AwsIotCore(fake.clients(), { rollbackRetryDelaysMs: [] });
  csrPem ??= (await makeGatewayCsr('P-256', 'CN=gw')).csrPem;
});
afterEach(() => fake.close());

const input = () => ({
  thingName: 'solvimus-GW-0042',
  partnerId: 'stadtwerke-x',
  organisationId: 'org-7',
  csrPem,
});

/** Method, path and query: what a reader compares against the API reference. */
const line = (r: RecordedRequest) => {
  const query = new URLSearchParams(r.query).toString();
  return `${r.method} ${r.path}${query ? `?${query}` : ''}`;
};
const json = (r: RecordedRequest | undefined) => JSON.parse(r?.body ?? '') as unknown;

describe('registerGateway', () => {
  it('creates the thing, a certificate from the CSR, attaches the policy and the thing', async () => {
    const gateway = await iot.registerGateway(input());

    const [cert] = gateway.certificates;
    const id = cert!.certificateId;
    const certArn = `arn:aws:iot:eu-central-1:123456789012:cert/${id}`;
    expect(fake.requests.map(line)).toEqual([
      'GET /things/solvimus-GW-0042',
      'POST /things/solvimus-GW-0042',
      'POST /certificates?setAsActive=true',
      'PUT /target-policies/zw-gateway-v1',
      'PUT /things/solvimus-GW-0042/principals',
    ]);
    const [, createThing, createCert, attachPolicy, attachThing] = fake.requests;
    expect(json(createThing)).toEqual({
      attributePayload: { attributes: { partnerId: 'stadtwerke-x', organisationId: 'org-7' } },
    });
    expect(json(createCert)).toEqual({ certificateSigningRequest: csrPem });
    expect(json(attachPolicy)).toEqual({ target: certArn });
    expect(attachThing!.headers['x-amzn-principal']).toBe(certArn);
    // Signed for the control plane's signing name in the configured region.
    expect(createThing!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-central-1\/iot\/aws4_request/,
    );

    expect(gateway).toEqual({
      thingName: 'solvimus-GW-0042',
      partnerId: 'stadtwerke-x',
      organisationId: 'org-7',
      certificates: [
        {
          certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
          certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
          status: 'ACTIVE',
          notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
        },
      ],
      lastConnectedAt: null,
    });
  });

  it('refuses a thing that already exists without touching it', async () => {
    fake.things.set('solvimus-GW-0042', { thingName: 'solvimus-GW-0042', version: 3 });
    await expect(iot.registerGateway(input())).rejects.toMatchObject({
      name: 'DomainError',
      code: 'CONFLICT',
    });
    expect(fake.requests.map(line)).toEqual(['GET /things/solvimus-GW-0042']);
  });

  it('maps a 409 ResourceAlreadyExistsException from CreateThing to CONFLICT and undoes nothing', async () => {
    fake.override('POST', /^\/things\/[^/]+$/, {
      status: 409,
      errorType: 'ResourceAlreadyExistsException',
      body: { message: 'Thing exists with different attributes', resourceId: 'solvimus-GW-0042' },
    });
    const err: unknown = await iot.registerGateway(input()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DomainError', code: 'CONFLICT' });
    expect((err as Error).message).toContain('ResourceAlreadyExistsException');
    // The thing belongs to whoever created it concurrently: no DeleteThing.
    expect(fake.requests.map(line)).toEqual([
      'GET /things/solvimus-GW-0042',
      'POST /things/solvimus-GW-0042',
    ]);
  });

  it('undoes everything when AttachThingPrincipal fails', async () => {
    fake.override('PUT', /\/principals$/, {
      status: 500,
      errorType: 'InternalFailureException',
      body: { message: 'boom' },
    });
    const err: unknown = await iot.registerGateway(input()).catch((e: unknown) => e);
    // Not one of ours: passed on as the SDK raised it.
    expect(err).toMatchObject({ name: 'InternalFailureException' });

    const create = fake.requests.find((r) => r.path === '/certificates')!;
    expect(create).toBeDefined();
    const policyAttach = fake.requests.find(
      (r) => r.method === 'PUT' && r.path.startsWith('/target-policies/'),
    );
    const { target } = json(policyAttach) as { target: string };
    const id = target.split('/').pop()!;
    const rollback = fake.requests.slice(5);
    expect(rollback.map(line)).toEqual([
      `PUT /certificates/${id}?newStatus=INACTIVE`,
      'DELETE /things/solvimus-GW-0042/principals',
      'POST /target-policies/zw-gateway-v1',
      `DELETE /certificates/${id}`,
      'DELETE /things/solvimus-GW-0042',
    ]);
    expect(rollback[1]!.headers['x-amzn-principal']).toBe(target);
    expect(json(rollback[2])).toEqual({ target });
    expect(fake.things.has('solvimus-GW-0042')).toBe(false);
  });

  it('retries a delete refused while a detach propagates', async () => {
    iot = new AwsIotCore(fake.clients(), { rollbackRetryDelaysMs: [1] });
    fake.override('PUT', /^\/target-policies\//, {
      status: 404,
      errorType: 'ResourceNotFoundException',
      body: { message: 'no such policy' },
    });
    fake.override('DELETE', /^\/things\/[^/]+$/, {
      status: 409,
      errorType: 'DeleteConflictException',
      body: { message: 'principals attached' },
    });
    await expect(iot.registerGateway(input())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(
      fake.requests.filter((r) => r.method === 'DELETE' && r.path === '/things/solvimus-GW-0042'),
    ).toHaveLength(2);
  });

  it('says what it could not undo', async () => {
    fake.override('PUT', /\/principals$/, {
      status: 400,
      errorType: 'InvalidRequestException',
      body: { message: 'bad' },
    });
    fake.override('DELETE', /^\/certificates\//, {
      status: 403,
      errorType: 'UnauthorizedException',
      body: { message: 'no' },
    });
    const err: unknown = await iot.registerGateway(input()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'DomainError',
      code: 'INTERNAL_ERROR',
      details: { leftBehind: [expect.stringMatching(/^certificate [0-9a-f]{64}$/)] },
      cause: { code: 'VALIDATION_FAILED' },
    });
  });

  it('refuses an invalid thing name before calling AWS', async () => {
    await expect(iot.registerGateway({ ...input(), thingName: 'a/b' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(fake.requests).toEqual([]);
  });
});

describe('setCertificateStatus', () => {
  it('sends UpdateCertificate with newStatus in the query', async () => {
    await iot.setCertificateStatus('ab'.repeat(32), 'REVOKED');
    expect(fake.requests.map(line)).toEqual([
      `PUT /certificates/${'ab'.repeat(32)}?newStatus=REVOKED`,
    ]);
    expect(fake.requests[0]!.body).toBe('');
  });

  it('maps a missing certificate to NOT_FOUND', async () => {
    fake.override('PUT', /^\/certificates\//, {
      status: 404,
      errorType: 'ResourceNotFoundException',
      body: { message: 'x' },
    });
    await expect(iot.setCertificateStatus('cd'.repeat(32), 'INACTIVE')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('shadows', () => {
  it('answers null for a missing shadow', async () => {
    expect(await iot.getShadow('gw-1')).toBeNull();
    expect(fake.requests.map(line)).toEqual(['GET /things/gw-1/shadow']);
    // The data plane signs with its own service name.
    expect(fake.requests[0]!.headers.authorization).toContain('/eu-central-1/iotdata/aws4_request');
  });

  it('writes desired state to a named shadow and reads it back as JSON', async () => {
    const response = await iot.updateDesired(
      'gw-1',
      { uploadIntervalS: 900, logLevel: null },
      'zw-config',
    );
    expect(response).toMatchObject({
      state: { desired: { uploadIntervalS: 900, logLevel: null } },
      version: 1,
    });
    expect(line(fake.requests[0]!)).toBe('POST /things/gw-1/shadow?name=zw-config');
    expect(json(fake.requests[0])).toEqual({
      state: { desired: { uploadIntervalS: 900, logLevel: null } },
    });

    expect(await iot.getShadow('gw-1', 'zw-config')).toMatchObject({
      state: { desired: { uploadIntervalS: 900 } },
      version: 1,
    });
    expect(line(fake.requests[1]!)).toBe('GET /things/gw-1/shadow?name=zw-config');
    expect(await iot.getShadow('gw-1')).toBeNull();
  });

  it('maps a version conflict to CONFLICT', async () => {
    fake.override('POST', /\/shadow$/, {
      status: 409,
      errorType: 'ConflictException',
      body: { message: 'Version conflict' },
    });
    await expect(iot.updateDesired('gw-1', { a: 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('publishing to a gateway', () => {
  it('publishes through the data plane with QoS 1, not retained', async () => {
    await iot.publish('zw/v1/gw/gw-1/errors', '{"code":"INVALID_JSON"}');
    const request = fake.requests[0]!;
    expect(request.method).toBe('POST');
    expect(decodeURIComponent(request.path)).toBe('/topics/zw/v1/gw/gw-1/errors');
    expect(request.query).toMatchObject({ qos: '1', retain: 'false' });
    expect(request.body).toBe('{"code":"INVALID_JSON"}');
    expect(request.headers.authorization).toContain('/iotdata/aws4_request');
  });
});

describe('telegram batches', () => {
  const batch = {
    thingName: 'gw-1',
    topic: 'zw/v1/gw/gw-1/telegrams',
    payload: new Uint8Array([1, 2, 3]),
    receivedAt: '2025-01-01T00:00:00.000Z',
  };

  it('hands a delivered batch to the registered handlers until they unsubscribe', async () => {
    const seen: unknown[] = [];
    const off = iot.onTelegramBatch(async (b) => {
      seen.push(b);
    });
    await iot.deliver(batch);
    expect(seen).toEqual([batch]);
    off();
    await expect(iot.deliver(batch)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('fails the delivery when the handler fails, so the route answers an error', async () => {
    iot.onTelegramBatch(() => Promise.reject(new Error('store down')));
    await expect(iot.deliver(batch)).rejects.toThrow('store down');
  });

  it('confirms the ingest destination with the token AWS sent', async () => {
    await iot.confirmIngestDestination('AYADeMXLrPrNY2wq');
    expect(fake.requests.map(line)).toEqual(['GET /confirmdestination/AYADeMXLrPrNY2wq']);
  });
});

describe('dataPlaneEndpoint', () => {
  it('asks DescribeEndpoint for the ATS data endpoint', async () => {
    expect(await dataPlaneEndpoint(fake.clients().iot)).toBe(
      'https://abc123-ats.iot.eu-central-1.amazonaws.com',
    );
    expect(fake.requests.map(line)).toEqual(['GET /endpoint?endpointType=iot%3AData-ATS']);
  });
});
