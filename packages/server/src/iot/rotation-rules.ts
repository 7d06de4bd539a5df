import { DomainError } from '../domain/errors.js';
import type { CertificateStatus } from '../domain/ports.js';

/**
 * The old certificate and the new one while a rotation is under way. More would
 * mean an earlier rotation was never finished, and each extra active key is one
 * more that can act as the gateway.
 */
export const MAX_ACTIVE_CERTIFICATES = 2;

/**
 * The rule both adapters apply before `rotateCertificate` signs anything; the
 * reasons are explained on the port. CONFLICT with `details.reason` otherwise.
 */
export function assertRotationAllowed(
  thingName: string,
  statuses: readonly CertificateStatus[],
): void {
  if (statuses.length > 0 && statuses.every((status) => status === 'REVOKED')) {
    throw new DomainError(
      'CONFLICT',
      `gateway '${thingName}' is retired: every certificate of it is revoked`,
      { details: { reason: 'GATEWAY_RETIRED' } },
    );
  }
  const active = statuses.filter((status) => status === 'ACTIVE').length;
  if (active >= MAX_ACTIVE_CERTIFICATES) {
    throw new DomainError(
      'CONFLICT',
      `gateway '${thingName}' has ${active} active certificates; ` +
        'deactivate or revoke the old one before rotating again',
      { details: { reason: 'TOO_MANY_ACTIVE_CERTIFICATES', max: MAX_ACTIVE_CERTIFICATES } },
    );
  }
}
