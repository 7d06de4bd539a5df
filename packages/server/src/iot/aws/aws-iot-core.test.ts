import { CreateCertificateFromCsrCommand } from '@aws-sdk/client-iot';
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

/** Registers through the adapter (the fake keeps what AWS would), then forgets the requests. */
async function seed(thingName: string, partnerId = 'stadtwerke-x', organisationId = 'org-7') {
  const gateway = await iot.registerGateway({ thingName, partnerId, organisationId, csrPem });
  fake.requests.length = 0;
  return gateway;
}

const certArn = (id: string) => `arn:aws:iot:eu-central-1:123456789012:cert/${id}`;

describe('getGateway', () => {
  it('describes the thing and each certificate attached to it, newest first', async () => {
    const registered = await seed('solvimus-GW-0042');
    const first = registered.certificates[0]!;
    // A second certificate, as a rotation leaves it, then deactivated by the operator.
    const created = await fake.clients().iot.send(
      new CreateCertificateFromCsrCommand({
        certificateSigningRequest: csrPem,
        setAsActive: false,
      }),
    );
    const second = created.certificateId!;
    fake.principals.get('solvimus-GW-0042')!.push(certArn(second));
    // Other principal kinds may be attached to a thing; they are no certificates.
    fake.principals
      .get('solvimus-GW-0042')!
      .push('arn:aws:cognito-identity:eu-central-1:123456789012:identitypool/x');
    fake.requests.length = 0;

    const gateway = await iot.getGateway('solvimus-GW-0042');
    expect(fake.requests.map(line)).toEqual([
      'GET /things/solvimus-GW-0042',
      'GET /things/solvimus-GW-0042/principals',
      `GET /certificates/${first.certificateId}`,
      `GET /certificates/${second}`,
    ]);
    expect(gateway).toEqual({
      thingName: 'solvimus-GW-0042',
      partnerId: 'stadtwerke-x',
      organisationId: 'org-7',
      certificates: [
        {
          certificateId: second,
          certificatePem: created.certificatePem,
          status: 'INACTIVE',
          notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
        },
        first,
      ],
      // AWS's registry has no connection time (README, "Last connection").
      lastConnectedAt: null,
    });
  });

  it('answers null for no thing, a thing that is no gateway of ours, and an impossible name', async () => {
    expect(await iot.getGateway('gw-missing')).toBeNull();
    fake.things.set('lamp-1', { thingName: 'lamp-1', attributes: { room: 'hall' }, version: 1 });
    expect(await iot.getGateway('lamp-1')).toBeNull();
    expect(await iot.getGateway('a/b')).toBeNull();
    expect(fake.requests.map(line)).toEqual(['GET /things/gw-missing', 'GET /things/lamp-1']);
  });

  it("reports AWS's other statuses as INACTIVE: none of them can connect", async () => {
    const { certificates } = await seed('gw-1');
    fake.certificates.get(certificates[0]!.certificateId)!.status = 'PENDING_TRANSFER';
    expect((await iot.getGateway('gw-1'))?.certificates[0]?.status).toBe('INACTIVE');
  });

  it('passes on a throttled lookup as RATE_LIMITED', async () => {
    await seed('gw-1');
    fake.override('GET', /\/principals$/, {
      status: 429,
      errorType: 'ThrottlingException',
      body: { message: 'Rate exceeded' },
    });
    await expect(iot.getGateway('gw-1')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('listGateways', () => {
  /** All pages, following the cursor; each page's names. */
  async function allPages(partnerId: string, options: { organisationId?: string; limit?: number }) {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await iot.listGateways(partnerId, {
        ...options,
        ...(cursor === undefined ? {} : { cursor }),
      });
      pages.push(page.items.map((g) => g.thingName));
      cursor = page.cursor;
    } while (cursor !== undefined);
    return pages;
  }

  it("lists a partner's things by the partnerId attribute, with their certificates", async () => {
    for (const name of ['gw-a', 'gw-b', 'gw-c']) await seed(name);
    await seed('gw-rival', 'rival', 'org-7');

    const first = await iot.listGateways('stadtwerke-x', { limit: 2 });
    expect(first.items.map((g) => g.thingName)).toEqual(['gw-a', 'gw-b']);
    expect(first.items[0]).toEqual({
      thingName: 'gw-a',
      partnerId: 'stadtwerke-x',
      organisationId: 'org-7',
      certificates: [expect.objectContaining({ status: 'ACTIVE' })],
      lastConnectedAt: null,
    });
    const requests = fake.requests.map(line);
    expect(requests[0]).toBe(
      'GET /things?attributeName=partnerId&attributeValue=stadtwerke-x&maxResults=2',
    );
    // Per gateway: its principals, then each certificate.
    expect(requests.slice(1).sort()).toEqual(
      [
        'GET /things/gw-a/principals',
        'GET /things/gw-b/principals',
        `GET /certificates/${first.items[0]!.certificates[0]!.certificateId}`,
        `GET /certificates/${first.items[1]!.certificates[0]!.certificateId}`,
      ].sort(),
    );

    fake.requests.length = 0;
    const second = await iot.listGateways('stadtwerke-x', {
      limit: 2,
      cursor: first.cursor as string,
    });
    expect(second.items.map((g) => g.thingName)).toEqual(['gw-c']);
    expect(second.cursor).toBeUndefined();
    expect(fake.requests[0]!.query).toMatchObject({
      attributeName: 'partnerId',
      maxResults: '2',
      nextToken: expect.any(String),
    });
  });

  it("filters by the organisationId attribute and drops what is not the partner's", async () => {
    await seed('gw-1');
    await seed('gw-2', 'rival', 'org-7'); // the same organisation id under another partner
    await seed('gw-3');
    await seed('gw-4', 'stadtwerke-x', 'org-8');
    await seed('gw-5');

    expect(await allPages('stadtwerke-x', { organisationId: 'org-7', limit: 2 })).toEqual([
      ['gw-1', 'gw-3'],
      ['gw-5'],
    ]);
    // AWS's pages: [gw-1, gw-2 (dropped)], [gw-3, gw-5]. Our first page takes gw-3 from
    // AWS's second one; our second page asks for that same page again and skips gw-3.
    const listings = fake.requests.filter((r) => r.path === '/things').map((r) => r.query);
    const filter = { attributeName: 'organisationId', attributeValue: 'org-7', maxResults: '2' };
    expect(listings).toEqual([
      filter,
      { ...filter, nextToken: expect.any(String) },
      { ...filter, nextToken: listings[1]?.['nextToken'] },
    ]);
    expect(await allPages('rival', { organisationId: 'org-7' })).toEqual([['gw-2']]);
  });

  it('pages through every gateway exactly once, whatever the page size', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `gw-${i}`);
    for (const [i, name] of names.entries()) {
      await seed(name, i % 3 === 0 ? 'rival' : 'stadtwerke-x', i % 2 === 0 ? 'org-7' : 'org-8');
    }
    const ours = names.filter((_, i) => i % 3 !== 0);
    for (const limit of [1, 2, 3, 50]) {
      expect((await allPages('stadtwerke-x', { limit })).flat()).toEqual(ours);
      expect((await allPages('stadtwerke-x', { limit, organisationId: 'org-8' })).flat()).toEqual(
        ours.filter((n) => Number(n.slice(3)) % 2 === 1),
      );
    }
  });

  it('leaves out a thing deleted while the list was being read', async () => {
    await seed('gw-1');
    await seed('gw-2');
    fake.override('GET', /^\/things\/gw-1\/principals$/, {
      status: 404,
      errorType: 'ResourceNotFoundException',
      body: { message: 'no such thing' },
    });
    const page = await iot.listGateways('stadtwerke-x');
    expect(page.items.map((g) => g.thingName)).toEqual(['gw-2']);
  });

  it("answers early, with a cursor, while AWS's pages hold only other partners' things", async () => {
    for (let i = 0; i < 6; i++) await seed(`gw-a${i}`, 'rival', 'org-7');
    await seed('gw-z');
    const first = await iot.listGateways('stadtwerke-x', { organisationId: 'org-7', limit: 1 });
    expect(first.items).toEqual([]);
    expect(fake.requests.filter((r) => r.path === '/things')).toHaveLength(5);
    const second = await iot.listGateways('stadtwerke-x', {
      organisationId: 'org-7',
      limit: 1,
      cursor: first.cursor as string,
    });
    expect(second.items.map((g) => g.thingName)).toEqual(['gw-z']);
    expect(second.cursor).toBeUndefined();
  });

  it("refuses another list's cursor, a forged one and a bad limit before calling AWS", async () => {
    await seed('gw-1');
    await seed('gw-2');
    const { cursor } = await iot.listGateways('stadtwerke-x', { limit: 1 });
    fake.requests.length = 0;
    const forged = Buffer.from(
      JSON.stringify({ p: 'stadtwerke-x', o: null, t: null, k: -1, m: 1 }),
    ).toString('base64url');
    for (const attempt of [
      iot.listGateways('rival', { cursor: cursor as string }),
      iot.listGateways('stadtwerke-x', { cursor: cursor as string, organisationId: 'org-7' }),
      iot.listGateways('stadtwerke-x', { cursor: forged }),
      iot.listGateways('stadtwerke-x', { cursor: 'not-a-cursor' }),
      iot.listGateways('stadtwerke-x', { limit: 0 }),
      iot.listGateways(''),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(fake.requests).toEqual([]);
  });
});

describe('rotateCertificate', () => {
  it('attaches a new ACTIVE certificate to the same thing and leaves the old one ACTIVE', async () => {
    const { certificates } = await seed('solvimus-GW-0042');
    const old = certificates[0]!;

    const rotated = await iot.rotateCertificate('solvimus-GW-0042', csrPem);
    const id = rotated.certificateId;
    expect(rotated).toEqual({
      certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
      certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
      status: 'ACTIVE',
      notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
    });
    expect(id).not.toBe(old.certificateId);
    expect(fake.requests.map(line)).toEqual([
      // The gateway as it is, for the rotation rule.
      'GET /things/solvimus-GW-0042',
      'GET /things/solvimus-GW-0042/principals',
      `GET /certificates/${old.certificateId}`,
      'POST /certificates?setAsActive=true',
      'PUT /target-policies/zw-gateway-v1',
      'PUT /things/solvimus-GW-0042/principals',
    ]);
    expect(json(fake.requests[3])).toEqual({ certificateSigningRequest: csrPem });
    expect(json(fake.requests[4])).toEqual({ target: certArn(id) });
    expect(fake.requests[5]!.headers['x-amzn-principal']).toBe(certArn(id));

    const gateway = await iot.getGateway('solvimus-GW-0042');
    expect(gateway?.certificates.map((c) => [c.certificateId, c.status])).toEqual([
      [id, 'ACTIVE'],
      [old.certificateId, 'ACTIVE'],
    ]);
  });

  it('refuses a third active certificate with CONFLICT, and rotates once the old one is off', async () => {
    const { certificates } = await seed('gw-1');
    await iot.rotateCertificate('gw-1', csrPem);
    fake.requests.length = 0;
    await expect(iot.rotateCertificate('gw-1', csrPem)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'TOO_MANY_ACTIVE_CERTIFICATES' },
    });
    expect(fake.requests.some((r) => r.method !== 'GET')).toBe(false);

    await iot.setCertificateStatus(certificates[0]!.certificateId, 'REVOKED');
    await expect(iot.rotateCertificate('gw-1', csrPem)).resolves.toMatchObject({
      status: 'ACTIVE',
    });
  });

  it('refuses an unknown gateway (NOT_FOUND) and a retired one (CONFLICT) without creating anything', async () => {
    await expect(iot.rotateCertificate('gw-missing', csrPem)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const { certificates } = await seed('gw-1');
    await iot.setCertificateStatus(certificates[0]!.certificateId, 'REVOKED');
    fake.requests.length = 0;
    await expect(iot.rotateCertificate('gw-1', csrPem)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'GATEWAY_RETIRED' },
    });
    expect(fake.requests.some((r) => r.method !== 'GET')).toBe(false);
  });

  it('undoes the new certificate, and only it, when AttachThingPrincipal fails', async () => {
    const { certificates } = await seed('gw-1');
    fake.override('PUT', /\/principals$/, {
      status: 500,
      errorType: 'InternalFailureException',
      body: { message: 'boom' },
    });
    const err: unknown = await iot.rotateCertificate('gw-1', csrPem).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InternalFailureException' });

    const create = fake.requests.findIndex((r) => r.path === '/certificates');
    const { target } = json(fake.requests[create + 1]) as { target: string };
    const id = target.split('/').pop()!;
    expect(fake.requests.slice(create + 3).map(line)).toEqual([
      `PUT /certificates/${id}?newStatus=INACTIVE`,
      'DELETE /things/gw-1/principals',
      'POST /target-policies/zw-gateway-v1',
      `DELETE /certificates/${id}`,
    ]);
    // The gateway keeps its thing and its working certificate.
    expect(fake.things.has('gw-1')).toBe(true);
    expect(fake.certificates.has(id)).toBe(false);
    expect(await iot.getGateway('gw-1')).toMatchObject({
      certificates: [{ certificateId: certificates[0]!.certificateId, status: 'ACTIVE' }],
    });
  });

  it('maps a CSR AWS refuses to VALIDATION_FAILED and leaves nothing', async () => {
    await seed('gw-1');
    fake.override('POST', /^\/certificates$/, {
      status: 400,
      errorType: 'InvalidRequestException',
      body: { message: 'The certificate signing request is not valid' },
    });
    await expect(iot.rotateCertificate('gw-1', 'not a CSR')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/certificates' });
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
