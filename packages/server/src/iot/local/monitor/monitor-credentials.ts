import type { IotRegistry } from '../../iot-registry.js';
import type { CertificateAuthority, IssuedCertificateWithKey } from '../pki/index.js';
import { registerUnattachedCertificate } from '../unattached-certificate.js';

/**
 * Issues a monitor certificate and registers it ACTIVE, attached to no thing:
 * the broker admits a monitor only when the CA's OU and the registry agree, so
 * an operator can revoke it like any other certificate.
 */
export async function registerMonitor(
  ca: Pick<CertificateAuthority, 'issueMonitorCertificate'>,
  registry: Pick<IotRegistry, 'createCertificate'>,
  options: { name: string; partnerId: string; now?: Date; validityDays?: number },
): Promise<IssuedCertificateWithKey> {
  const issued = await ca.issueMonitorCertificate(
    options.name,
    options.validityDays === undefined ? {} : { validityDays: options.validityDays },
  );
  await registerUnattachedCertificate(registry, issued, {
    partnerId: options.partnerId,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return issued;
}
