/** Stable codes: the broker maps each to a refusal, tests and logs branch on them. */
export type LimitViolationCode =
  | 'CLIENT_ID_TOO_LONG'
  | 'CLIENT_ID_RESERVED'
  | 'QOS_NOT_SUPPORTED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOPIC_TOO_LONG'
  | 'TOPIC_TOO_DEEP'
  | 'RESERVED_TOPIC'
  | 'RETAIN_ON_RESERVED_TOPIC'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'TOO_MANY_FILTERS'
  | 'PUBLISH_RATE_EXCEEDED';

/**
 * A broken quota as data. `limit` and `actual` are numbers for counted quotas;
 * for rules (a reserved prefix, an unknown `$aws` topic) they say the rule and
 * the offending value.
 */
export interface LimitViolation {
  code: LimitViolationCode;
  limit: number | string;
  actual: number | string;
  message: string;
}
