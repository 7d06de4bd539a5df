import { KeyObject } from 'node:crypto';
import { x509 } from '../iot/local/pki/x509.js';

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * What a gateway does at the factory (contract clause 1.3): it makes its own
 * key pair and a CSR naming its thing; only the CSR leaves it. The demo's
 * simulated gateway is that gateway, so it runs here, beside the platform.
 */
export async function makeGatewayKeyAndCsr(
  thingName: string,
): Promise<{ csrPem: string; privateKeyPem: string }> {
  const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${thingName}`,
    keys,
    signingAlgorithm: EC_P256,
  });
  return {
    csrPem: csr.toString('pem'),
    privateKeyPem: KeyObject.from(keys.privateKey)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
}
