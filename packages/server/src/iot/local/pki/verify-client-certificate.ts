import { certificateIdOf } from './certificate-id.js';
import {
  CLAIM_ORGANIZATIONAL_UNIT,
  INGEST_WORKER_ORGANIZATIONAL_UNIT,
  MONITOR_ORGANIZATIONAL_UNIT,
} from './certificate-names.js';
import { x509 } from './x509.js';

/**
 * Why a peer certificate is refused. Status (ACTIVE / INACTIVE / REVOKED) is not
 * among them: that lives in the registry, which looks it up by certificateId.
 */
export type ClientCertificateFailureCode =
  'CERTIFICATE_INVALID' | 'UNKNOWN_ISSUER' | 'EXPIRED' | 'NOT_YET_VALID' | 'NOT_CLIENT_AUTH';

export interface VerifiedClientCertificate {
  certificateId: string;
  commonName: string;
  /** A fleet-provisioning claim certificate: it may only use the provisioning topics. */
  isClaim: boolean;
  /** The emulator's cloud-side observer (live conformance checker). */
  isMonitor: boolean;
  /** A cloud-side ingest worker (shared subscription to the republished batches). */
  isIngestWorker: boolean;
  /** ISO-8601 UTC. */
  notAfter: string;
}

export type ClientCertificateVerification =
  | { ok: true; value: VerifiedClientCertificate }
  | {
      ok: false;
      code: ClientCertificateFailureCode;
      message: string;
      /** Present whenever the certificate could be parsed, so refusals can be logged by id. */
      certificateId?: string;
    };

export interface VerifyClientCertificateOptions {
  caCertificatePem: string;
  /** Defaults to the current time. */
  now?: Date;
}

/**
 * Checks a certificate as a TLS peer presented it (DER, e.g. `getPeerCertificate().raw`,
 * or PEM) against our CA. It does not throw on a bad certificate: the broker
 * turns each failure into a refused CONNECT, so failures are data.
 */
export async function verifyClientCertificate(
  peerCertificate: Uint8Array | string,
  options: VerifyClientCertificateOptions,
): Promise<ClientCertificateVerification> {
  const now = options.now ?? new Date();
  let certificate: x509.X509Certificate;
  try {
    certificate = parse(peerCertificate);
  } catch {
    return { ok: false, code: 'CERTIFICATE_INVALID', message: 'Not an X.509 certificate.' };
  }
  const certificateId = certificateIdOf(certificate.rawData);
  const fail = (code: ClientCertificateFailureCode, message: string) =>
    ({ ok: false, code, message, certificateId }) as const;

  const ca = new x509.X509Certificate(options.caCertificatePem);
  if (!(await isIssuedBy(certificate, ca))) {
    return fail('UNKNOWN_ISSUER', `${certificate.subject} was not issued by ${ca.subject}.`);
  }
  if (now < certificate.notBefore) {
    return fail('NOT_YET_VALID', `Valid from ${certificate.notBefore.toISOString()}.`);
  }
  if (now > certificate.notAfter) {
    return fail('EXPIRED', `Expired on ${certificate.notAfter.toISOString()}.`);
  }
  const eku = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku?.usages.includes(x509.ExtendedKeyUsage.clientAuth) !== true) {
    return fail('NOT_CLIENT_AUTH', 'The certificate is not for TLS client authentication.');
  }
  return {
    ok: true,
    value: {
      certificateId,
      commonName: certificate.subjectName.getField('CN')[0] ?? '',
      isClaim: certificate.subjectName.getField('OU').includes(CLAIM_ORGANIZATIONAL_UNIT),
      isMonitor: certificate.subjectName.getField('OU').includes(MONITOR_ORGANIZATIONAL_UNIT),
      isIngestWorker: certificate.subjectName
        .getField('OU')
        .includes(INGEST_WORKER_ORGANIZATIONAL_UNIT),
      notAfter: certificate.notAfter.toISOString(),
    },
  };
}

function parse(peerCertificate: Uint8Array | string): x509.X509Certificate {
  if (typeof peerCertificate === 'string' && !peerCertificate.includes('-----BEGIN CERTIFICATE')) {
    // The library would also take hex or base64; a peer certificate is never either.
    throw new TypeError('Expected a PEM certificate.');
  }
  const certificate = new x509.X509Certificate(peerCertificate);
  void certificate.subjectName.toString(); // decoded lazily: make garbage fail here
  return certificate;
}

/**
 * The signature is the proof; the name check is cheap and keeps the error
 * meaningful. Names alone prove nothing: every local CA has the same subject.
 */
async function isIssuedBy(
  certificate: x509.X509Certificate,
  ca: x509.X509Certificate,
): Promise<boolean> {
  const issuer = Buffer.from(certificate.issuerName.toArrayBuffer());
  if (!issuer.equals(Buffer.from(ca.subjectName.toArrayBuffer()))) return false;
  try {
    return await certificate.verify({ publicKey: ca.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
