import type { CheckReport, ClauseStatus, Finding } from './check-report.js';

const LABEL: Readonly<Record<ClauseStatus, string>> = {
  pass: 'PASS',
  fail: 'FAIL',
  'not-observed': 'NOT OBSERVED',
};

const LABEL_WIDTH = Math.max(...Object.values(LABEL).map((label) => label.length));

function where(finding: Finding, source: CheckReport['source']): string {
  const parts: string[] = [];
  // Live, `line` counts the publishes the checker captured: there is no file to point into.
  if (finding.line !== undefined) {
    parts.push(`${source === 'live' ? 'publish' : 'line'} ${finding.line}`);
  }
  if (finding.topic !== undefined) parts.push(finding.topic);
  if (finding.gatewaySeq !== undefined) parts.push(`gatewaySeq ${finding.gatewaySeq}`);
  if (finding.frameIndex !== undefined) parts.push(`frame ${finding.frameIndex}`);
  return parts.join(', ');
}

function findingLines(finding: Finding, indent: string, source: CheckReport['source']): string[] {
  const head = where(finding, source);
  const out = [`${indent}- ${head === '' ? '' : `${head}: `}${finding.message}`];
  if (finding.expected !== undefined) out.push(`${indent}    expected: ${finding.expected}`);
  if (finding.actual !== undefined) out.push(`${indent}    found:    ${finding.actual}`);
  return out;
}

function verdict(report: CheckReport): string {
  if (report.summary.fail > 0) return 'DOES NOT CONFORM';
  if (report.input.problem !== undefined) return 'NOT JUDGED';
  if (report.input.unreadable.length > 0) return 'INPUT INCOMPLETE';
  return 'CONFORMS as far as observed';
}

/**
 * The report as text for a terminal or a CI log: a header, one line per
 * clause with its verdict and reason, each failure's findings indented under
 * it, and a closing summary line.
 */
export function formatReport(report: CheckReport): string {
  const out: string[] = [];
  const { input } = report;
  const gateway = report.thingName ?? 'unknown gateway';
  out.push(
    report.source === 'capture'
      ? `Conformance of ${gateway} to the firmware contract v1, from a capture of ${input.lines} line${input.lines === 1 ? '' : 's'} (${input.messages} of the gateway${input.otherClients > 0 ? `, ${input.otherClients} of other clients left out` : ''})`
      : `Conformance of ${gateway} to the firmware contract v1, watched live (${input.messages} publish${input.messages === 1 ? '' : 'es'} captured)`,
  );
  if (input.problem !== undefined) out.push(`Could not judge the gateway: ${input.problem}`);
  out.push('');

  const idWidth = Math.max(...report.clauses.map((c) => c.clause.length), 4);
  for (const clause of report.clauses) {
    const label = LABEL[clause.status].padEnd(LABEL_WIDTH);
    const reason = clause.reason === undefined ? '' : ` — ${clause.reason}`;
    out.push(`${clause.clause.padEnd(idWidth)}  ${label}  ${clause.title}${reason}`);
    const indent = ' '.repeat(LABEL_WIDTH + 2 + idWidth + 2);
    for (const finding of clause.findings) {
      out.push(...findingLines(finding, indent, report.source));
    }
    if (clause.omittedFindings !== undefined) {
      out.push(`${indent}… and ${clause.omittedFindings} more`);
    }
  }

  if (input.unreadable.length > 0) {
    out.push('');
    out.push(
      report.source === 'live'
        ? `${input.unreadable.length} capture message${input.unreadable.length === 1 ? '' : 's'} from the broker could not be read (not judged):`
        : `${input.unreadable.length} line${input.unreadable.length === 1 ? '' : 's'} of the capture could not be read (not judged):`,
    );
    for (const finding of input.unreadable.slice(0, 20)) {
      out.push(...findingLines(finding, '  ', report.source));
    }
    if (input.unreadable.length > 20) out.push(`  … and ${input.unreadable.length - 20} more`);
  }

  const { pass, fail, notObserved } = report.summary;
  out.push('');
  out.push(`${pass} passed, ${fail} failed, ${notObserved} not observed: ${verdict(report)}`);
  return `${out.join('\n')}\n`;
}
