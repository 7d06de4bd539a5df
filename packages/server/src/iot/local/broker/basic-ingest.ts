/** What Basic Ingest hands to a rule (IOT-CORE.md §1.13). */
export interface BasicIngestTopic {
  rule: string;
  /** The topic without `$aws/rules/<rule>/`: what the rule's `topic()` sees. */
  topic: string;
}

/**
 * Splits `$aws/rules/<rule>/<topic>`; null for any other topic. IoT Core rule
 * names are letters, digits and `_`; anything else cannot name a rule and is
 * not Basic Ingest (the reserved-topic check refuses it then).
 */
export function parseBasicIngestTopic(topic: string): BasicIngestTopic | null {
  const match = /^\$aws\/rules\/([A-Za-z0-9_]+)\/(.+)$/s.exec(topic);
  if (match === null) return null;
  return { rule: match[1] as string, topic: match[2] as string };
}
