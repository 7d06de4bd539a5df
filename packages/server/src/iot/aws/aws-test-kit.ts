/**
 * Test helper: a loopback HTTP server that answers as AWS IoT's control plane
 * and data plane do (REST-JSON, paths and error shapes as the SDK's own
 * serializers expect them), keeps just enough state for a registration and a
 * shadow, and records every request so tests can assert what the SDK sent.
 * Not used by production code.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { KeyObject } from 'node:crypto';
import { certificateIdOf, loadOrCreateCertificateAuthority } from '../local/pki/index.js';
import { EC_P256, ECDSA_SHA256 } from '../local/pki/issue-certificate.js';
import { x509 } from '../local/pki/x509.js';
import type { AwsIotClients } from './aws-iot-core.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';
/** What DescribeEndpoint answers for `iot:Data-ATS`. */
export const ATS_ENDPOINT = `abc123-ats.iot.${REGION}.amazonaws.com`;
/** The subject AWS gives every certificate it makes with CreateKeysAndCertificate. */
export const AWS_CERTIFICATE_SUBJECT = 'CN=AWS IoT Certificate';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  /** Sent as `x-amzn-errortype`, which the SDK reads to pick the exception class. */
  errorType?: string;
}

type Override = { method: string; path: RegExp; reply: FakeReply; times: number };

/** A certificate as DescribeCertificate describes it; times in epoch seconds, as on the wire. */
export interface FakeCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: string;
  creationDate: number;
  notBefore: number;
  notAfter: number;
}

export interface FakeAwsIot {
  url: string;
  requests: RecordedRequest[];
  /** The next `times` requests matching method and path get `reply` instead of the default. */
  override(method: string, path: RegExp, reply: FakeReply, times?: number): void;
  /**
   * Seeded state: things by name (as DescribeThing answers: `attributes`,
   * `version`, ...), certificates by id, the principal ARNs attached to each
   * thing, shadows by `thing/name`, policies, templates, rules, and the
   * targets (certificate ARNs) each policy is attached to.
   */
  things: Map<string, Record<string, unknown>>;
  certificates: Map<string, FakeCertificate>;
  principals: Map<string, string[]>;
  policyTargets: Map<string, string[]>;
  shadows: Map<string, Record<string, unknown>>;
  policies: Map<string, { versions: { id: string; document: string; isDefault: boolean }[] }>;
  templates: Map<string, Record<string, unknown>>;
  rules: Map<string, Record<string, unknown>>;
  clients(): AwsIotClients;
  close(): Promise<void>;
}

const error = (status: number, errorType: string, message: string): FakeReply => ({
  status,
  errorType,
  body: { message },
});

export async function startFakeAwsIot(): Promise<FakeAwsIot> {
  const ca = await loadOrCreateCertificateAuthority();
  const requests: RecordedRequest[] = [];
  const overrides: Override[] = [];
  const things = new Map<string, Record<string, unknown>>();
  const certificates = new Map<string, FakeCertificate>();
  const principals = new Map<string, string[]>();
  const policyTargets = new Map<string, string[]>();
  /** Creation times one second apart, so "newest first" is well defined. */
  let clock = 1_700_000_000;
  const shadows = new Map<string, Record<string, unknown>>();
  const policies: FakeAwsIot['policies'] = new Map();
  const templates = new Map<string, Record<string, unknown>>();
  const rules = new Map<string, Record<string, unknown>>();
  const arn = (kind: string, name: string) => `arn:aws:iot:${REGION}:${ACCOUNT}:${kind}/${name}`;

  /** A certificate CreateCertificateFromCsr or CreateKeysAndCertificate made; times in seconds. */
  function keepCertificate(
    made: { certificateId: string; certificatePem: string; notBefore: number; notAfter: number },
    setAsActive: boolean,
  ): FakeCertificate {
    const certificate: FakeCertificate = {
      certificateId: made.certificateId,
      certificateArn: arn('cert', made.certificateId),
      certificatePem: made.certificatePem,
      status: setAsActive ? 'ACTIVE' : 'INACTIVE',
      creationDate: clock++,
      notBefore: made.notBefore,
      notAfter: made.notAfter,
    };
    certificates.set(certificate.certificateId, certificate);
    return certificate;
  }
  const certificateCreated = (certificate: FakeCertificate) => ({
    certificateArn: certificate.certificateArn,
    certificateId: certificate.certificateId,
    certificatePem: certificate.certificatePem,
  });

  async function answer(req: RecordedRequest): Promise<FakeReply> {
    const { method, path, query } = req;
    const json = () => JSON.parse(req.body === '' ? '{}' : req.body) as Record<string, unknown>;
    let m: RegExpMatchArray | null;

    if (method === 'GET' && path === '/endpoint') {
      // Without a type AWS answers the legacy (VeriSign) endpoint, which clients must not use.
      const ats = query['endpointType'] === 'iot:Data-ATS';
      return {
        status: 200,
        body: { endpointAddress: ats ? ATS_ENDPOINT : `abc123.iot.${REGION}.amazonaws.com` },
      };
    }
    if (method === 'POST' && path.startsWith('/topics/')) {
      return { status: 200, body: {} };
    }
    if ((m = path.match(/^\/things\/([^/]+)\/shadow$/))) {
      const key = `${m[1]}/${query['name'] ?? ''}`;
      if (method === 'GET') {
        const doc = shadows.get(key);
        return doc
          ? { status: 200, body: doc }
          : error(404, 'ResourceNotFoundException', 'No shadow exists');
      }
      const update = json() as { state: { desired: Record<string, unknown> } };
      const previous = shadows.get(key);
      const version = ((previous?.['version'] as number | undefined) ?? 0) + 1;
      const state = (previous?.['state'] ?? {}) as Record<string, Record<string, unknown>>;
      shadows.set(key, {
        state: { ...state, desired: { ...state['desired'], ...update.state.desired } },
        version,
      });
      return { status: 200, body: { state: update.state, version, timestamp: 1_700_000_000 } };
    }
    if (method === 'GET' && path === '/things') return listThings(query);
    if ((m = path.match(/^\/things\/([^/]+)\/principals$/))) {
      const name = decodeURIComponent(m[1]!);
      if (!things.has(name)) return error(404, 'ResourceNotFoundException', 'no such thing');
      const attached = principals.get(name) ?? [];
      if (method === 'GET') return page(attached, query, (items) => ({ principals: items }));
      const principal = String(req.headers['x-amzn-principal'] ?? '');
      const rest = attached.filter((p) => p !== principal);
      principals.set(name, method === 'PUT' ? [...rest, principal] : rest);
      return { status: 200, body: {} };
    }
    if ((m = path.match(/^\/things\/([^/]+)$/))) {
      const name = decodeURIComponent(m[1]!);
      if (method === 'GET') {
        const thing = things.get(name);
        return thing
          ? { status: 200, body: thing }
          : error(404, 'ResourceNotFoundException', 'not found');
      }
      if (method === 'POST') {
        if (things.has(name)) return error(409, 'ResourceAlreadyExistsException', 'exists');
        const body = json() as { attributePayload?: { attributes?: Record<string, string> } };
        things.set(name, {
          thingName: name,
          thingId: `id-${name}`,
          thingArn: arn('thing', name),
          defaultClientId: name,
          attributes: body.attributePayload?.attributes ?? {},
          version: 1,
        });
        return {
          status: 200,
          body: { thingName: name, thingArn: arn('thing', name), thingId: `id-${name}` },
        };
      }
      things.delete(name);
      principals.delete(name);
      return { status: 200, body: {} };
    }
    if (method === 'POST' && path === '/certificates') {
      const { certificateSigningRequest } = json() as { certificateSigningRequest: string };
      const signed = await ca.signGatewayCsr(certificateSigningRequest, { thingName: 'gw' });
      const certificate = keepCertificate(
        {
          ...signed,
          notBefore: Date.parse(signed.notBefore) / 1000,
          notAfter: Date.parse(signed.notAfter) / 1000,
        },
        query['setAsActive'] === 'true',
      );
      return { status: 200, body: certificateCreated(certificate) };
    }
    if (method === 'POST' && path === '/keys-and-certificate') {
      const made = await awsIssuedCertificate();
      const certificate = keepCertificate(made, query['setAsActive'] === 'true');
      return {
        status: 200,
        body: {
          ...certificateCreated(certificate),
          keyPair: { PublicKey: made.publicKeyPem, PrivateKey: made.privateKeyPem },
        },
      };
    }
    if ((m = path.match(/^\/target-policies\/([^/]+)$/))) {
      const name = decodeURIComponent(m[1]!);
      // AttachPolicy (PUT) and DetachPolicy (POST); the registry tests need no seeded policy.
      const { target } = json() as { target: string };
      const rest = (policyTargets.get(name) ?? []).filter((t) => t !== target);
      policyTargets.set(name, method === 'PUT' ? [...rest, target] : rest);
      return { status: 200 };
    }
    if ((m = path.match(/^\/certificates\/([0-9a-f]+)$/))) {
      const certificate = certificates.get(m[1]!);
      if (method === 'GET') {
        if (!certificate) return error(404, 'ResourceNotFoundException', 'no such certificate');
        const { notBefore, notAfter, ...rest } = certificate;
        return {
          status: 200,
          body: {
            certificateDescription: {
              ...rest,
              ownedBy: ACCOUNT,
              lastModifiedDate: rest.creationDate,
              customerVersion: 1,
              certificateMode: 'DEFAULT',
              validity: { notBefore, notAfter },
            },
          },
        };
      }
      // Unknown ids are acknowledged: the status and delete tests need no seeded certificate.
      if (method === 'PUT' && certificate) certificate.status = query['newStatus'] ?? '';
      if (method === 'DELETE') certificates.delete(m[1]!);
      return { status: 200 };
    }
    if (/^\/(certificates|confirmdestination)\//.test(path)) return { status: 200 };

    if ((m = path.match(/^\/policies\/([^/]+)(\/version)?(?:\/(\d+))?$/))) {
      const name = decodeURIComponent(m[1]!);
      const policy = policies.get(name);
      if (method === 'POST' && !m[2]) {
        if (policy) return error(409, 'ResourceAlreadyExistsException', 'exists');
        const document = (json() as { policyDocument: string }).policyDocument;
        policies.set(name, { versions: [{ id: '1', document, isDefault: true }] });
        return { status: 200, body: { policyName: name, policyVersionId: '1' } };
      }
      if (!policy) return error(404, 'ResourceNotFoundException', 'no policy');
      const current = policy.versions.find((v) => v.isDefault)!;
      if (method === 'GET' && !m[2]) {
        return {
          status: 200,
          body: {
            policyName: name,
            policyDocument: current.document,
            defaultVersionId: current.id,
          },
        };
      }
      if (method === 'GET') {
        const policyVersions = policy.versions.map((v, i) => ({
          versionId: v.id,
          isDefaultVersion: v.isDefault,
          createDate: 1_700_000_000 + i,
        }));
        return { status: 200, body: { policyVersions } };
      }
      if (method === 'DELETE') {
        policy.versions = policy.versions.filter((v) => v.id !== m![3]);
        return { status: 200 };
      }
      const id = String(Math.max(...policy.versions.map((v) => Number(v.id))) + 1);
      for (const v of policy.versions) v.isDefault = false;
      policy.versions.push({
        id,
        document: (json() as { policyDocument: string }).policyDocument,
        isDefault: true,
      });
      return { status: 200, body: { policyVersionId: id, isDefaultVersion: true } };
    }
    if (method === 'POST' && path === '/provisioning-templates') {
      const body = json();
      templates.set(body['templateName'] as string, { ...body, defaultVersionId: 1 });
      return { status: 200, body: { templateName: body['templateName'], defaultVersionId: 1 } };
    }
    if ((m = path.match(/^\/provisioning-templates\/([^/]+)(\/versions)?/))) {
      const name = decodeURIComponent(m[1]!);
      const template = templates.get(name);
      if (!template) return error(404, 'ResourceNotFoundException', 'no template');
      if (method === 'GET' && !m[2]) return { status: 200, body: template };
      if (method === 'GET')
        return { status: 200, body: { versions: [{ versionId: 1, isDefaultVersion: true }] } };
      if (method === 'POST') template['templateBody'] = json()['templateBody'];
      if (method === 'PATCH') Object.assign(template, json());
      return { status: 200, body: { templateName: name } };
    }
    if ((m = path.match(/^\/rules\/([^/]+)$/))) {
      const name = decodeURIComponent(m[1]!);
      if (method === 'GET') {
        const rule = rules.get(name);
        return rule
          ? {
              status: 200,
              body: {
                ruleArn: arn('rule', name),
                rule: { ruleName: name, ...rule, createdAt: 1_700_000_000 },
              },
            }
          : error(401, 'UnauthorizedException', 'no rule');
      }
      rules.set(name, json());
      return { status: 200 };
    }
    return error(400, 'InvalidRequestException', `fake has no route for ${method} ${path}`);
  }

  /**
   * A key pair and a certificate for it as CreateKeysAndCertificate makes
   * them: AWS's subject, not chosen by the caller. Self-signed here; AWS signs
   * with its own CA, which no test needs.
   */
  async function awsIssuedCertificate() {
    const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const notBefore = new Date(clock * 1000);
    const notAfter = new Date((clock + 365 * 86_400) * 1000);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: clock.toString(16).padStart(16, '0'),
      name: AWS_CERTIFICATE_SUBJECT,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: ECDSA_SHA256,
    });
    return {
      certificateId: certificateIdOf(cert.rawData),
      certificatePem: cert.toString('pem'),
      publicKeyPem: KeyObject.from(keys.publicKey)
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      privateKeyPem: KeyObject.from(keys.privateKey)
        .export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      notBefore: notBefore.getTime() / 1000,
      notAfter: notAfter.getTime() / 1000,
    };
  }

  /**
   * ListThings: exact attribute match (or prefix with usePrefixAttributeValue),
   * in name order, paged by an opaque token as AWS does.
   */
  function listThings(query: Record<string, string>): FakeReply {
    const { attributeName, attributeValue } = query;
    const prefix = query['usePrefixAttributeValue'] === 'true';
    const matching = [...things.values()]
      .filter((thing) => {
        if (attributeName === undefined || attributeValue === undefined) return true;
        const value = (thing['attributes'] as Record<string, string> | undefined)?.[attributeName];
        return (
          value !== undefined &&
          (prefix ? value.startsWith(attributeValue) : value === attributeValue)
        );
      })
      .map((thing) => ({
        thingName: thing['thingName'],
        thingArn: thing['thingArn'] ?? arn('thing', String(thing['thingName'])),
        attributes: thing['attributes'] ?? {},
        version: thing['version'] ?? 1,
      }))
      .sort((a, b) => String(a.thingName).localeCompare(String(b.thingName)));
    return page(matching, query, (items) => ({ things: items }));
  }

  /** One page of `items` by AWS's `maxResults` (1–250) and `nextToken` (an offset, opaque). */
  function page<T>(
    items: T[],
    query: Record<string, string>,
    shape: (items: T[]) => Record<string, unknown>,
  ): FakeReply {
    const size = query['maxResults'] === undefined ? 50 : Number(query['maxResults']);
    if (!Number.isInteger(size) || size < 1 || size > 250) {
      return error(400, 'InvalidRequestException', 'maxResults must be 1-250');
    }
    const token = query['nextToken'];
    const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) {
      return error(400, 'InvalidRequestException', 'invalid nextToken');
    }
    const end = start + size;
    return {
      status: 200,
      body: {
        ...shape(items.slice(start, end)),
        ...(end < items.length
          ? { nextToken: Buffer.from(String(end)).toString('base64url') }
          : {}),
      },
    };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const i = overrides.findIndex(
        (o) => o.method === recorded.method && o.path.test(recorded.path),
      );
      const reply =
        i === -1
          ? answer(recorded)
          : Promise.resolve(overrides[i]!.reply).finally(() => {
              if (--overrides[i]!.times === 0) overrides.splice(i, 1);
            });
      void reply.then(({ status, body, errorType }) => {
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        if (errorType) res.setHeader('x-amzn-errortype', errorType);
        res.end(body === undefined ? '' : JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    override: (method, path, reply, times = 1) => overrides.push({ method, path, reply, times }),
    things,
    certificates,
    principals,
    policyTargets,
    shadows,
    policies,
    templates,
    rules,
    clients() {
      const common = {
        region: REGION,
        endpoint: url,
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      };
      return { iot: new IoTClient(common), data: new IoTDataPlaneClient(common) };
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
