import type { CaptureLine } from '../capture.js';
import { isValidThingName } from '../topics.js';
import { CheckInputError, gatewayMessages, inferThingName, readCapture } from './capture-input.js';
import type { CapturedMessage } from './captured-message.js';
import {
  notObserved,
  orderResults,
  summarise,
  type CheckReport,
  type ClauseResult,
  type Finding,
} from './check-report.js';
import { CLAUSES } from './clauses.js';
import { judgeMessages } from './judge-messages.js';

export interface CheckCaptureOptions {
  /** The gateway to judge; inferred from the capture's topics (or client ids) when absent. */
  thingName?: string;
}

/** Assembles a report; `problem` marks input the checker could not judge at all. */
export function buildReport(parts: {
  source: CheckReport['source'];
  thingName: string | null;
  results: ClauseResult[];
  lines: number;
  messages: number;
  otherClients: number;
  unreadable: Finding[];
  problem?: string;
}): CheckReport {
  const clauses = orderResults(parts.results);
  const summary = summarise(clauses);
  return {
    ok: summary.fail === 0 && parts.unreadable.length === 0 && parts.problem === undefined,
    source: parts.source,
    thingName: parts.thingName,
    clauses,
    summary,
    input: {
      lines: parts.lines,
      messages: parts.messages,
      otherClients: parts.otherClients,
      unreadable: parts.unreadable,
      ...(parts.problem === undefined ? {} : { problem: parts.problem }),
    },
  };
}

/** Clauses only a live check exercises, listed so a capture's report shows what it leaves open. */
function liveOnly(): ClauseResult[] {
  return CLAUSES.filter((c) => !c.offline).map((c) =>
    notObserved(
      c.id,
      'judged only live (zw-contract check --url …): a capture shows no connections',
    ),
  );
}

/** Every clause of the catalogue as not observed, for input that cannot be judged. */
export function nothingJudged(reason: string, live: boolean): ClauseResult[] {
  return CLAUSES.filter((c) => (live ? c.live : c.offline)).map((c) => notObserved(c.id, reason));
}

/**
 * Judges a capture (JSON lines of the capture format, or lines already
 * parsed) clause by clause. Pure and synchronous: it never throws for
 * anything in the capture; input it cannot judge at all (no lines, an
 * ambiguous or invalid thing name, nothing of the named gateway) yields a
 * report with `input.problem` and `ok: false`.
 *
 * @example
 * const report = checkCapture(await readFile('gw.jsonl', 'utf8'));
 * if (!report.ok) console.log(formatReport(report));
 */
export function checkCapture(
  lines: readonly CaptureLine[] | string,
  options: CheckCaptureOptions = {},
): CheckReport {
  const read = readCapture(lines);
  const base = {
    source: 'capture' as const,
    lines: read.lines,
    unreadable: read.unreadable,
  };
  const unjudged = (thingName: string | null, problem: string, otherClients = 0): CheckReport =>
    buildReport({
      ...base,
      thingName,
      results: [...nothingJudged(problem, false), ...liveOnly()],
      messages: 0,
      otherClients,
      problem,
    });

  if (options.thingName !== undefined && !isValidThingName(options.thingName)) {
    return unjudged(
      null,
      `'${options.thingName}' is not a thing name (1–64 characters of A-Z a-z 0-9 : _ -)`,
    );
  }
  if (read.lines === 0) return unjudged(options.thingName ?? null, 'the capture holds no lines');
  if (read.entries.length === 0) {
    return unjudged(options.thingName ?? null, 'no line of the capture could be read');
  }

  let thingName: string | null;
  try {
    thingName = options.thingName ?? inferThingName(read.entries);
  } catch (error) {
    if (error instanceof CheckInputError) return unjudged(null, error.message);
    throw error;
  }
  if (thingName === null) {
    return unjudged(
      null,
      'no topic of the capture names a gateway: name it with --thing (thingName)',
    );
  }
  const { messages, otherClients } = gatewayMessages(read.entries, thingName);
  if (!messages.some((m) => mentions(m, thingName))) {
    return unjudged(
      thingName,
      `the capture holds no publish of ${thingName} (neither its client id nor its topics)`,
      otherClients,
    );
  }
  return buildReport({
    ...base,
    thingName,
    results: [...judgeMessages(thingName, messages), ...liveOnly()],
    messages: messages.length,
    otherClients,
  });
}

function mentions(message: CapturedMessage, thingName: string): boolean {
  const { route } = message;
  return (
    message.clientId === thingName || (route.kind !== 'unknown' && route.thingName === thingName)
  );
}
