import type { IotRegistry } from '../iot-registry.js';
import {
  INGEST_WORKER_CLIENT_ID_PREFIX,
  type CertificateAuthority,
  type IssuedCertificateWithKey,
} from './pki/index.js';
import { registerUnattachedCertificate } from './unattached-certificate.js';

/**
 * Whose the certificate is in the registry: an ingest worker serves every
 * partner, and the registry wants an owner for each certificate.
 */
export const INGEST_WORKER_OWNER = 'platform';

/**
 * Issues an ingest worker certificate and registers it ACTIVE, attached to
 * no thing: the broker admits a worker only when the CA's OU and the registry
 * agree, so an operator revokes it like any other certificate. Its client id
 * is the certificate's CN (`zw-ingest-<name>`), or `<CN>-<n>` per session.
 */
export async function registerIngestWorker(
  ca: Pick<CertificateAuthority, 'issueIngestWorkerCertificate'>,
  registry: Pick<IotRegistry, 'createCertificate'>,
  options: { name: string; now?: Date; validityDays?: number },
): Promise<IssuedCertificateWithKey & { clientId: string }> {
  const issued = await ca.issueIngestWorkerCertificate(
    options.name,
    options.validityDays === undefined ? {} : { validityDays: options.validityDays },
  );
  await registerUnattachedCertificate(registry, issued, {
    partnerId: INGEST_WORKER_OWNER,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { ...issued, clientId: `${INGEST_WORKER_CLIENT_ID_PREFIX}${options.name}` };
}
