import type { CapturedMessage } from './captured-message.js';
import type { ClauseResult } from './check-report.js';
import { ClauseLedger } from './clause-ledger.js';
import { frameResults, judgeFrames } from './frame-rules.js';
import { contractPayloads, judgePayloads, payloadResults } from './payload-rules.js';
import type { RuleContext } from './rule-context.js';
import { judgeSequence, sequenceResults } from './sequence-rules.js';
import { judgeShadow, shadowResults } from './shadow-rules.js';
import { judgeTopics } from './topic-rules.js';

/**
 * Every clause a record of the gateway's publishes can show, judged on the
 * messages in publish order. Pure, so the capture and live checks share it.
 */
export function judgeMessages(
  thingName: string | null,
  messages: readonly CapturedMessage[],
): ClauseResult[] {
  const context: RuleContext = { thingName, messages, ledger: new ClauseLedger() };
  const payloads = contractPayloads(context);
  const topicResults = judgeTopics(context);
  judgePayloads(context, payloads);
  judgeFrames(context, payloads);
  judgeSequence(context, payloads);
  judgeShadow(context, payloads);
  return [
    ...topicResults,
    ...payloadResults(context),
    ...frameResults(context),
    ...sequenceResults(context),
    ...shadowResults(context),
  ];
}
