/**
 * Test helper: a loopback HTTP server that answers as AWS KMS does (AWS JSON
 * 1.1: POST / with `X-Amz-Target: TrentService.<Operation>`, base64 blobs,
 * errors as `{"__type", "message"}`), really encrypts with local AES keys,
 * checks the EncryptionContext and KeyId on Decrypt as KMS does, and records
 * every request so tests can assert what the SDK sent. Not used by production
 * code.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';

export interface KmsRequest {
  /** The operation, from X-Amz-Target without `TrentService.`. */
  operation: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface KmsReply {
  status: number;
  body: Record<string, unknown>;
}

interface FakeKey {
  id: string;
  arn: string;
  material: Buffer;
  enabled: boolean;
}

export interface FakeKms {
  url: string;
  requests: KmsRequest[];
  /** Creates a symmetric key and returns its ARN. */
  createKey(): string;
  disableKey(arn: string): void;
  /** The next `times` requests for `operation` get `reply` instead of an answer. */
  override(operation: string, reply: KmsReply, times?: number): void;
  client(): KMSClient;
  close(): Promise<void>;
}

const fail = (status: number, type: string, message: string): KmsReply => ({
  status,
  body: { __type: type, message },
});

/** Sorted pairs, so that the context's order never matters, as with KMS. */
function aad(context: unknown): Buffer {
  const entries = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return Buffer.from(JSON.stringify(entries));
}

export async function startFakeKms(): Promise<FakeKms> {
  const keys = new Map<string, FakeKey>();
  const requests: KmsRequest[] = [];
  const overrides: { operation: string; reply: KmsReply; times: number }[] = [];

  const find = (keyId: unknown): FakeKey | undefined => {
    if (typeof keyId !== 'string') return undefined;
    return keys.get(keyId) ?? [...keys.values()].find((k) => k.arn === keyId);
  };

  function encrypt(key: FakeKey, plain: Buffer, context: unknown): Buffer {
    // Like a real KMS blob, it names its key, so Decrypt works without KeyId.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const id = Buffer.from(key.id);
    return Buffer.concat([Buffer.of(id.length), id, iv, body, cipher.getAuthTag()]);
  }

  function usable(keyId: unknown): FakeKey | KmsReply {
    const key = find(keyId);
    if (key === undefined)
      return fail(400, 'NotFoundException', `Key '${String(keyId)}' does not exist`);
    if (!key.enabled) return fail(400, 'DisabledException', `${key.arn} is disabled.`);
    return key;
  }

  function answer(operation: string, body: Record<string, unknown>): KmsReply {
    switch (operation) {
      case 'GenerateDataKey': {
        const key = usable(body['KeyId']);
        if ('status' in key) return key;
        const bytes =
          body['KeySpec'] === 'AES_128'
            ? 16
            : body['KeySpec'] === 'AES_256'
              ? 32
              : Number(body['NumberOfBytes']);
        if (!(bytes >= 1 && bytes <= 1024))
          return fail(400, 'ValidationException', 'KeySpec or NumberOfBytes required');
        const plain = randomBytes(bytes);
        return {
          status: 200,
          body: {
            KeyId: key.arn,
            Plaintext: plain.toString('base64'),
            CiphertextBlob: encrypt(key, plain, body['EncryptionContext']).toString('base64'),
          },
        };
      }
      case 'Encrypt': {
        const key = usable(body['KeyId']);
        if ('status' in key) return key;
        const plain = Buffer.from(String(body['Plaintext']), 'base64');
        return {
          status: 200,
          body: {
            KeyId: key.arn,
            CiphertextBlob: encrypt(key, plain, body['EncryptionContext']).toString('base64'),
            EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          },
        };
      }
      case 'Decrypt': {
        const blob = Buffer.from(String(body['CiphertextBlob']), 'base64');
        const idLength = blob[0] ?? 0;
        const owner = keys.get(blob.subarray(1, 1 + idLength).toString());
        if (owner === undefined || blob.length < 1 + idLength + 12 + 16) {
          return fail(400, 'InvalidCiphertextException', '');
        }
        if (body['KeyId'] !== undefined) {
          const named = find(body['KeyId']);
          if (named === undefined) return fail(400, 'NotFoundException', 'Key does not exist');
          if (named !== owner) {
            return fail(
              400,
              'IncorrectKeyException',
              'The key ID in the request does not identify a CMK that can perform this operation.',
            );
          }
        }
        if (!owner.enabled) return fail(400, 'DisabledException', `${owner.arn} is disabled.`);
        const iv = blob.subarray(1 + idLength, 13 + idLength);
        const decipher = createDecipheriv('aes-256-gcm', owner.material, iv);
        decipher.setAAD(aad(body['EncryptionContext']));
        decipher.setAuthTag(blob.subarray(blob.length - 16));
        try {
          const plain = Buffer.concat([
            decipher.update(blob.subarray(13 + idLength, blob.length - 16)),
            decipher.final(),
          ]);
          return {
            status: 200,
            body: {
              KeyId: owner.arn,
              Plaintext: plain.toString('base64'),
              EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
            },
          };
        } catch {
          // KMS says no more than this when the context does not match.
          return fail(400, 'InvalidCiphertextException', '');
        }
      }
      default:
        return fail(400, 'UnknownOperationException', `fake has no ${operation}`);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^TrentService\./, '');
      const text = Buffer.concat(chunks).toString('utf8');
      const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      requests.push({ operation, headers: req.headers, body });
      let reply: KmsReply;
      const i = overrides.findIndex((o) => o.operation === operation);
      if (req.method !== 'POST' || req.url !== '/' || !target.startsWith('TrentService.')) {
        reply = fail(400, 'UnknownOperationException', 'not a KMS JSON 1.1 request');
      } else if (i !== -1) {
        reply = overrides[i]!.reply;
        if (--overrides[i]!.times === 0) overrides.splice(i, 1);
      } else {
        reply = answer(operation, body);
      }
      res.statusCode = reply.status;
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.setHeader('x-amzn-requestid', randomUUID());
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    createKey() {
      const id = randomUUID();
      const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
      keys.set(id, { id, arn, material: randomBytes(32), enabled: true });
      return arn;
    },
    disableKey(arn) {
      const key = find(arn);
      if (key) key.enabled = false;
    },
    override: (operation, reply, times = 1) => overrides.push({ operation, reply, times }),
    client: () =>
      new KMSClient({
        region: REGION,
        endpoint: url,
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      }),
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
