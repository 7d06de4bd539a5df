import { createPrivateKey, createPublicKey, KeyObject, type webcrypto } from 'node:crypto';
import { readCaFiles, writeCaFiles, type CaFiles } from './ca-store.js';
import {
  assertThingName,
  CA_COMMON_NAME,
  claimCommonName,
  CLAIM_ORGANIZATIONAL_UNIT,
  ingestWorkerCommonName,
  INGEST_WORKER_ORGANIZATIONAL_UNIT,
  monitorCommonName,
  MONITOR_ORGANIZATIONAL_UNIT,
  subjectAltNames,
} from './certificate-names.js';
import { checkGatewayCsr } from './gateway-csr.js';
import {
  CLOCK_SKEW_MS,
  describeCertificate,
  EC_P256,
  ECDSA_SHA256,
  issueCertificate,
  randomSerial,
  type Issuer,
  type SignedCertificate,
} from './issue-certificate.js';
import { PkiError } from './pki-error.js';
import { x509 } from './x509.js';

const CA_VALIDITY_YEARS = 10;
const DEFAULT_GATEWAY_VALIDITY_DAYS = 365;
const DEFAULT_CLAIM_VALIDITY_DAYS = 365;
const DEFAULT_MONITOR_VALIDITY_DAYS = 90;
const DEFAULT_INGEST_WORKER_VALIDITY_DAYS = 365;
/** 397 days: the longest lifetime some TLS clients accept for a server certificate. */
const DEFAULT_SERVER_VALIDITY_DAYS = 397;
export const DEFAULT_SERVER_HOSTNAMES: readonly string[] = Object.freeze([
  'localhost',
  '127.0.0.1',
  '::1',
]);

const { digitalSignature, keyCertSign, cRLSign } = x509.KeyUsageFlags;
const { clientAuth, serverAuth } = x509.ExtendedKeyUsage;

export interface CertificateAuthorityOptions {
  /** Where the CA's PEM files live (created on first start). Without it the CA is in memory only. */
  dir?: string;
  /** The clock behind every date the CA writes; tests move it. */
  now?: () => Date;
}

/** A certificate whose key the CA made, for parties that cannot make their own (broker, factory claim). */
export interface IssuedCertificateWithKey extends SignedCertificate {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

export interface CertificateAuthority {
  readonly caCertificatePem: string;
  /** SHA-256 of the CA certificate's DER, as AWS IoT names a registered CA. */
  readonly caCertificateId: string;
  /** Signs a gateway's CSR: the key stays on the gateway, the CA decides everything but the key. */
  signGatewayCsr(
    csrPem: string,
    options: { thingName: string; validityDays?: number },
  ): Promise<SignedCertificate>;
  /** The broker's TLS certificate (serverAuth; SAN of DNS names and IP addresses). */
  issueServerCertificate(options?: {
    hostnames?: readonly string[];
    validityDays?: number;
  }): Promise<IssuedCertificateWithKey>;
  /** A fleet-provisioning claim certificate, `CN=claim-<partnerId>`, marked by its OU. */
  issueClaimCertificate(
    partnerId: string,
    options?: { validityDays?: number },
  ): Promise<IssuedCertificateWithKey>;
  /** A monitor certificate (the live checker's), `CN=zw-monitor-<name>`, marked by its OU. */
  issueMonitorCertificate(
    name: string,
    options?: { validityDays?: number },
  ): Promise<IssuedCertificateWithKey>;
  /** An ingest worker certificate, `CN=zw-ingest-<name>`, marked by its OU. */
  issueIngestWorkerCertificate(
    name: string,
    options?: { validityDays?: number },
  ): Promise<IssuedCertificateWithKey>;
}

/**
 * Loads the CA kept in `dir`, or creates it there on first start; without `dir`
 * a fresh CA lives in memory (tests, `npm start` without --data-dir).
 */
export async function loadOrCreateCertificateAuthority(
  options: CertificateAuthorityOptions = {},
): Promise<CertificateAuthority> {
  const now = options.now ?? (() => new Date());
  const stored = options.dir === undefined ? null : await readCaFiles(options.dir);
  if (stored !== null) return openCertificateAuthority(stored, now);
  const created = await createCaFiles(now());
  if (options.dir !== undefined) await writeCaFiles(options.dir, created);
  return openCertificateAuthority(created, now);
}

async function createCaFiles(at: Date): Promise<CaFiles> {
  const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const notAfter = new Date(at);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [CA_COMMON_NAME] }],
    notBefore: new Date(at.getTime() - CLOCK_SKEW_MS),
    notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      // pathLength 0: this CA signs end-entity certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(keyCertSign | cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: pkcs8Pem(keys.privateKey),
  };
}

async function openCertificateAuthority(
  files: CaFiles,
  now: () => Date,
): Promise<CertificateAuthority> {
  const { certificate, privateKey } = parseCaFiles(files);
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    EC_P256,
    false, // from here on the key can sign but never be read back out of WebCrypto
    ['sign'],
  );
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyIdentifier =
    ski?.keyId ?? Buffer.from(await certificate.publicKey.getKeyIdentifier()).toString('hex');
  const issuer: Issuer = { certificate, signingKey, keyIdentifier, now };
  const { certificatePem, certificateId } = describeCertificate(certificate);

  return {
    caCertificatePem: certificatePem,
    caCertificateId: certificateId,

    async signGatewayCsr(csrPem, { thingName, validityDays = DEFAULT_GATEWAY_VALIDITY_DAYS }) {
      assertThingName(thingName);
      const publicKey = await checkGatewayCsr(csrPem, thingName);
      return issueCertificate(issuer, {
        subject: [{ CN: [thingName] }],
        publicKey,
        validityDays,
        extensions: endEntityExtensions(clientAuth),
      });
    },

    async issueServerCertificate(options = {}) {
      const { hostnames = DEFAULT_SERVER_HOSTNAMES } = options;
      const san = new x509.SubjectAlternativeNameExtension(subjectAltNames(hostnames));
      // Clients match the SAN, not the CN, so a fixed CN avoids the 64-character bound on hosts.
      return issueWithNewKey(issuer, {
        subject: [{ CN: ['Zählwerk local IoT endpoint'] }],
        validityDays: options.validityDays ?? DEFAULT_SERVER_VALIDITY_DAYS,
        extensions: [...endEntityExtensions(serverAuth), san],
      });
    },

    async issueClaimCertificate(partnerId, options = {}) {
      return issueWithNewKey(issuer, {
        subject: [{ OU: [CLAIM_ORGANIZATIONAL_UNIT] }, { CN: [claimCommonName(partnerId)] }],
        validityDays: options.validityDays ?? DEFAULT_CLAIM_VALIDITY_DAYS,
        extensions: endEntityExtensions(clientAuth),
      });
    },

    async issueMonitorCertificate(name, options = {}) {
      return issueWithNewKey(issuer, {
        subject: [{ OU: [MONITOR_ORGANIZATIONAL_UNIT] }, { CN: [monitorCommonName(name)] }],
        validityDays: options.validityDays ?? DEFAULT_MONITOR_VALIDITY_DAYS,
        extensions: endEntityExtensions(clientAuth),
      });
    },

    async issueIngestWorkerCertificate(name, options = {}) {
      return issueWithNewKey(issuer, {
        subject: [
          { OU: [INGEST_WORKER_ORGANIZATIONAL_UNIT] },
          { CN: [ingestWorkerCommonName(name)] },
        ],
        validityDays: options.validityDays ?? DEFAULT_INGEST_WORKER_VALIDITY_DAYS,
        extensions: endEntityExtensions(clientAuth),
      });
    },
  };
}

/** Reads the PEM pair and insists the key belongs to the certificate and the certificate is a CA. */
function parseCaFiles(files: CaFiles): {
  certificate: x509.X509Certificate;
  privateKey: KeyObject;
} {
  let certificate: x509.X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new x509.X509Certificate(files.certificatePem);
    privateKey = createPrivateKey(files.privateKeyPem);
  } catch (cause) {
    throw new PkiError('CA_STORE_INVALID', 'The CA certificate or key cannot be parsed.', {
      cause,
    });
  }
  const keySpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new PkiError('CA_STORE_INVALID', 'The CA private key does not match its certificate.');
  }
  if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new PkiError('CA_STORE_INVALID', 'The CA key must be an EC P-256 key.');
  }
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca !== true) {
    throw new PkiError('CA_STORE_INVALID', 'The CA certificate lacks basicConstraints CA:TRUE.');
  }
  return { certificate, privateKey };
}

function endEntityExtensions(purpose: x509.ExtendedKeyUsage): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // ECDSA and RSA client/server keys in TLS only ever sign, whatever the key type.
    new x509.KeyUsagesExtension(digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([purpose]),
  ];
}

async function issueWithNewKey(
  issuer: Issuer,
  profile: { subject: x509.JsonName; validityDays: number; extensions: x509.Extension[] },
): Promise<IssuedCertificateWithKey> {
  const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const signed = await issueCertificate(issuer, { ...profile, publicKey: keys.publicKey });
  return { ...signed, privateKeyPem: pkcs8Pem(keys.privateKey) };
}

function pkcs8Pem(privateKey: webcrypto.CryptoKey): string {
  return KeyObject.from(privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
}
