import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDomainError } from '../domain/errors.js';
import { keyErrorReason } from './key-errors.js';
import { createKeyVault, WRAP_PURPOSE } from './key-vault.js';
import { caught, leakedKeys, render } from './key-test-kit.js';
import { KmsMasterKey } from './kms-master-key.js';
import { startFakeKms, type FakeKms } from './kms-test-kit.js';
import { rotateAll } from './rotate-all.js';

let kms: FakeKms;
beforeAll(async () => {
  kms = await startFakeKms();
});
afterAll(() => kms.close());
beforeEach(() => {
  kms.requests.length = 0;
});

const ctx = { purpose: WRAP_PURPOSE, partnerId: 'stadtwerke-x' };
const meter = { partnerId: 'stadtwerke-x', meterIdentity: 'KAM-12345678-1B-04' };
const ops = () => kms.requests.map((r) => r.operation);

describe('KmsMasterKey', () => {
  it('asks KMS for a data key and to decrypt it, with the context as EncryptionContext', async () => {
    const arn = kms.createKey();
    const mk = new KmsMasterKey({ client: kms.client(), keyId: arn });
    const dataKey = await mk.generateDataKey(ctx);
    expect(dataKey.plain).toHaveLength(32);
    expect(dataKey.wrapped.masterKeyId).toBe(arn);
    expect(
      await mk.unwrap(dataKey.wrapped, { partnerId: ctx.partnerId, purpose: ctx.purpose }),
    ).toEqual(dataKey.plain);

    const [generate, decrypt] = kms.requests;
    expect(generate?.headers['x-amz-target']).toBe('TrentService.GenerateDataKey');
    expect(generate?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(generate?.body).toEqual({ KeyId: arn, KeySpec: 'AES_256', EncryptionContext: ctx });
    expect(decrypt?.headers['x-amz-target']).toBe('TrentService.Decrypt');
    expect(decrypt?.body).toMatchObject({ KeyId: arn, EncryptionContext: ctx });
    expect(Buffer.from(String(decrypt?.body['CiphertextBlob']), 'base64')).toEqual(
      Buffer.from(dataKey.wrapped.blob),
    );
  });

  it('wraps with Encrypt', async () => {
    const arn = kms.createKey();
    const mk = new KmsMasterKey({ client: kms.client(), keyId: arn });
    const plain = new Uint8Array(randomBytes(32));
    const wrapped = await mk.wrap(plain, ctx);
    expect(kms.requests[0]?.operation).toBe('Encrypt');
    expect(kms.requests[0]?.body).toMatchObject({ KeyId: arn, EncryptionContext: ctx });
    expect(await mk.unwrap(wrapped, ctx)).toEqual(plain);
  });

  it('cannot unwrap for another partner: KMS checks the context', async () => {
    const mk = new KmsMasterKey({ client: kms.client(), keyId: kms.createKey() });
    const { wrapped } = await mk.generateDataKey(ctx);
    const err = await caught(() => mk.unwrap(wrapped, { ...ctx, partnerId: 'other' }));
    expect(keyErrorReason(err)).toBe('unwrap-failed');
    expect((err as { details: unknown }).details).toMatchObject({
      awsError: 'InvalidCiphertextException',
      httpStatusCode: 400,
    });
  });

  it('maps KMS failures to reasons, without the SDK error and without key material', async () => {
    const arn = kms.createKey();
    const mk = new KmsMasterKey({ client: kms.client(), keyId: arn });
    const plain = new Uint8Array(randomBytes(32));
    const wrapped = await mk.wrap(plain, ctx);

    kms.override('Encrypt', {
      status: 400,
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
    });
    const throttled = await caught(() => mk.wrap(plain, ctx));
    expect(keyErrorReason(throttled)).toBe('key-service-unavailable');
    expect(isDomainError(throttled) && throttled.code).toBe('SERVICE_UNAVAILABLE');

    kms.override('Decrypt', {
      status: 400,
      body: { __type: 'AccessDeniedException', message: 'no' },
    });
    const denied = await caught(() => mk.unwrap(wrapped, ctx));
    expect(keyErrorReason(denied)).toBe('key-service-refused');

    kms.override('Encrypt', { status: 500, body: { __type: 'KMSInternalException', message: '' } });
    const internal = await caught(() => mk.wrap(plain, ctx));
    expect(keyErrorReason(internal)).toBe('key-service-unavailable');

    const offline = new KmsMasterKey({
      client: (await startFakeKmsThenClose()).client(),
      keyId: arn,
    });
    const unreachable = await caught(() => offline.wrap(plain, ctx));
    expect(keyErrorReason(unreachable)).toBe('key-service-unavailable');

    kms.disableKey(arn);
    const disabled = await caught(() => mk.unwrap(wrapped, ctx));
    expect(keyErrorReason(disabled)).toBe('key-service-refused');

    for (const err of [throttled, denied, internal, unreachable, disabled]) {
      expect((err as Error).cause).toBeUndefined();
      expect(leakedKeys(render(err), [plain])).toEqual([]);
    }
  });

  it('refuses aliases, which could later point at another key', () => {
    for (const keyId of ['alias/zw', `arn:aws:kms:eu-central-1:123456789012:alias/zw`, '']) {
      expect(() => new KmsMasterKey({ client: kms.client(), keyId })).toThrow(RangeError);
    }
  });
});

describe('KeyVault over KMS', () => {
  it('asks KMS once per data key, not once per open', async () => {
    const mk = new KmsMasterKey({ client: kms.client(), keyId: kms.createKey() });
    const vault = createKeyVault({ masterKey: mk });
    const key = new Uint8Array(randomBytes(16));
    const sealed = await vault.seal(key, meter);
    vault.clearCache();
    for (let i = 0; i < 5; i++) expect(await vault.open(sealed, meter)).toEqual(key);
    expect(ops()).toEqual(['GenerateDataKey', 'Decrypt']);
    expect(kms.requests[0]?.body['EncryptionContext']).toEqual({
      purpose: WRAP_PURPOSE,
      partnerId: meter.partnerId,
    });
  });

  it('moves to a new KMS key: old blobs open, rotateAll rewraps, then the old key retires', async () => {
    const k1 = kms.createKey();
    const k2 = kms.createKey();
    const vault1 = createKeyVault({
      masterKey: new KmsMasterKey({ client: kms.client(), keyId: k1 }),
    });
    const keys = [0, 1, 2].map(() => new Uint8Array(randomBytes(16)));
    const meters = keys.map((_, i) => ({ ...meter, meterIdentity: `m${i}` }));
    const table = await Promise.all(keys.map((k, i) => vault1.seal(k, meters[i]!)));

    // Deploy with k2 current and k1 still accepted.
    const vault2 = createKeyVault({
      masterKey: new KmsMasterKey({ client: kms.client(), keyId: k2, previousKeyIds: [k1] }),
    });
    expect(await vault2.open(table[0]!, meters[0]!)).toEqual(keys[0]);
    kms.requests.length = 0;
    const report = await rotateAll(
      vault2,
      table.map((sealed, i) => ({ sealed, i })),
      async (item, rewrapped) => {
        table[item.i] = rewrapped;
      },
    );
    expect(report).toMatchObject({ rewrapped: 3, failed: 0, byMasterKey: { [k1]: 3 } });
    expect(new Set(kms.requests.map((r) => `${r.operation} ${String(r.body['KeyId'])}`))).toEqual(
      new Set([`Decrypt ${k1}`, `Encrypt ${k2}`]),
    );

    // Deploy with k2 only: the rewrapped blobs open, an old copy fails without asking KMS.
    const vault3 = createKeyVault({
      masterKey: new KmsMasterKey({ client: kms.client(), keyId: k2 }),
    });
    const old = await vault1.seal(keys[0]!, meters[0]!);
    kms.requests.length = 0;
    const err = await caught(() => vault3.open(old, meters[0]!));
    expect(keyErrorReason(err)).toBe('master-key-unknown');
    expect((err as Error).message).toContain(k1);
    expect(kms.requests).toEqual([]);
    for (const [i, sealed] of table.entries()) {
      expect(await vault3.open(sealed, meters[i]!)).toEqual(keys[i]);
    }
  });
});

async function startFakeKmsThenClose(): Promise<FakeKms> {
  const gone = await startFakeKms();
  await gone.close();
  return gone;
}
