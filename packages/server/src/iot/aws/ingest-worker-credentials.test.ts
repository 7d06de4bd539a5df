import { createPublicKey, X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAwsIot, type FakeAwsIot, type RecordedRequest } from './aws-test-kit.js';
import { createAwsIngestWorkerCredentials } from './ingest-worker-credentials.js';

let fake: FakeAwsIot;
beforeEach(async () => {
  fake = await startFakeAwsIot();
});
afterEach(() => fake.close());

const line = (r: RecordedRequest) => {
  const query = new URLSearchParams(r.query).toString();
  return `${r.method} ${r.path}${query ? `?${query}` : ''}`;
};

describe('createAwsIngestWorkerCredentials', () => {
  it('makes an active certificate with its key and attaches the worker policy to it', async () => {
    const made = await createAwsIngestWorkerCredentials(fake.clients().iot, { name: 'w1' });
    expect(made.clientId).toBe('zw-ingest-w1');
    expect(fake.requests.map(line)).toEqual([
      'POST /keys-and-certificate?setAsActive=true',
      'PUT /target-policies/zw-ingest-worker',
    ]);
    expect(JSON.parse(fake.requests[1]!.body)).toEqual({ target: made.certificateArn });
    expect(fake.policyTargets.get('zw-ingest-worker')).toEqual([made.certificateArn]);
    expect(fake.certificates.get(made.certificateId)?.status).toBe('ACTIVE');
    // The key is the certificate's.
    const fromCertificate = new X509Certificate(made.certificatePem).publicKey;
    expect(createPublicKey(made.privateKeyPem).export({ type: 'spki', format: 'der' })).toEqual(
      fromCertificate.export({ type: 'spki', format: 'der' }),
    );
  });

  it('refuses a bad name before calling AWS', async () => {
    await expect(
      createAwsIngestWorkerCredentials(fake.clients().iot, { name: 'no spaces' }),
    ).rejects.toThrow(/Ingest worker name/);
    expect(fake.requests).toEqual([]);
  });

  it('deletes the certificate again when the policy cannot be attached', async () => {
    fake.override('PUT', /^\/target-policies\//, {
      status: 404,
      errorType: 'ResourceNotFoundException',
      body: { message: 'policy not found' },
    });
    const failure = await createAwsIngestWorkerCredentials(fake.clients().iot, {
      name: 'w1',
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'ResourceNotFoundException' });
    const lines = fake.requests.map(line);
    expect(lines[0]).toBe('POST /keys-and-certificate?setAsActive=true');
    expect(lines[1]).toBe('PUT /target-policies/zw-ingest-worker');
    expect(lines[2]).toMatch(/^PUT \/certificates\/[0-9a-f]{64}\?newStatus=INACTIVE$/);
    expect(lines[3]).toMatch(/^DELETE \/certificates\/[0-9a-f]{64}$/);
    expect(fake.certificates.size).toBe(0);
  });

  it('names the certificate it could not delete', async () => {
    fake.override('PUT', /^\/target-policies\//, {
      status: 403,
      errorType: 'UnauthorizedException',
      body: { message: 'not allowed' },
    });
    fake.override('DELETE', /^\/certificates\//, {
      status: 409,
      errorType: 'CertificateStateException',
      body: { message: 'still active' },
    });
    const failure = (await createAwsIngestWorkerCredentials(fake.clients().iot, {
      name: 'w1',
    }).catch((e: unknown) => e)) as Error;
    const [certificateId] = [...fake.certificates.keys()];
    expect(failure.message).toContain(`certificate ${certificateId} could not be deleted`);
    expect(failure.cause).toMatchObject({ name: 'UnauthorizedException' });
  });
});
