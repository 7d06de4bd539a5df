import { randomBytes, type webcrypto } from 'node:crypto';
import { certificateIdOf } from './certificate-id.js';
import { PkiError } from './pki-error.js';
import { x509 } from './x509.js';

/** The CA's own key type; also used for the keys it makes for the broker and for claims. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * notBefore is set a little in the past: a gateway whose clock lags ours would
 * otherwise refuse a broker certificate made a moment ago, and vice versa.
 */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Far beyond any sensible lifetime; catches a milliseconds-for-days mix-up. */
const MAX_VALIDITY_DAYS = 100 * 365;

/** What signing needs from the CA, kept apart from the CA's public surface. */
export interface Issuer {
  certificate: x509.X509Certificate;
  signingKey: webcrypto.CryptoKey;
  /** The CA's subjectKeyIdentifier, repeated as each certificate's authorityKeyIdentifier. */
  keyIdentifier: string;
  now: () => Date;
}

export interface SignedCertificate {
  /** SHA-256 of the DER, lower-case hex: the id AWS IoT gives a certificate. */
  certificateId: string;
  certificatePem: string;
  /** ISO-8601 UTC, as read back from the certificate (X.509 keeps whole seconds). */
  notBefore: string;
  notAfter: string;
}

export interface CertificateProfile {
  subject: x509.JsonName;
  publicKey: x509.PublicKey | webcrypto.CryptoKey;
  validityDays: number;
  extensions: x509.Extension[];
}

export async function issueCertificate(
  issuer: Issuer,
  profile: CertificateProfile,
): Promise<SignedCertificate> {
  const { validityDays } = profile;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    throw new PkiError(
      'VALIDITY_INVALID',
      `validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}; got ${validityDays}.`,
    );
  }
  const now = issuer.now().getTime();
  // A certificate outliving its issuer is refused by every verifier; let its dates say so.
  const caNotAfter = issuer.certificate.notAfter.getTime();
  if (caNotAfter <= now) {
    throw new PkiError(
      'CA_EXPIRED',
      `The CA expired on ${issuer.certificate.notAfter.toISOString()}; create a new one.`,
    );
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: profile.subject,
    issuer: issuer.certificate.subjectName,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(Math.min(now + validityDays * DAY_MS, caNotAfter)),
    publicKey: profile.publicKey,
    signingKey: issuer.signingKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      ...profile.extensions,
      await x509.SubjectKeyIdentifierExtension.create(profile.publicKey),
      new x509.AuthorityKeyIdentifierExtension(issuer.keyIdentifier),
    ],
  });
  return describeCertificate(certificate);
}

export function describeCertificate(certificate: x509.X509Certificate): SignedCertificate {
  return {
    certificateId: certificateIdOf(certificate.rawData),
    certificatePem: certificate.toString('pem'),
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
  };
}

/**
 * 16 random bytes (RFC 5280 allows up to 20). The top bits are fixed to 01 so
 * the DER integer is positive and keeps all 16 bytes without a padding zero:
 * 126 bits of randomness, far beyond the 64 the CA/Browser Forum asks for.
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}
