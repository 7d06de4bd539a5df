import { describe, expect, it } from 'vitest';
import { loadOrCreateCertificateAuthority } from './certificate-authority.js';
import { makeGatewayCsr, tryMutualTls, type TlsParty } from './pki-test-kit.js';
import { verifyClientCertificate } from './verify-client-certificate.js';

const DAY_MS = 86_400_000;

/**
 * The certificates meet real TLS here: node:tls (OpenSSL) is the judge, as it
 * will be in the emulator's broker, not our own verification code.
 */
describe('mutual TLS between the broker endpoint and a gateway', async () => {
  const ca = await loadOrCreateCertificateAuthority();
  const serverCertificate = await ca.issueServerCertificate();
  const broker: TlsParty = { ...serverCertificate, caPem: ca.caCertificatePem };

  it('connects a gateway whose CSR the CA signed, and names the thing on the server side', async () => {
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-2000');
    const signed = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-2000' });
    const outcome = await tryMutualTls(broker, {
      certificatePem: signed.certificatePem,
      privateKeyPem: gateway.privateKeyPem, // the gateway's own key, never seen by the CA
      caPem: ca.caCertificatePem,
    });
    expect(outcome).toMatchObject({ ok: true, received: 'hello gateway' });
    if (!outcome.ok) return;
    const verified = await verifyClientCertificate(outcome.peerCertificateDer, {
      caCertificatePem: ca.caCertificatePem,
    });
    expect(verified).toEqual({
      ok: true,
      value: {
        certificateId: signed.certificateId,
        commonName: 'gw-2000',
        isClaim: false,
        isMonitor: false,
        isIngestWorker: false,
        notAfter: signed.notAfter,
      },
    });
  });

  it('connects an RSA-2048 gateway and a claim certificate', async () => {
    const gateway = await makeGatewayCsr('RSA-2048', 'CN=gw-2001');
    const signed = await ca.signGatewayCsr(gateway.csrPem, { thingName: 'gw-2001' });
    const rsa = { ...signed, privateKeyPem: gateway.privateKeyPem, caPem: ca.caCertificatePem };
    expect(await tryMutualTls(broker, rsa)).toMatchObject({ ok: true });

    const claim = await ca.issueClaimCertificate('acme');
    expect(await tryMutualTls(broker, { ...claim, caPem: ca.caCertificatePem })).toMatchObject({
      ok: true,
    });
  });

  it('refuses a gateway certificate from another CA in the handshake', async () => {
    const otherCa = await loadOrCreateCertificateAuthority();
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-2002');
    const foreign = await otherCa.signGatewayCsr(gateway.csrPem, { thingName: 'gw-2002' });
    const outcome = await tryMutualTls(broker, {
      certificatePem: foreign.certificatePem,
      privateKeyPem: gateway.privateKeyPem,
      caPem: ca.caCertificatePem,
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.serverError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('refuses an expired gateway certificate in the handshake', async () => {
    const twoYearsAgo = new Date(Date.now() - 2 * 365 * DAY_MS);
    const pastCa = await loadOrCreateCertificateAuthority({ now: () => twoYearsAgo });
    const pastBroker = { ...(await pastCa.issueServerCertificate({ validityDays: 3650 })) };
    const gateway = await makeGatewayCsr('P-256', 'CN=gw-2003');
    const old = await pastCa.signGatewayCsr(gateway.csrPem, {
      thingName: 'gw-2003',
      validityDays: 30,
    });
    const outcome = await tryMutualTls(
      { ...pastBroker, caPem: pastCa.caCertificatePem },
      { ...old, privateKeyPem: gateway.privateKeyPem, caPem: pastCa.caCertificatePem },
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.serverError).toBe('CERT_HAS_EXPIRED');
  });
});
