import { createPublicKey } from 'node:crypto';
import { PkiError } from './pki-error.js';
import { x509 } from './x509.js';

/** A CSR is well under 4 KB; the cap bounds the parser's work on hostile input. */
const MAX_CSR_PEM_LENGTH = 16 * 1024;

/** EC curves accepted, by the names node:crypto reports. AWS also takes P-521; we do not need it. */
const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1']);

/** Above this, verifying signatures gets slow enough to be a denial-of-service lever. */
const MAX_RSA_BITS = 8192;

/**
 * Checks a gateway's CSR before anything is signed, and returns its public key:
 * the only thing the CA takes from a CSR. The order matters: the key policy runs
 * before the signature (so no crypto runs on keys we refuse anyway) and the
 * signature before the CN (so a CN is only compared once we know the gateway
 * holding the key wrote it).
 */
export async function checkGatewayCsr(csrPem: string, thingName: string): Promise<x509.PublicKey> {
  const csr = parseCsr(csrPem);
  checkKeyStrength(csr.publicKey);
  if (!(await selfSignatureHolds(csr))) {
    throw new PkiError(
      'CSR_SIGNATURE_INVALID',
      'The CSR signature does not match its content: it was altered after signing.',
    );
  }
  const otherName = csr.subjectName.getField('CN').find((cn) => cn !== thingName);
  if (otherName !== undefined) {
    throw new PkiError(
      'CN_MISMATCH',
      `The CSR asks for CN "${otherName}", but it is being signed for thing "${thingName}".`,
    );
  }
  return csr.publicKey;
}

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  if (typeof csrPem !== 'string' || !csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    throw new PkiError('CSR_INVALID', 'Expected a PEM "CERTIFICATE REQUEST" block.');
  }
  if (csrPem.length > MAX_CSR_PEM_LENGTH) {
    throw new PkiError('CSR_INVALID', `The CSR is longer than ${MAX_CSR_PEM_LENGTH} characters.`);
  }
  try {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    // The library decodes lazily; touch what we use so that garbage fails here.
    void csr.subjectName.toString();
    void csr.publicKey.rawData;
    return csr;
  } catch (cause) {
    throw new PkiError('CSR_INVALID', 'The CSR is not a valid PKCS#10 request.', { cause });
  }
}

function checkKeyStrength(publicKey: x509.PublicKey): void {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(publicKey.rawData), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PkiError('KEY_UNSUPPORTED', 'The CSR carries a public key we cannot read.', {
      cause,
    });
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) {
      throw new PkiError('KEY_TOO_WEAK', `RSA keys need at least 2048 bits; this one has ${bits}.`);
    }
    if (bits <= MAX_RSA_BITS) return;
  }
  if (key.asymmetricKeyType === 'ec' && ACCEPTED_CURVES.has(details.namedCurve ?? '')) return;
  const what =
    details.namedCurve ??
    (details.modulusLength === undefined
      ? key.asymmetricKeyType
      : `${details.modulusLength}-bit RSA`);
  throw new PkiError(
    'KEY_UNSUPPORTED',
    `Unsupported key (${what}): use EC P-256, EC P-384 or RSA 2048 to ${MAX_RSA_BITS} bits.`,
  );
}

async function selfSignatureHolds(csr: x509.Pkcs10CertificateRequest): Promise<boolean> {
  try {
    return await csr.verify();
  } catch {
    // A signature the library cannot even decode is no better than a wrong one.
    return false;
  }
}
