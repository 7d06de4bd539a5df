import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCertificateAuthority } from './certificate-authority.js';
import { tryMutualTls } from './pki-test-kit.js';
import { verifyClientCertificate } from './verify-client-certificate.js';

/**
 * Gateway vendors make keys and CSRs with the openssl CLI, and openssl is an
 * independent judge of what our CA writes; so both directions are tried here.
 */
const hasOpenssl = spawnSync('openssl', ['version']).error === undefined;
const NO_OPENSSL =
  'openssl is not on PATH: cannot test a vendor-made CSR or check certificates with it';

describe('with the openssl CLI', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zw-pki-openssl-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });

  it.for([
    ['EC P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['RSA 2048', ['-newkey', 'rsa:2048']],
  ] as const)(
    'signs a %s CSR made by openssl req, and openssl verifies it',
    async ([, key], ctx) => {
      ctx.skip(!hasOpenssl, NO_OPENSSL);
      const ca = await loadOrCreateCertificateAuthority();
      await writeFile(join(dir, 'ca.pem'), ca.caCertificatePem);
      openssl(
        'req',
        '-new',
        ...key,
        '-nodes',
        '-keyout',
        'gw.key',
        '-subj',
        '/CN=gw-3000',
        '-out',
        'gw.csr',
      );
      const csrPem = await readFile(join(dir, 'gw.csr'), 'utf8');

      const signed = await ca.signGatewayCsr(csrPem, { thingName: 'gw-3000' });
      await writeFile(join(dir, 'gw.crt'), signed.certificatePem);
      expect(openssl('verify', '-CAfile', 'ca.pem', '-purpose', 'sslclient', 'gw.crt').trim()).toBe(
        'gw.crt: OK',
      );
      const broker = await ca.issueServerCertificate();
      const outcome = await tryMutualTls(
        { ...broker, caPem: ca.caCertificatePem },
        {
          certificatePem: signed.certificatePem,
          privateKeyPem: await readFile(join(dir, 'gw.key'), 'utf8'),
          caPem: ca.caCertificatePem,
        },
      );
      expect(outcome).toMatchObject({ ok: true });
      expect(
        await verifyClientCertificate(signed.certificatePem, {
          caCertificatePem: ca.caCertificatePem,
        }),
      ).toMatchObject({ ok: true, value: { commonName: 'gw-3000' } });
    },
  );

  it('agrees that the server certificate serves localhost and the loopback addresses', async (ctx) => {
    ctx.skip(!hasOpenssl, NO_OPENSSL);
    const ca = await loadOrCreateCertificateAuthority();
    await writeFile(join(dir, 'ca.pem'), ca.caCertificatePem);
    await writeFile(join(dir, 'server.crt'), (await ca.issueServerCertificate()).certificatePem);
    const verify = (...check: string[]) =>
      openssl(
        'verify',
        '-CAfile',
        'ca.pem',
        '-purpose',
        'sslserver',
        ...check,
        'server.crt',
      ).trim();
    expect(verify('-verify_hostname', 'localhost')).toBe('server.crt: OK');
    expect(verify('-verify_ip', '127.0.0.1')).toBe('server.crt: OK');
    expect(verify('-verify_ip', '::1')).toBe('server.crt: OK');
    expect(() => verify('-purpose', 'sslclient')).toThrow(/unsuitable certificate purpose/);
  });

  it('refuses an RSA-1024 CSR made by openssl', async (ctx) => {
    ctx.skip(!hasOpenssl, NO_OPENSSL);
    const ca = await loadOrCreateCertificateAuthority();
    openssl(
      'req',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      'weak.key',
      '-subj',
      '/CN=gw-3001',
      '-out',
      'weak.csr',
    );
    const csrPem = await readFile(join(dir, 'weak.csr'), 'utf8');
    await expect(ca.signGatewayCsr(csrPem, { thingName: 'gw-3001' })).rejects.toMatchObject({
      code: 'KEY_TOO_WEAK',
    });
  });
});
