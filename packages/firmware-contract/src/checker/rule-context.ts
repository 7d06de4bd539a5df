import type { CapturedMessage } from './captured-message.js';
import type { ClauseLedger } from './clause-ledger.js';

/** What every rule gets: the gateway's publishes in capture order, and where to write. */
export interface RuleContext {
  thingName: string | null;
  messages: readonly CapturedMessage[];
  ledger: ClauseLedger;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** An ISO time for findings, from ms since the epoch. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'an unreadable time';
}
