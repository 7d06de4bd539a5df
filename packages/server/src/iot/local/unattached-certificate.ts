import type { IotRegistry } from '../iot-registry.js';
import type { SignedCertificate } from './pki/index.js';

/**
 * Registers a certificate the platform's CA issued that belongs to no thing
 * (a monitor's, an ingest worker's, a partner's claim certificate) as ACTIVE:
 * the broker admits such a certificate only when the CA's OU and the registry
 * agree, so an operator revokes it like any other.
 */
export async function registerUnattachedCertificate(
  registry: Pick<IotRegistry, 'createCertificate'>,
  issued: Pick<SignedCertificate, 'certificateId' | 'certificatePem' | 'notAfter'>,
  owner: { partnerId: string; isClaim?: boolean; now?: Date },
): Promise<void> {
  await registry.createCertificate({
    certificateId: issued.certificateId,
    certificatePem: issued.certificatePem,
    status: 'ACTIVE',
    partnerId: owner.partnerId,
    thingName: null,
    isClaim: owner.isClaim ?? false,
    notAfter: issued.notAfter,
    createdAt: (owner.now ?? new Date()).toISOString(),
  });
}
