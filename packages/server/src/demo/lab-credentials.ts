import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IotCore } from '../domain/ports.js';
import type { IotRegistry } from '../iot/iot-registry.js';
import type { CertificateAuthority } from '../iot/local/pki/index.js';
import { certificateIdOf } from '../iot/local/pki/index.js';
import { registerIngestWorker } from '../iot/local/ingest-worker-credentials.js';
import { registerMonitor } from '../iot/local/monitor/index.js';
import { registerUnattachedCertificate } from '../iot/local/unattached-certificate.js';
import { makeGatewayKeyAndCsr } from './gateway-key.js';

/** A client certificate and its key, in memory and where they were written. */
export interface LabIdentity {
  certificatePem: string;
  privateKeyPem: string;
  certificatePath: string;
  privateKeyPath: string;
}

/**
 * Everything a gateway vendor's lab needs to work against this emulator,
 * written to one folder: the CA to trust, a registered gateway's certificate
 * and key, and a monitor's for the live conformance checker.
 */
export interface LabCredentials {
  dir: string;
  caPath: string;
  /** The CA certificate the broker's certificate chains to. */
  caPem: string;
  thingName: string;
  gateway: LabIdentity;
  monitor: LabIdentity;
  /** A fleet-provisioning claim certificate of the partner, when asked for. */
  claim: (LabIdentity & { templateName: string }) | null;
  /** The platform's own ingest worker certificate (`zw-ingest-platform`), when asked for. */
  ingestWorker: LabIdentity | null;
}

export interface PrepareLabOptions {
  dir: string;
  iot: Pick<IotCore, 'registerGateway'>;
  registry: Pick<IotRegistry, 'getThing' | 'getCertificate' | 'createCertificate'>;
  ca: Pick<
    CertificateAuthority,
    | 'caCertificatePem'
    | 'issueMonitorCertificate'
    | 'issueClaimCertificate'
    | 'issueIngestWorkerCertificate'
  >;
  /** Also a claim certificate of the partner, for fleet provisioning with this template. */
  claimTemplateName?: string;
  /** Also the platform's own ingest worker certificate (`--ingest mqtt`). */
  ingestWorker?: boolean;
  /** Tried in order: the first that is free or whose credentials are in `dir` is used. */
  thingNames: readonly string[];
  partnerId: string;
  organisationId: string;
}

/**
 * Reuses the lab's gateway and monitor when their files are in `dir` and the
 * registry still holds their certificates ACTIVE (a restart with --data-dir),
 * and registers new ones otherwise. A thing name taken without files here
 * (someone else's gateway, or files deleted) is skipped, never taken over.
 */
export async function prepareLab(options: PrepareLabOptions): Promise<LabCredentials> {
  const { dir, registry } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caPath = join(dir, 'ca.pem');
  await writeFile(caPath, options.ca.caCertificatePem);

  let chosen: { thingName: string; identity: LabIdentity } | null = null;
  for (const thingName of options.thingNames) {
    const paths = identityPaths(dir, thingName);
    const stored = await readIdentity(paths);
    if (stored !== null && (await isActive(registry, stored.certificatePem, thingName))) {
      chosen = { thingName, identity: stored };
      break;
    }
    if ((await registry.getThing(thingName)) !== null) continue;
    const { csrPem, privateKeyPem } = await makeGatewayKeyAndCsr(thingName);
    const thing = await options.iot.registerGateway({
      thingName,
      partnerId: options.partnerId,
      organisationId: options.organisationId,
      csrPem,
    });
    const certificatePem = thing.certificates[0]?.certificatePem;
    if (certificatePem === undefined)
      throw new Error(`${thingName} registered without a certificate`);
    chosen = { thingName, identity: await writeIdentity(paths, certificatePem, privateKeyPem) };
    break;
  }
  if (chosen === null) {
    throw new Error(`every lab thing name is taken: ${options.thingNames.join(', ')}`);
  }

  const monitorPaths = identityPaths(dir, 'monitor');
  let monitor = await readIdentity(monitorPaths);
  if (monitor === null || !(await isActive(registry, monitor.certificatePem, null))) {
    const issued = await registerMonitor(options.ca, registry, {
      name: 'lab',
      partnerId: options.partnerId,
    });
    monitor = await writeIdentity(monitorPaths, issued.certificatePem, issued.privateKeyPem);
  }
  let claim: LabCredentials['claim'] = null;
  if (options.claimTemplateName !== undefined) {
    const claimPaths = identityPaths(dir, 'claim');
    let identity = await readIdentity(claimPaths);
    if (identity === null || !(await isActive(registry, identity.certificatePem, null))) {
      const issued = await options.ca.issueClaimCertificate(options.partnerId);
      await registerUnattachedCertificate(registry, issued, {
        partnerId: options.partnerId,
        isClaim: true,
      });
      identity = await writeIdentity(claimPaths, issued.certificatePem, issued.privateKeyPem);
    }
    claim = { ...identity, templateName: options.claimTemplateName };
  }
  let ingestWorker: LabIdentity | null = null;
  if (options.ingestWorker === true) {
    const workerPaths = identityPaths(dir, 'ingest-worker');
    ingestWorker = await readIdentity(workerPaths);
    // Reused across restarts, so that a --data-dir does not collect one certificate per start.
    if (ingestWorker === null || !(await isActive(registry, ingestWorker.certificatePem, null))) {
      const issued = await registerIngestWorker(options.ca, registry, { name: 'platform' });
      ingestWorker = await writeIdentity(workerPaths, issued.certificatePem, issued.privateKeyPem);
    }
  }
  return {
    dir,
    caPath,
    caPem: options.ca.caCertificatePem,
    claim,
    ingestWorker,
    thingName: chosen.thingName,
    gateway: chosen.identity,
    monitor,
  };
}

function identityPaths(dir: string, name: string) {
  return {
    certificatePath: join(dir, `${name}.cert.pem`),
    privateKeyPath: join(dir, `${name}.key.pem`),
  };
}

async function readIdentity(paths: {
  certificatePath: string;
  privateKeyPath: string;
}): Promise<LabIdentity | null> {
  try {
    const [certificatePem, privateKeyPem] = await Promise.all([
      readFile(paths.certificatePath, 'utf8'),
      readFile(paths.privateKeyPath, 'utf8'),
    ]);
    return { ...paths, certificatePem, privateKeyPem };
  } catch {
    return null;
  }
}

async function writeIdentity(
  paths: { certificatePath: string; privateKeyPath: string },
  certificatePem: string,
  privateKeyPem: string,
): Promise<LabIdentity> {
  await writeFile(paths.certificatePath, certificatePem);
  await writeFile(paths.privateKeyPath, privateKeyPem, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(paths.privateKeyPath, 0o600);
  return { ...paths, certificatePem, privateKeyPem };
}

async function isActive(
  registry: Pick<IotRegistry, 'getCertificate'>,
  certificatePem: string,
  thingName: string | null,
): Promise<boolean> {
  let certificateId: string;
  try {
    certificateId = certificateIdOf(new X509Certificate(certificatePem).raw);
  } catch {
    return false;
  }
  const record = await registry.getCertificate(certificateId);
  return record !== null && record.status === 'ACTIVE' && record.thingName === thingName;
}
