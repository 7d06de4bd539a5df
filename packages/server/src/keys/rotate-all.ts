import { keyErrorReason } from './key-errors.js';
import type { KeyVault } from './key-vault.js';
import type { SealedKey } from './sealed-key.js';

export interface RotateAllOptions<T> {
  /** Where the sealed key of an item is; `item.sealed` when absent. */
  sealedOf?: (item: T) => SealedKey;
  /** Items worked on at once; 8 when absent. */
  concurrency?: number;
  /** Stops taking new items; those under way finish. */
  signal?: AbortSignal;
  /** Failures listed in the report (all are counted); 100 when absent. */
  maxFailuresListed?: number;
}

export interface RotationFailure {
  /** Position of the item in the stream, from 0. */
  index: number;
  masterKeyId: string;
  /** A KeyErrorReason, or `save-failed`. */
  reason: string;
  message: string;
}

export interface RotationReport {
  /** Items taken from the stream. */
  scanned: number;
  /** Rewrapped and saved. */
  rewrapped: number;
  /** Already under the current master key: neither rewrapped nor saved. */
  current: number;
  failed: number;
  failures: RotationFailure[];
  /** Items found under each master key id, the current one included. */
  byMasterKey: Record<string, number>;
  /** The master key everything was rewrapped to. */
  masterKeyId: string;
  aborted: boolean;
}

/**
 * Rewraps every sealed key of a stream under the vault's current master key
 * and hands each changed one to `save`; the meter key ciphertext is untouched.
 * Store-agnostic: the caller iterates its table and writes back (a
 * conditional write on the old value keeps a concurrent re-import safe).
 *
 * Failures of one item (a retired master key, a failed save) are counted and
 * the rotation goes on; running it again picks up what is left, since items
 * under the current key are skipped. An error of the stream itself rejects,
 * after the items under way have finished. Retire the old master key only when a
 * run reports `failed: 0` and `byMasterKey` names nothing else.
 */
export async function rotateAll<T>(
  vault: KeyVault,
  iterate: AsyncIterable<T> | Iterable<T>,
  save: (item: T, rewrapped: SealedKey) => Promise<void>,
  options: RotateAllOptions<T> = {},
): Promise<RotationReport> {
  const sealedOf = options.sealedOf ?? ((item: T) => (item as { sealed: SealedKey }).sealed);
  const concurrency = options.concurrency ?? 8;
  const maxListed = options.maxFailuresListed ?? 100;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError('concurrency must be a positive integer');
  }
  const report: RotationReport = {
    scanned: 0,
    rewrapped: 0,
    current: 0,
    failed: 0,
    failures: [],
    byMasterKey: {},
    masterKeyId: vault.masterKey.keyId(),
    aborted: false,
  };
  const fail = (index: number, masterKeyId: string, reason: string, message: string) => {
    report.failed++;
    if (report.failures.length < maxListed) {
      report.failures.push({ index, masterKeyId, reason, message });
    }
  };

  const items = (
    Symbol.asyncIterator in iterate
      ? iterate[Symbol.asyncIterator]()
      : (iterate as Iterable<T>)[Symbol.iterator]()
  ) as AsyncIterator<T> | Iterator<T>;
  let next = 0;

  async function work(): Promise<void> {
    for (;;) {
      if (options.signal?.aborted) {
        report.aborted = true;
        return;
      }
      const step = await items.next();
      if (step.done === true) return;
      const index = next++;
      report.scanned++;
      const item = step.value;
      let sealed: SealedKey;
      try {
        sealed = sealedOf(item);
      } catch (err) {
        fail(index, '', 'malformed-sealed-key', messageOf(err));
        continue;
      }
      report.byMasterKey[sealed.masterKeyId] = (report.byMasterKey[sealed.masterKeyId] ?? 0) + 1;
      if (!vault.needsRewrap(sealed)) {
        report.current++;
        continue;
      }
      let rewrapped: SealedKey;
      try {
        rewrapped = await vault.rewrap(sealed);
      } catch (err) {
        fail(index, sealed.masterKeyId, keyErrorReason(err) ?? 'rewrap-failed', messageOf(err));
        continue;
      }
      try {
        await save(item, rewrapped);
        report.rewrapped++;
      } catch (err) {
        fail(index, sealed.masterKeyId, 'save-failed', messageOf(err));
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, work));
  return report;
}

function messageOf(err: unknown): string {
  // Only the message: a store error's own fields may carry the item it failed on.
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
