import { topics, type ErrorResponse, type TelegramBatch } from '@zaehlwerk/firmware-contract';
import type { TelegramBatchDelivery } from '../domain/ports.js';
import { batchVerdict } from './batch-verdict.js';

export interface ContractGateOptions {
  /** The IoT Core port's publish: where the gateway hears why its batch was refused. */
  publish: (topic: string, payload: string) => Promise<void>;
  /** The rest of the ingest, for batches that keep the contract. */
  onBatch: (batch: TelegramBatch, delivery: TelegramBatchDelivery) => Promise<void>;
  log: {
    warn: (fields: object, message: string) => void;
    debug: (fields: object, message: string) => void;
  };
  now?: () => Date;
}

export interface ContractGateStats {
  accepted: number;
  rejected: Partial<Record<ErrorResponse['code'], number>>;
}

/**
 * The first step of the ingest: a batch that breaks the firmware contract is
 * answered on the gateway's errors topic (clause 13) and goes no further; a
 * batch that keeps it is handed on. A refused batch is acknowledged (the
 * handler resolves), since sending it again unchanged cannot succeed; only
 * a failure of `onBatch` rejects, which keeps the PUBACK back so the gateway
 * resends.
 */
export function createContractGate(options: ContractGateOptions): {
  handle: (delivery: TelegramBatchDelivery) => Promise<void>;
  stats: () => ContractGateStats;
} {
  const now = options.now ?? (() => new Date());
  const stats: ContractGateStats = { accepted: 0, rejected: {} };
  return {
    async handle(delivery) {
      const verdict = batchVerdict(delivery, now());
      if (verdict.ok) {
        await options.onBatch(verdict.batch, delivery);
        stats.accepted += 1;
        options.log.debug(
          { thingName: delivery.thingName, gatewaySeq: verdict.batch.gatewaySeq },
          `batch of ${verdict.batch.frames.length} frames accepted`,
        );
        return;
      }
      const { response } = verdict;
      stats.rejected[response.code] = (stats.rejected[response.code] ?? 0) + 1;
      options.log.warn(
        { thingName: delivery.thingName, code: response.code, gatewaySeq: response.gatewaySeq },
        `batch refused: ${response.message}`,
      );
      try {
        await options.publish(topics.errors(delivery.thingName), JSON.stringify(response));
      } catch (error) {
        // The answer is a courtesy (clause 13.4); losing it must not make the gateway resend.
        options.log.warn(
          { thingName: delivery.thingName, error: String(error) },
          'error response not delivered',
        );
      }
    },
    stats: () => ({ accepted: stats.accepted, rejected: { ...stats.rejected } }),
  };
}
