import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IotRegistry } from '../iot/iot-registry.js';
import { connectOrThrow, endAllClients } from '../iot/local/broker/broker-test-kit.js';
import type { LocalBroker } from '../iot/local/broker/index.js';
import { startLocalIotCore, type LocalIotCore } from '../iot/local/local-iot-core.js';
import {
  certificateIdOf,
  loadOrCreateCertificateAuthority,
  type CertificateAuthority,
} from '../iot/local/pki/index.js';
import { createMemoryIotRegistry } from '../iot/memory-iot-registry.js';
import { prepareLab } from './lab-credentials.js';

describe('lab credentials', { timeout: 20_000 }, () => {
  let ca: CertificateAuthority;
  let registry: IotRegistry;
  let iot: LocalIotCore;
  let broker: LocalBroker;
  const dirs: string[] = [];

  beforeAll(async () => {
    ca = await loadOrCreateCertificateAuthority();
  });
  beforeEach(async () => {
    registry = createMemoryIotRegistry();
    ({ iot, broker } = await startLocalIotCore({ registry, ca, port: 0 }));
  });
  afterEach(async () => {
    await endAllClients();
    await broker.close();
  });
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function lab(dir?: string, options: { ingestWorker?: boolean } = {}) {
    const target = dir ?? (await mkdtemp(join(tmpdir(), 'zw-lab-')));
    dirs.push(target);
    return prepareLab({
      dir: target,
      iot,
      registry,
      ca,
      thingNames: ['sim-gw-0001', 'sim-gw-0002'],
      partnerId: 'demo',
      organisationId: 'demo-operator',
      ...options,
    });
  }

  it('registers a gateway and a monitor whose files connect, with private keys kept private', async () => {
    const credentials = await lab();
    expect(credentials.thingName).toBe('sim-gw-0001');
    expect(await readFile(credentials.caPath, 'utf8')).toBe(ca.caCertificatePem);
    expect((await stat(credentials.gateway.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(credentials.monitor.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(await registry.getThing('sim-gw-0001')).toMatchObject({ partnerId: 'demo' });

    const gateway = {
      certificatePem: await readFile(credentials.gateway.certificatePath, 'utf8'),
      privateKeyPem: await readFile(credentials.gateway.privateKeyPath, 'utf8'),
    };
    await connectOrThrow(broker, { certificateId: '', ...gateway }, { clientId: 'sim-gw-0001' });
    await connectOrThrow(
      broker,
      { certificateId: '', ...credentials.monitor },
      {
        clientId: 'zw-monitor-lab',
      },
    );
  });

  it('reuses its files after a restart, and never takes over a thing it has no key for', async () => {
    const first = await lab();
    const again = await lab(first.dir);
    expect(again.thingName).toBe('sim-gw-0001');
    expect(again.gateway.certificatePem).toBe(first.gateway.certificatePem);
    expect(again.monitor.certificatePem).toBe(first.monitor.certificatePem);

    const elsewhere = await lab();
    expect(elsewhere.thingName).toBe('sim-gw-0002');

    // A revoked lab gateway is not reused; with every other name taken, start says why.
    const [certificate] = await registry.listCertificates('sim-gw-0001');
    await registry.setCertificateStatus(certificate!.certificateId, 'REVOKED');
    await expect(lab(first.dir)).rejects.toThrow('every lab thing name is taken');
  });

  it('keeps the platform’s ingest worker certificate when asked for, and reuses it while active', async () => {
    expect((await lab()).ingestWorker).toBeNull();
    const first = await lab(undefined, { ingestWorker: true });
    const worker = first.ingestWorker!;
    expect((await stat(worker.privateKeyPath)).mode & 0o777).toBe(0o600);
    await connectOrThrow(
      broker,
      { certificateId: '', ...worker },
      { clientId: 'zw-ingest-platform' },
    );
    const again = await lab(first.dir, { ingestWorker: true });
    expect(again.ingestWorker!.certificatePem).toBe(worker.certificatePem);

    // Revoked, it is replaced rather than reused.
    const id = certificateIdOf(new X509Certificate(worker.certificatePem).raw);
    await registry.setCertificateStatus(id, 'REVOKED');
    const third = await lab(first.dir, { ingestWorker: true });
    expect(third.ingestWorker!.certificatePem).not.toBe(worker.certificatePem);
  });
});
