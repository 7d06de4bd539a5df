/** The local CA of the IoT Core emulator: what the broker, registry and provisioning use. */
export {
  DEFAULT_SERVER_HOSTNAMES,
  loadOrCreateCertificateAuthority,
  type CertificateAuthority,
  type CertificateAuthorityOptions,
  type IssuedCertificateWithKey,
} from './certificate-authority.js';
export { certificateIdOf } from './certificate-id.js';
export {
  CLAIM_ORGANIZATIONAL_UNIT,
  INGEST_WORKER_CLIENT_ID_PREFIX,
  INGEST_WORKER_ORGANIZATIONAL_UNIT,
  MONITOR_CLIENT_ID_PREFIX,
  MONITOR_ORGANIZATIONAL_UNIT,
} from './certificate-names.js';
export type { SignedCertificate } from './issue-certificate.js';
export { isPkiError, PKI_ERROR_CODES, PkiError, type PkiErrorCode } from './pki-error.js';
export {
  verifyClientCertificate,
  type ClientCertificateFailureCode,
  type ClientCertificateVerification,
  type VerifiedClientCertificate,
  type VerifyClientCertificateOptions,
} from './verify-client-certificate.js';
