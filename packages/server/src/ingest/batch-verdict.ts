import {
  topics,
  validate,
  type ErrorResponse,
  type TelegramBatch,
  type ValidationIssue,
} from '@zaehlwerk/firmware-contract';

/** What the ingest makes of one delivered batch before anything is decrypted or stored. */
export type BatchVerdict =
  { ok: true; batch: TelegramBatch } | { ok: false; response: ErrorResponse };

/** The error response's own bounds (error-response.schema.json). */
const MAX_ISSUES = 20;
const MAX_ISSUE_TEXT = 256;
const MAX_MESSAGE = 512;

/**
 * Checks a gateway's batch against the firmware contract (clauses 4, 5.1,
 * 10.3) and, when it fails, builds the answer clause 13 promises the gateway:
 * one stable code, what was wrong, and that resending it unchanged is useless.
 * Pure: the caller publishes the answer and keeps the batch out of the ingest.
 */
export function batchVerdict(
  delivery: { thingName: string; payload: Uint8Array },
  at: Date,
): BatchVerdict {
  const result = validate('telegram-batch', delivery.payload);
  if (result.ok) return { ok: true, batch: result.value };
  const code = errorCode(result.issues);
  const gatewaySeq = readableSeq(delivery.payload);
  return {
    ok: false,
    response: {
      contractVersion: '1',
      code,
      message: truncate(summary(code, result.issues), MAX_MESSAGE),
      // As the gateway published it, Basic Ingest prefix included (clause 13.1).
      topic: topics.telegrams(delivery.thingName),
      ...(gatewaySeq === null ? {} : { gatewaySeq }),
      issues: result.issues.slice(0, MAX_ISSUES).map((issue) => ({
        path: truncate(issue.path, MAX_ISSUE_TEXT),
        keyword: truncate(issue.keyword, 64),
        message: truncate(issue.message, MAX_ISSUE_TEXT),
      })),
      retry: false,
      at: at.toISOString(),
    },
  };
}

function errorCode(issues: readonly ValidationIssue[]): ErrorResponse['code'] {
  if (issues.some((issue) => issue.keyword === 'json')) return 'INVALID_JSON';
  if (issues.some((issue) => issue.keyword === 'maxBytes')) return 'PAYLOAD_TOO_LARGE';
  if (issues.every((issue) => issue.keyword === 'frameLength')) return 'FRAME_INVALID';
  return 'SCHEMA_VIOLATION';
}

function summary(code: ErrorResponse['code'], issues: readonly ValidationIssue[]): string {
  const first = issues[0];
  const where = first === undefined ? '' : ` (first: ${first.path || '/'} ${first.message})`;
  const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
  switch (code) {
    case 'INVALID_JSON':
      return `The batch is not one UTF-8 JSON document${where}.`;
    case 'PAYLOAD_TOO_LARGE':
      return `The batch is over the contract's size limit${where}.`;
    case 'FRAME_INVALID':
      return `A frame's L field does not fit its length: ${count}${where}.`;
    default:
      return `The batch breaks the telegram-batch schema: ${count}${where}.`;
  }
}

/** The batch's gatewaySeq when the payload is JSON with a usable one, so the gateway can match. */
function readableSeq(payload: Uint8Array): number | null {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(payload)) as { gatewaySeq?: unknown };
    const seq = parsed.gatewaySeq;
    return Number.isSafeInteger(seq) && (seq as number) >= 0 ? (seq as number) : null;
  } catch {
    return null;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
