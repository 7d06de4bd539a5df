import { capFindings, type ClauseResult, type Finding } from './check-report.js';
import { clauseInfo } from './clauses.js';

interface Tally {
  observed: number;
  findings: Finding[];
  notes: string[];
}

/** The reasons a rule gives for each outcome; counts are filled in by the rule itself. */
export interface ClauseReasons {
  pass?: string;
  fail?: string;
  notObserved: string;
}

/**
 * Where the rules write what they judged: how many things they looked at per
 * clause, what failed, and remarks worth reading either way. A clause with
 * findings fails, one that saw something passes, and one that saw nothing was
 * not observed; the rules only supply the words.
 */
export class ClauseLedger {
  private readonly tallies = new Map<string, Tally>();

  private tally(clause: string): Tally {
    let tally = this.tallies.get(clause);
    if (tally === undefined) {
      clauseInfo(clause); // a typo in a clause id fails loudly in the tests
      tally = { observed: 0, findings: [], notes: [] };
      this.tallies.set(clause, tally);
    }
    return tally;
  }

  /** Something was judged for this clause (a message, a batch, a frame). */
  saw(clause: string, count = 1): void {
    this.tally(clause).observed += count;
  }

  fail(clause: string, finding: Finding): void {
    this.tally(clause).findings.push(finding);
  }

  /** A remark that belongs in the clause's reason whatever its status (a SHOULD not met, …). */
  note(clause: string, text: string): void {
    const notes = this.tally(clause).notes;
    if (!notes.includes(text)) notes.push(text);
  }

  observed(clause: string): number {
    return this.tally(clause).observed;
  }

  failures(clause: string): number {
    return this.tally(clause).findings.length;
  }

  result(clause: string, reasons: ClauseReasons): ClauseResult {
    const { observed, findings, notes } = this.tally(clause);
    const status = findings.length > 0 ? 'fail' : observed > 0 ? 'pass' : 'not-observed';
    const main =
      status === 'fail'
        ? (reasons.fail ?? `${findings.length} problem${findings.length === 1 ? '' : 's'}`)
        : status === 'pass'
          ? (reasons.pass ?? `${observed} checked`)
          : reasons.notObserved;
    const reason = [main, ...notes].join('; ');
    const result: ClauseResult = {
      clause,
      title: clauseInfo(clause).title,
      status,
      reason,
      ...capFindings(status === 'fail' ? findings : []),
    };
    return result;
  }
}
