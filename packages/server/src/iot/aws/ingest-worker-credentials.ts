import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { ingestWorkerCommonName } from '../local/pki/certificate-names.js';
import { INGEST_WORKER_POLICY_NAME } from './provisioning-template.js';

export interface AwsIngestWorkerCredentials {
  /**
   * `zw-ingest-<name>`, or `zw-ingest-<name>-<n>` per session. The worker must
   * be told it (`--client-id`): AWS names every certificate it makes "AWS IoT
   * Certificate", so the certificate cannot say which worker it is.
   */
  clientId: string;
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  /** AWS hands the private key out once, here; it keeps no copy. */
  privateKeyPem: string;
}

/**
 * Makes an ingest worker's credentials on AWS IoT Core: CreateKeysAndCertificate
 * (active at once; AWS's CA signs it, so no CA of ours is involved) and
 * AttachPolicy of the worker policy (`zw-ingest-worker`, which
 * `ensureAwsResources` deploys) to the new certificate. If the policy cannot
 * be attached, the certificate is deactivated and deleted again, so no
 * certificate without a purpose is left in the account.
 */
export async function createAwsIngestWorkerCredentials(
  iot: IoTClient,
  options: { name: string; policyName?: string },
): Promise<AwsIngestWorkerCredentials> {
  // Before any call: a bad name must not leave a certificate behind.
  const clientId = ingestWorkerCommonName(options.name);
  const policyName = options.policyName ?? INGEST_WORKER_POLICY_NAME;
  const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  const { certificateId, certificateArn, certificatePem } = created;
  const privateKeyPem = created.keyPair?.PrivateKey;
  if (!certificateId || !certificateArn || !certificatePem || !privateKeyPem) {
    throw new Error('CreateKeysAndCertificate answered without a certificate or its key');
  }
  try {
    await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
  } catch (err) {
    const leftBehind = await deleteCertificate(iot, certificateId);
    if (leftBehind === null) throw err;
    throw new Error(
      `attaching policy '${policyName}' failed, and certificate ${certificateId} could not ` +
        `be deleted (${leftBehind}); deactivate and delete it by hand`,
      { cause: err },
    );
  }
  return { clientId, certificateId, certificateArn, certificatePem, privateKeyPem };
}

/** Null when deleted, else what stopped it. AWS deletes only an inactive certificate. */
async function deleteCertificate(iot: IoTClient, certificateId: string): Promise<string | null> {
  try {
    await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await iot.send(new DeleteCertificateCommand({ certificateId }));
    return null;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}
