import { describe, expect, it } from 'vitest';
import { loadOrCreateCertificateAuthority } from './certificate-authority.js';
import { makeGatewayCsr } from './pki-test-kit.js';
import { verifyClientCertificate } from './verify-client-certificate.js';
import { x509 } from './x509.js';

const DAY_MS = 86_400_000;
const ca = await loadOrCreateCertificateAuthority();
const trust = { caCertificatePem: ca.caCertificatePem };

async function gatewayCertificate(thingName: string) {
  const { csrPem } = await makeGatewayCsr('P-256', `CN=${thingName}`);
  return ca.signGatewayCsr(csrPem, { thingName, validityDays: 30 });
}

function der(pem: string): Uint8Array {
  return new Uint8Array(x509.PemConverter.decodeFirst(pem));
}

describe('verifyClientCertificate', () => {
  it('accepts a gateway certificate, as DER from the socket or as PEM', async () => {
    const signed = await gatewayCertificate('gw-1000');
    const expected = {
      ok: true,
      value: {
        certificateId: signed.certificateId,
        commonName: 'gw-1000',
        isClaim: false,
        isMonitor: false,
        isIngestWorker: false,
        notAfter: signed.notAfter,
      },
    };
    expect(await verifyClientCertificate(der(signed.certificatePem), trust)).toEqual(expected);
    expect(await verifyClientCertificate(signed.certificatePem, trust)).toEqual(expected);
  });

  it('tells a claim certificate apart by its OU, not by a claim-like thing name', async () => {
    const claim = await ca.issueClaimCertificate('acme');
    const result = await verifyClientCertificate(claim.certificatePem, trust);
    expect(result).toMatchObject({ ok: true, value: { commonName: 'claim-acme', isClaim: true } });

    const lookalike = await gatewayCertificate('claim-acme');
    const other = await verifyClientCertificate(lookalike.certificatePem, trust);
    expect(other).toMatchObject({ ok: true, value: { commonName: 'claim-acme', isClaim: false } });
  });

  it('tells a monitor certificate apart by its OU, not by a monitor-like thing name', async () => {
    const monitor = await ca.issueMonitorCertificate('lab');
    expect(await verifyClientCertificate(monitor.certificatePem, trust)).toMatchObject({
      ok: true,
      value: { commonName: 'zw-monitor-lab', isMonitor: true, isClaim: false },
    });
    const lookalike = await gatewayCertificate('zw-monitor-lab');
    expect(await verifyClientCertificate(lookalike.certificatePem, trust)).toMatchObject({
      ok: true,
      value: { commonName: 'zw-monitor-lab', isMonitor: false },
    });
    await expect(ca.issueMonitorCertificate('no/slash')).rejects.toMatchObject({
      code: 'MONITOR_NAME_INVALID',
    });
  });

  it('tells an ingest worker certificate apart by its OU, not by a worker-like thing name', async () => {
    const worker = await ca.issueIngestWorkerCertificate('w1');
    expect(await verifyClientCertificate(worker.certificatePem, trust)).toMatchObject({
      ok: true,
      value: { commonName: 'zw-ingest-w1', isIngestWorker: true, isMonitor: false, isClaim: false },
    });
    const lookalike = await gatewayCertificate('zw-ingest-w1');
    expect(await verifyClientCertificate(lookalike.certificatePem, trust)).toMatchObject({
      ok: true,
      value: { commonName: 'zw-ingest-w1', isIngestWorker: false },
    });
    await expect(ca.issueIngestWorkerCertificate('x'.repeat(49))).rejects.toMatchObject({
      code: 'INGEST_WORKER_NAME_INVALID',
    });
  });

  it('refuses a certificate from another CA, even one with the same name', async () => {
    const otherCa = await loadOrCreateCertificateAuthority();
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-1001');
    const foreign = await otherCa.signGatewayCsr(csrPem, { thingName: 'gw-1001' });
    expect(new x509.X509Certificate(foreign.certificatePem).issuer).toBe(
      new x509.X509Certificate(ca.caCertificatePem).subject,
    );
    expect(await verifyClientCertificate(foreign.certificatePem, trust)).toMatchObject({
      ok: false,
      code: 'UNKNOWN_ISSUER',
      certificateId: foreign.certificateId,
    });
  });

  it('refuses an expired certificate, and one not valid yet', async () => {
    const twoYearsAgo = new Date(Date.now() - 2 * 365 * DAY_MS);
    const pastCa = await loadOrCreateCertificateAuthority({ now: () => twoYearsAgo });
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-1002');
    const old = await pastCa.signGatewayCsr(csrPem, { thingName: 'gw-1002', validityDays: 30 });
    const pastTrust = { caCertificatePem: pastCa.caCertificatePem };
    expect(await verifyClientCertificate(old.certificatePem, pastTrust)).toMatchObject({
      ok: false,
      code: 'EXPIRED',
    });
    const beforeIssue = new Date(twoYearsAgo.getTime() - DAY_MS);
    expect(
      await verifyClientCertificate(old.certificatePem, { ...pastTrust, now: beforeIssue }),
    ).toMatchObject({ ok: false, code: 'NOT_YET_VALID' });
    expect(
      await verifyClientCertificate(old.certificatePem, { ...pastTrust, now: twoYearsAgo }),
    ).toMatchObject({ ok: true });
  });

  it('refuses our own server certificate and the root as client certificates', async () => {
    const server = await ca.issueServerCertificate();
    expect(await verifyClientCertificate(server.certificatePem, trust)).toMatchObject({
      ok: false,
      code: 'NOT_CLIENT_AUTH',
    });
    expect(await verifyClientCertificate(ca.caCertificatePem, trust)).toMatchObject({
      ok: false,
      code: 'NOT_CLIENT_AUTH',
    });
  });

  it('reports garbage as CERTIFICATE_INVALID instead of throwing', async () => {
    for (const input of ['not a certificate', new Uint8Array([0x30, 0x03, 0x02, 0x01]), '']) {
      expect(await verifyClientCertificate(input, trust)).toMatchObject({
        ok: false,
        code: 'CERTIFICATE_INVALID',
      });
    }
  });
});
