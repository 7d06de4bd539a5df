/** The fleet-provisioning MQTT API's request topics (IOT-CORE.md §1.8, §1.10). */
export type ProvisioningRequest =
  | { operation: 'create-from-csr'; format: 'json' | 'cbor' }
  | { operation: 'provision'; templateName: string; format: 'json' | 'cbor' };

/** Topic prefixes of the fleet-provisioning family, for routing service messages. */
export const PROVISIONING_TOPIC_PREFIXES: readonly string[] = Object.freeze([
  '$aws/certificates/',
  '$aws/provisioning-templates/',
]);

/**
 * Reads a request topic; null for anything else, including the `/accepted` and
 * `/rejected` response topics and `$aws/certificates/create/...`
 * (CreateKeysAndCertificate: AWS makes the private key, which §1.10 says to
 * avoid and the claim policy does not allow).
 */
export function parseProvisioningTopic(topic: string): ProvisioningRequest | null {
  const csr = /^\$aws\/certificates\/create-from-csr\/(json|cbor)$/.exec(topic);
  if (csr !== null) return { operation: 'create-from-csr', format: csr[1] as 'json' | 'cbor' };
  const provision = /^\$aws\/provisioning-templates\/([^/+#]+)\/provision\/(json|cbor)$/.exec(
    topic,
  );
  if (provision !== null) {
    return {
      operation: 'provision',
      templateName: provision[1] as string,
      format: provision[2] as 'json' | 'cbor',
    };
  }
  return null;
}
