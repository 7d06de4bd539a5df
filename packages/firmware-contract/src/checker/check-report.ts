import { CLAUSES, clauseInfo } from './clauses.js';

export type ClauseStatus = 'pass' | 'fail' | 'not-observed';

/** One thing the gateway did wrong: where it was, and what was expected instead. */
export interface Finding {
  /** Capture line (1-based; live: the n-th message the checker captured). */
  line?: number;
  topic?: string;
  gatewaySeq?: number;
  /** Index of the frame in its batch's `frames`. */
  frameIndex?: number;
  message: string;
  expected?: string;
  actual?: string;
}

export interface ClauseResult {
  /** The clause number of docs/firmware-contract.md, e.g. '5.1'. */
  clause: string;
  title: string;
  status: ClauseStatus;
  /** Why: what was judged (pass), what went wrong (fail), or why nothing could be (not-observed). */
  reason?: string;
  /** Failures only, at most MAX_FINDINGS of them. */
  findings: Finding[];
  /** Findings left out beyond MAX_FINDINGS. */
  omittedFindings?: number;
}

export interface CheckReport {
  /** No clause failed, every capture line could be read, and there was a gateway to judge. */
  ok: boolean;
  source: 'capture' | 'live';
  /** The gateway judged; null when the capture names none. */
  thingName: string | null;
  clauses: ClauseResult[];
  summary: { pass: number; fail: number; notObserved: number };
  /** What the checker read. */
  input: {
    /** Capture lines read (blank lines not counted). */
    lines: number;
    /** Lines judged as the gateway's publishes. */
    messages: number;
    /** Lines of other clients (another gateway, a monitor) left out. */
    otherClients: number;
    /** Lines that are not capture lines: reported, never judged. */
    unreadable: Finding[];
    /**
     * Why the checker could not judge the gateway at all (no lines, no thing
     * name, an ambiguous capture, a gateway that never showed up). Not a
     * clause failure: the input, not the gateway, is at fault.
     */
    problem?: string;
  };
}

/** Findings kept per clause: enough to fix a defect, few enough to read. */
export const MAX_FINDINGS = 20;

/** Caps findings, counting those left out. */
export function capFindings(
  findings: Finding[],
  alreadyOmitted = 0,
): Pick<ClauseResult, 'findings' | 'omittedFindings'> {
  const omitted = alreadyOmitted + Math.max(0, findings.length - MAX_FINDINGS);
  return {
    findings: findings.slice(0, MAX_FINDINGS),
    ...(omitted > 0 ? { omittedFindings: omitted } : {}),
  };
}

function joinReasons(...reasons: (string | undefined)[]): string | undefined {
  const parts = reasons.filter((r): r is string => r !== undefined && r !== '');
  return parts.length === 0 ? undefined : parts.join('; ');
}

/**
 * One verdict from two judgements of the same clause (a capture's and a live
 * phase's): any failure fails it, any pass passes it, and a side that saw
 * nothing does not dilute the other's reason.
 */
export function mergeClauseResults(a: ClauseResult, b: ClauseResult): ClauseResult {
  if (a.status === 'not-observed' && b.status !== 'not-observed') return b;
  if (b.status === 'not-observed' && a.status !== 'not-observed') return a;
  const status: ClauseStatus =
    a.status === 'fail' || b.status === 'fail'
      ? 'fail'
      : a.status === 'pass' || b.status === 'pass'
        ? 'pass'
        : 'not-observed';
  const reason = joinReasons(a.reason, b.reason);
  return {
    clause: a.clause,
    title: a.title,
    status,
    ...(reason === undefined ? {} : { reason }),
    ...capFindings(
      [...a.findings, ...b.findings],
      (a.omittedFindings ?? 0) + (b.omittedFindings ?? 0),
    ),
  };
}

/** A clause with nothing to judge. */
export function notObserved(clause: string, reason: string): ClauseResult {
  return { clause, title: clauseInfo(clause).title, status: 'not-observed', reason, findings: [] };
}

/** Puts results in catalogue order, merging several results for one clause. */
export function orderResults(results: ClauseResult[]): ClauseResult[] {
  const byClause = new Map<string, ClauseResult>();
  for (const result of results) {
    const seen = byClause.get(result.clause);
    byClause.set(result.clause, seen === undefined ? result : mergeClauseResults(seen, result));
  }
  return CLAUSES.flatMap((clause) => {
    const result = byClause.get(clause.id);
    return result === undefined ? [] : [result];
  });
}

export function summarise(clauses: ClauseResult[]): CheckReport['summary'] {
  const count = (status: ClauseStatus) => clauses.filter((c) => c.status === status).length;
  return { pass: count('pass'), fail: count('fail'), notObserved: count('not-observed') };
}
