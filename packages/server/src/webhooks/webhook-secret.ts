import { randomBytes } from 'node:crypto';
import type { KeyVault } from '../keys/key-vault.js';
import { decodeSealedKey, encodeSealedKey } from '../keys/sealed-key.js';

/**
 * A webhook's signing secret: 128 random bits, shown to the operator once as
 * `whsec_<base64url>` and kept sealed by the key vault (the same envelope as
 * meter keys, bound to the partner and the webhook), because the platform
 * must sign with it later and so cannot keep only a digest as for API keys.
 */
const PREFIX = 'whsec_';
const SECRET_BYTES = 16;

export function newWebhookSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SECRET_BYTES));
}

export function webhookSecretText(bytes: Uint8Array): string {
  return `${PREFIX}${Buffer.from(bytes).toString('base64url')}`;
}

function identity(webhookId: string): string {
  return `webhook:${webhookId}`;
}

export async function sealWebhookSecret(
  vault: Pick<KeyVault, 'seal'>,
  partnerId: string,
  webhookId: string,
  bytes: Uint8Array,
): Promise<string> {
  const sealed = await vault.seal(bytes, { partnerId, meterIdentity: identity(webhookId) });
  return encodeSealedKey(sealed);
}

/** The secret text a webhook signs with; fails if the blob was moved to another webhook. */
export async function openWebhookSecret(
  vault: Pick<KeyVault, 'open'>,
  webhook: { partnerId: string; id: string; sealedSecret: string },
): Promise<string> {
  const bytes = await vault.open(decodeSealedKey(webhook.sealedSecret), {
    partnerId: webhook.partnerId,
    meterIdentity: identity(webhook.id),
  });
  try {
    return webhookSecretText(bytes);
  } finally {
    bytes.fill(0);
  }
}
