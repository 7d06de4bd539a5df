import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useDynaliteTable } from '../test/ports/dynalite-table.js';
import { ConfigError } from './config.js';
import { runIngestWorkerCommand, type IngestWorkerCommandIo } from './ingest-worker-cli.js';
import {
  loadOrCreateCertificateAuthority,
  verifyClientCertificate,
} from './iot/local/pki/index.js';
import { createDynamoIotRegistry } from './store/dynamodb-iot-registry.js';

function io(cwd: string): IngestWorkerCommandIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
    env: {},
    cwd,
    untilStopped: () => Promise.resolve(),
  };
  return captured;
}

describe('zw-server ingest-worker', () => {
  const table = useDynaliteTable('ingest-worker-cli');
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zw-worker-cli-'));
    dirs.push(dir);
    return dir;
  };

  it('explains itself, and says what is missing', async () => {
    const help = io('/');
    expect(await runIngestWorkerCommand(['--help'], help)).toBe(0);
    expect(help.out).toContain('$share/zw-ingest/zw/v1/ingest/+/telegrams');
    await expect(runIngestWorkerCommand(['--mqtt-url', 'mqtts://x:8883'], io('/'))).rejects.toThrow(
      new ConfigError(['--cert is required', '--key is required', '--ca is required']),
    );
    // Settings of the platform go through its own parser, which knows them.
    await expect(
      runIngestWorkerCommand(['--mqtt-url', 'mqtts://x', '--table', '!'], io('/')),
    ).rejects.toThrow(/--table/);
    const odd = io('/');
    expect(await runIngestWorkerCommand(['rotate'], odd)).toBe(2);
    expect(odd.err).toContain("unexpected 'rotate'");
  });

  it('issues and registers credentials from the CA under the data dir, never a new CA', async () => {
    const { doc, tableName, endpoint } = table.table();
    const dataDir = await tempDir();
    const common = ['--data-dir', dataDir, '--dynamodb-endpoint', endpoint, '--table', tableName];
    const none = io(dataDir);
    expect(
      await runIngestWorkerCommand(['credentials', '--name', 'w1', '--out', 'w', ...common], none),
    ).toBe(1);
    expect(none.err).toMatch(/no CA under/);

    const ca = await loadOrCreateCertificateAuthority({ dir: join(dataDir, 'pki') });
    const made = io(dataDir);
    expect(
      await runIngestWorkerCommand(['credentials', '--name', 'w1', '--out', 'w', ...common], made),
    ).toBe(0);
    const certificatePem = await readFile(join(dataDir, 'w', 'zw-ingest-w1.cert.pem'), 'utf8');
    const keyFile = join(dataDir, 'w', 'zw-ingest-w1.key.pem');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dataDir, 'w', 'ca.pem'), 'utf8')).toBe(ca.caCertificatePem);
    const verified = await verifyClientCertificate(certificatePem, {
      caCertificatePem: ca.caCertificatePem,
    });
    expect(verified).toMatchObject({ ok: true, value: { isIngestWorker: true } });
    const certificateId = verified.ok ? verified.value.certificateId : '';
    const registry = createDynamoIotRegistry({ doc, tableName });
    expect(await registry.getCertificate(certificateId)).toMatchObject({
      status: 'ACTIVE',
      thingName: null,
      isClaim: false,
    });
    expect(made.out).toContain('zw-server ingest-worker --mqtt-url');
  });
});
