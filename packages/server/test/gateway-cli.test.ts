import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatewayCommand } from '../src/gateway-cli.js';
import {
  closedBy,
  connectOrThrow,
  endAllClients,
} from '../src/iot/local/broker/broker-test-kit.js';
import { certificateIdOf } from '../src/iot/local/pki/index.js';
import { makeGatewayCsr } from '../src/iot/local/pki/pki-test-kit.js';
import { X509Certificate } from 'node:crypto';
import { startGatewayApp, type GatewayApp } from './gateway-app-kit.js';

/** zw-server gateway: the operator CLI, against the API over HTTP. */
describe('zw-server gateway', { timeout: 20_000 }, () => {
  let kit: GatewayApp;
  let url: string;
  let dir: string;
  let apiKey: string;

  beforeAll(async () => {
    kit = await startGatewayApp();
    url = await kit.app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'zw-gw-cli-'));
    apiKey = await kit.apiKey('acme', [
      { role: 'operator', partnerId: 'acme', organisationId: 'o1' },
    ]);
  });
  afterAll(async () => {
    await endAllClients();
    await kit.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(
    args: string[],
    env: Record<string, string> = { ZW_API_URL: url, ZW_API_KEY: apiKey },
  ) {
    const out = { stdout: '', stderr: '' };
    const code = await runGatewayCommand(args, {
      stdout: (t) => (out.stdout += t),
      stderr: (t) => (out.stderr += t),
      env,
      cwd: dir,
    });
    return { code, ...out };
  }

  it('registers from a CSR file, lists, and revokes, which closes the connection', async () => {
    const { csrPem, privateKeyPem } = await makeGatewayCsr('P-256', 'CN=gw-cli-1');
    await writeFile(join(dir, 'gw.csr'), csrPem);
    const registered = await run([
      'register',
      '--org',
      'o1',
      '--thing',
      'gw-cli-1',
      '--csr',
      'gw.csr',
      '--out',
      'gw.crt',
    ]);
    expect(registered).toMatchObject({ code: 0, stdout: 'certificate written to gw.crt\n' });
    const certificatePem = await readFile(join(dir, 'gw.crt'), 'utf8');
    const certificateId = certificateIdOf(new X509Certificate(certificatePem).raw);

    const listed = await run(['list', '--org', 'o1']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^gw-cli-1\s+o1\s+never\s+[0-9a-f]{12}… ACTIVE$/m);

    const client = await connectOrThrow(
      kit.broker,
      { certificateId, certificatePem, privateKeyPem },
      { clientId: 'gw-cli-1' },
    );
    const closed = closedBy(client);
    const revoked = await run(['revoke', 'gw-cli-1', certificateId]);
    expect(revoked).toMatchObject({
      code: 0,
      stdout: `gw-cli-1: certificate ${certificateId} is REVOKED\n`,
    });
    await closed;
    expect(kit.audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['gateway.registered', 'gateway.certificate-status-changed']),
    );
  });

  it('says what the API refused, with its code, and exits 1', async () => {
    const { csrPem } = await makeGatewayCsr('P-256', 'CN=gw-cli-2');
    await writeFile(join(dir, 'other.csr'), csrPem);
    const refused = await run([
      'register',
      '--org',
      'o2',
      '--thing',
      'gw-cli-2',
      '--csr',
      'other.csr',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^zw-server gateway: FORBIDDEN: /);
    const wrongKey = await run(['list'], { ZW_API_URL: url, ZW_API_KEY: `${apiKey}x` });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/UNAUTHENTICATED/);
  });

  it('answers bad usage with exit code 2 and the usage text', async () => {
    expect((await run([])).code).toBe(2);
    expect(await run(['register', '--org', 'o1'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/register needs --thing THING/),
    });
    expect(await run(['list'], { ZW_API_URL: url })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--api-key/),
    });
    expect((await run(['explode'])).code).toBe(2);
  });
});
