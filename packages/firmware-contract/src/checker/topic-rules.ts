import { topics } from '../topics.js';
import { isPlainObject, looksLikeBatch } from './captured-message.js';
import type { ClauseResult } from './check-report.js';
import { plural, type RuleContext } from './rule-context.js';

const UP_TOPICS =
  '$aws/rules/zw_ingest/zw/v1/gw/{thing}/telegrams, zw/v1/gw/{thing}/status, zw/v1/gw/{thing}/evt/{event}, $aws/things/{thing}/shadow/name/zw-config/get or /update';

/** 2.2 from a capture: only captures that record client ids (the emulator's) show it. */
function clientIds({ messages, thingName, ledger }: RuleContext): ClauseResult {
  for (const m of messages) {
    if (m.clientId === undefined) continue;
    ledger.saw('2.2');
    if (m.clientId !== thingName) {
      ledger.fail('2.2', {
        line: m.line,
        topic: m.topic,
        message: `published by client id '${m.clientId}'`,
        expected: `client id '${thingName ?? '?'}' (the thing name)`,
        actual: m.clientId,
      });
    }
  }
  return ledger.result('2.2', {
    pass: `${plural(ledger.observed('2.2'), 'publish', 'publishes')} by client id ${thingName ?? '?'}`,
    notObserved: 'the capture records no client ids (emulator captures and live checks do)',
  });
}

function basicIngest({ messages, thingName, ledger }: RuleContext): ClauseResult {
  for (const m of messages) {
    const { route } = m;
    if (route.kind === 'telegrams' && route.thingName === thingName) {
      ledger.saw('3.1');
      if (!route.basicIngest) {
        ledger.fail('3.1', {
          line: m.line,
          topic: m.topic,
          message:
            'telegram batch published without the Basic Ingest prefix: it never reaches the ingest rule',
          expected: topics.telegrams(route.thingName),
          actual: m.topic,
        });
      }
    } else if (looksLikeBatch(m)) {
      ledger.saw('3.1');
      ledger.fail('3.1', {
        line: m.line,
        topic: m.topic,
        message: 'telegram batch published on a topic other than the telegrams topic',
        expected:
          thingName === null
            ? '$aws/rules/zw_ingest/zw/v1/gw/{thing}/telegrams'
            : topics.telegrams(thingName),
        actual: m.topic,
      });
    }
  }
  return ledger.result('3.1', {
    pass: `${plural(ledger.observed('3.1'), 'batch', 'batches')} on the Basic Ingest topic`,
    notObserved: 'no telegram batch in the capture',
  });
}

function qos({ messages, ledger }: RuleContext): ClauseResult {
  for (const m of messages) {
    ledger.saw('3.2');
    if (m.qos !== 1) {
      ledger.fail('3.2', {
        line: m.line,
        topic: m.topic,
        message:
          m.qos === 2
            ? 'published with QoS 2, which IoT Core does not support'
            : 'published with QoS 0',
        expected: 'QoS 1',
        actual: `QoS ${m.qos}`,
      });
    }
  }
  return ledger.result('3.2', {
    pass: `${plural(ledger.observed('3.2'), 'publish', 'publishes')}, all QoS 1`,
    fail: `${plural(ledger.failures('3.2'), 'publish', 'publishes')} not QoS 1`,
    notObserved: 'no publish in the capture',
  });
}

function retain({ messages, ledger }: RuleContext): ClauseResult {
  for (const m of messages) {
    ledger.saw('3.3');
    if (m.retain) {
      ledger.fail('3.3', {
        line: m.line,
        topic: m.topic,
        message: 'published retained',
        expected: 'retain false',
        actual: 'retain true',
      });
    }
  }
  return ledger.result('3.3', {
    pass: `${plural(ledger.observed('3.3'), 'publish', 'publishes')}, none retained`,
    fail: `${plural(ledger.failures('3.3'), 'publish', 'publishes')} retained`,
    notObserved: 'no publish in the capture',
  });
}

function topicTable({ messages, thingName, ledger }: RuleContext): ClauseResult {
  for (const m of messages) {
    ledger.saw('3.4');
    const { route } = m;
    if (route.kind === 'unknown') {
      ledger.fail('3.4', {
        line: m.line,
        topic: m.topic,
        message: 'published on a topic outside the contract’s table',
        expected: UP_TOPICS,
        actual: m.topic,
      });
    } else if (route.thingName !== thingName) {
      ledger.fail('3.4', {
        line: m.line,
        topic: m.topic,
        message: `published on another thing's topic (${route.thingName})`,
        expected: `topics of ${thingName ?? 'the gateway’s own thing'}`,
        actual: m.topic,
      });
    } else if (route.kind === 'cloud') {
      ledger.fail('3.4', {
        line: m.line,
        topic: m.topic,
        message: `published on the ${route.name} topic, where only the cloud publishes`,
        expected: UP_TOPICS,
        actual: m.topic,
      });
    }
  }
  return ledger.result('3.4', {
    pass: `${plural(ledger.observed('3.4'), 'publish', 'publishes')}, all on the gateway's own topics`,
    fail: `${plural(ledger.failures('3.4'), 'publish', 'publishes')} outside the gateway's topics`,
    notObserved: 'no publish in the capture',
  });
}

/** 3.6: the event topic's last level is the payload's event. */
function eventNames({ messages, thingName, ledger }: RuleContext): ClauseResult {
  for (const m of messages) {
    const { route, body } = m;
    if (route.kind !== 'event' || route.thingName !== thingName) continue;
    ledger.saw('3.6');
    const event = body.ok && isPlainObject(body.value) ? body.value.event : undefined;
    // A payload without a readable event is 4.1's or 12.2's to report.
    if (typeof event === 'string' && event !== route.event) {
      ledger.fail('3.6', {
        line: m.line,
        topic: m.topic,
        message: `the topic names event '${route.event}', the payload '${event}'`,
        expected: `zw/v1/gw/${route.thingName}/evt/${event}`,
        actual: m.topic,
      });
    }
  }
  return ledger.result('3.6', {
    pass: `${plural(ledger.observed('3.6'), 'event')} on the topic of their name`,
    notObserved: 'no event in the capture',
  });
}

/** Clauses 2.2 (as far as a capture shows it), 3.1–3.4 and 3.6. */
export function judgeTopics(context: RuleContext): ClauseResult[] {
  return [
    clientIds(context),
    basicIngest(context),
    qos(context),
    retain(context),
    topicTable(context),
    eventNames(context),
  ];
}
