import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_CERTIFICATE_FILE, CA_PRIVATE_KEY_FILE } from './ca-store.js';
import {
  loadOrCreateCertificateAuthority,
  type CertificateAuthority,
} from './certificate-authority.js';
import { makeGatewayCsr } from './pki-test-kit.js';
import { isPkiError, type PkiErrorCode } from './pki-error.js';
import { x509 } from './x509.js';

const DAY_MS = 86_400_000;

async function expectPkiError(promise: Promise<unknown>, code: PkiErrorCode): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPkiError(err), `expected PkiError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return err as Error;
}

let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await loadOrCreateCertificateAuthority();
});

describe('the root certificate', () => {
  it('is a 10-year EC P-256 CA that may only sign certificates and CRLs', () => {
    const root = new x509.X509Certificate(ca.caCertificatePem);
    expect(root.subject).toBe('CN=Zählwerk local IoT CA');
    expect(root.issuer).toBe(root.subject);
    const years = (root.notAfter.getTime() - root.notBefore.getTime()) / (365.25 * DAY_MS);
    expect(years).toBeCloseTo(10, 1);
    const constraints = root.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(true);
    expect(constraints?.critical).toBe(true);
    const usage = root.getExtension(x509.KeyUsagesExtension)?.usages;
    expect(usage).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(new X509Certificate(ca.caCertificatePem).publicKey.asymmetricKeyDetails).toEqual({
      namedCurve: 'prime256v1',
    });
    expect(ca.caCertificateId).toBe(fingerprint(ca.caCertificatePem));
  });
});

describe('signGatewayCsr', () => {
  it('signs a CSR made on the gateway into a client certificate for the thing', async () => {
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-0001');
    const signed = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0001' });

    const cert = new X509Certificate(signed.certificatePem);
    const root = new X509Certificate(ca.caCertificatePem);
    expect(cert.verify(root.publicKey)).toBe(true);
    expect(cert.checkIssued(root)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(gateway.privateKeyPem))).toBe(true);
    expect(cert.subject).toBe('CN=gw-0001');
    expect(signed.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.certificateId).toBe(fingerprint(signed.certificatePem));
    expect(signed.notAfter).toBe(new Date(cert.validTo).toISOString());
    expect(signed.notBefore).toBe(new Date(cert.validFrom).toISOString());
    expect(cert.serialNumber).toMatch(/^[0-9A-F]{32}$/); // 16 bytes

    const parsed = new x509.X509Certificate(signed.certificatePem);
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature,
    );
    expect(parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    expect(parsed.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const rootSki = new x509.X509Certificate(ca.caCertificatePem).getExtension(
      x509.SubjectKeyIdentifierExtension,
    )?.keyId;
    expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(rootSki);
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]+$/);
  });

  it('takes only the key from the CSR: its other subject fields and extensions are dropped', async () => {
    const askForMore = [
      new x509.BasicConstraintsExtension(true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }]),
    ];
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-0002, O=Evil Corp', askForMore);
    const signed = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0002' });
    const cert = new X509Certificate(signed.certificatePem);
    expect(cert.subject).toBe('CN=gw-0002');
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBeUndefined();
  });

  it.each(['P-384', 'RSA-2048'] as const)('accepts a %s key', async (keyType) => {
    const gateway = await makeGatewayCsr(keyType, 'CN=gw-0003');
    const signed = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0003' });
    expect(new X509Certificate(signed.certificatePem).subject).toBe('CN=gw-0003');
  });

  it('sets the CN when the CSR has none, and gives a re-used CSR a distinct certificate', async () => {
    const gateway = await makeGatewayCsr('P-256', undefined);
    const first = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0004' });
    const second = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0004' });
    expect(new X509Certificate(first.certificatePem).subject).toBe('CN=gw-0004');
    expect(second.certificateId).not.toBe(first.certificateId);
  });

  it('honours validityDays, but never past the CA', async () => {
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-0005');
    // The CA reads its own clock between these two: the bounds come from either side of it.
    const before = Date.now();
    const short = await ca.signGatewayCsr(gateway.csrPem, {
      thingName: 'gw-0005',
      validityDays: 30,
    });
    const after = Date.now();
    expect(Date.parse(short.notAfter) - before).toBeGreaterThan(30 * DAY_MS - 60_000);
    expect(Date.parse(short.notAfter) - after).toBeLessThanOrEqual(30 * DAY_MS);

    const long = await ca.signGatewayCsr(gateway.csrPem, {
      thingName: 'gw-0005',
      validityDays: 36500,
    });
    expect(long.notAfter).toBe(
      new x509.X509Certificate(ca.caCertificatePem).notAfter.toISOString(),
    );
    await expectPkiError(
      ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0005', validityDays: 0 }),
      'VALIDITY_INVALID',
    );
  });

  it('refuses a CSR altered after it was signed', async () => {
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-0006');
    const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
    const at = der.indexOf('gw-0006');
    der[at + 6] = '7'.charCodeAt(0); // a man in the middle renames the gateway
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await expectPkiError(
      ca.signGatewayCsr(tampered, { thingName: 'gw-0007' }),
      'CSR_SIGNATURE_INVALID',
    );
  });

  it('refuses an RSA-1024 key as too weak, and P-521 as unsupported', async () => {
    const weak = await makeGatewayCsr('RSA-1024', 'CN=gw-0008');
    const err = await expectPkiError(
      ca.signGatewayCsr(weak.csrPem, { thingName: 'gw-0008' }),
      'KEY_TOO_WEAK',
    );
    expect(err.message).toContain('1024');
    const p521 = await makeGatewayCsr('P-521', 'CN=gw-0008');
    await expectPkiError(
      ca.signGatewayCsr(p521.csrPem, { thingName: 'gw-0008' }),
      'KEY_UNSUPPORTED',
    );
  });

  it('refuses a CSR whose CN names another thing, and says which', async () => {
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-0009');
    const err = await expectPkiError(
      ca.signGatewayCsr(csrPem, { thingName: 'gw-0010' }),
      'CN_MISMATCH',
    );
    expect(err.message).toContain('"gw-0009"');
    expect(err.message).toContain('"gw-0010"');
  });

  it('refuses what is not a CSR, and thing names IoT Core would not take', async () => {
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-0011');
    await expectPkiError(ca.signGatewayCsr('hello', { thingName: 'gw-0011' }), 'CSR_INVALID');
    const garbage =
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n';
    await expectPkiError(ca.signGatewayCsr(garbage, { thingName: 'gw-0011' }), 'CSR_INVALID');
    await expectPkiError(ca.signGatewayCsr(csrPem, { thingName: 'gw 0011' }), 'THING_NAME_INVALID');
    await expectPkiError(
      ca.signGatewayCsr(csrPem, { thingName: 'g'.repeat(65) }),
      'THING_NAME_INVALID',
    );
  });
});

describe('issueServerCertificate', () => {
  it('covers localhost and both loopback addresses for serverAuth', async () => {
    const server = await ca.issueServerCertificate();
    const cert = new X509Certificate(server.certificatePem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkPrivateKey(createPrivateKey(server.privateKeyPem))).toBe(true);
    expect(
      new x509.X509Certificate(server.certificatePem).getExtension(x509.ExtendedKeyUsageExtension)
        ?.usages,
    ).toEqual([x509.ExtendedKeyUsage.serverAuth]);
  });

  it('takes other host names, and refuses what is not one', async () => {
    const server = await ca.issueServerCertificate({ hostnames: ['iot.partner.example'] });
    expect(
      new X509Certificate(server.certificatePem).checkHost('iot.partner.example'),
    ).toBeTruthy();
    await expectPkiError(
      ca.issueServerCertificate({ hostnames: ['not a host'] }),
      'HOSTNAME_INVALID',
    );
    await expectPkiError(ca.issueServerCertificate({ hostnames: [] }), 'HOSTNAME_INVALID');
  });
});

describe('issueClaimCertificate', () => {
  it('names the partner in the CN and marks the certificate by its OU', async () => {
    const claim = await ca.issueClaimCertificate('stadtwerke-x');
    const cert = new x509.X509Certificate(claim.certificatePem);
    expect(cert.subjectName.getField('CN')).toEqual(['claim-stadtwerke-x']);
    expect(cert.subjectName.getField('OU')).toEqual(['zw-provisioning-claim']);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    await expectPkiError(ca.issueClaimCertificate('a/b'), 'PARTNER_ID_INVALID');
  });
});

describe('a CA in a directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zw-pki-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is created once, kept with a private key only its owner can read, and loaded again', async () => {
    const caDir = join(dir, 'ca');
    const first = await loadOrCreateCertificateAuthority({ dir: caDir });
    const keyMode = (await stat(join(caDir, CA_PRIVATE_KEY_FILE))).mode & 0o777;
    expect(keyMode).toBe(0o600);

    const second = await loadOrCreateCertificateAuthority({ dir: caDir });
    expect(second.caCertificateId).toBe(first.caCertificateId);
    expect(second.caCertificatePem).toBe(first.caCertificatePem);
    // The loaded key signs for the same root: certificates from before and after chain alike.
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-0100');
    const signed = await second.signGatewayCsr(gateway.csrPem, { thingName: 'gw-0100' });
    const root = new X509Certificate(first.caCertificatePem);
    expect(new X509Certificate(signed.certificatePem).verify(root.publicKey)).toBe(true);
  });

  it('refuses a key file others can read, and half a CA', async () => {
    const caDir = join(dir, 'exposed');
    await loadOrCreateCertificateAuthority({ dir: caDir });
    await chmod(join(caDir, CA_PRIVATE_KEY_FILE), 0o644);
    await expectPkiError(loadOrCreateCertificateAuthority({ dir: caDir }), 'CA_STORE_INSECURE');

    await unlink(join(caDir, CA_CERTIFICATE_FILE));
    await expectPkiError(loadOrCreateCertificateAuthority({ dir: caDir }), 'CA_STORE_INCOMPLETE');
  });
});

it('refuses to sign once the CA itself has expired', async () => {
  const longAgo = new Date(Date.now() - 11 * 365 * DAY_MS);
  let clock = longAgo;
  const old = await loadOrCreateCertificateAuthority({ now: () => clock });
  clock = new Date();
  await expectPkiError(old.issueServerCertificate(), 'CA_EXPIRED');
});

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
}
