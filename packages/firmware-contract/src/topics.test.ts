import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTopic, topicLimitProblems, topics, type ShadowOperation } from './topics.js';
import type { PayloadKind } from './types.js';
import { PAYLOAD_KINDS } from './validate.js';

describe('topics', () => {
  it('builds and parses each gateway topic', () => {
    const thing = 'solvimus-GW-0042';
    expect(topics.telegrams(thing)).toBe(
      '$aws/rules/zw_ingest/zw/v1/gw/solvimus-GW-0042/telegrams',
    );
    expect(parseTopic(topics.telegrams(thing))).toEqual({
      kind: 'telegrams',
      thingName: thing,
      basicIngest: true,
    });
    expect(parseTopic(topics.status(thing))).toEqual({
      kind: 'status',
      thingName: thing,
      basicIngest: false,
    });
    expect(parseTopic(topics.event(thing, 'power-loss'))).toEqual({
      kind: 'event',
      thingName: thing,
      event: 'power-loss',
      basicIngest: false,
    });
  });

  it('keeps every topic within IoT Core limits, even for the longest thing name', () => {
    const longest = 'g'.repeat(64);
    for (const topic of [
      topics.telegrams(longest),
      topics.status(longest),
      topics.event(longest, 'tamper'),
    ]) {
      expect(topicLimitProblems(topic)).toEqual([]);
    }
  });

  it('reports topics over the size or depth limits', () => {
    expect(topicLimitProblems('a/b/c/d/e/f/g/h/i')).toEqual(['topic has 8 slashes, at most 7']);
    expect(topicLimitProblems(`x/${'y'.repeat(300)}`)[0]).toMatch(/^topic has 302 bytes/);
  });

  it('refuses bad thing names and recognises nothing foreign', () => {
    expect(() => topics.status('gw/1')).toThrow(RangeError);
    expect(() => topics.status('g'.repeat(65))).toThrow(RangeError);
    expect(() => topics.event('gw', 'Power Loss')).toThrow(RangeError);
    expect(parseTopic('zw/v2/gw/x/status')).toBeNull();
    expect(parseTopic('zw/v1/gw/x/telegrams/extra')).toBeNull();
    expect(parseTopic('$aws/rules/zw_ingest/zw/v1/gw/x/status')).toBeNull();
    expect(parseTopic('zw/v1/gw/+/status')).toBeNull();
  });
});

describe('topics/v1.json', () => {
  interface TopicEntry {
    name: string;
    template: string;
    direction: 'up' | 'down';
    qos: 0 | 1;
    retain: boolean;
    schema: PayloadKind | null;
    schemaAt?: string;
  }
  const entries = JSON.parse(
    readFileSync(fileURLToPath(new URL('../topics/v1.json', import.meta.url)), 'utf8'),
  ) as TopicEntry[];
  const template = (name: string) => entries.find((e) => e.name === name)?.template;
  const fill = (t: string | undefined, thing: string, event = '') =>
    t?.replace('{thing}', thing).replace('{event}', event);

  it('names the same topics the builders make', () => {
    const thing = 'solvimus-GW-0042';
    expect(fill(template('telegrams'), thing)).toBe(topics.telegrams(thing));
    expect(fill(template('status'), thing)).toBe(topics.status(thing));
    expect(fill(template('event'), thing, 'tamper')).toBe(topics.event(thing, 'tamper'));
    expect(fill(template('errors'), thing)).toBe(topics.errors(thing));
    const shadowOps: Record<string, ShadowOperation> = {
      'shadow-get': 'get',
      'shadow-get-accepted': 'get/accepted',
      'shadow-get-rejected': 'get/rejected',
      'shadow-update': 'update',
      'shadow-update-accepted': 'update/accepted',
      'shadow-update-rejected': 'update/rejected',
      'shadow-delta': 'update/delta',
    };
    for (const [name, operation] of Object.entries(shadowOps)) {
      expect(fill(template(name), thing), name).toBe(topics.shadow(thing, operation));
    }
    expect(entries.map((e) => e.name).sort()).toEqual(
      ['telegrams', 'status', 'event', 'errors', ...Object.keys(shadowOps)].sort(),
    );
  });

  it('has QoS 1, nothing retained, and a schema the validator knows for every payload it names', () => {
    for (const entry of entries) {
      expect(entry.qos, entry.name).toBe(1);
      expect(entry.retain, entry.name).toBe(false);
      if (entry.schema !== null) expect(PAYLOAD_KINDS, entry.name).toContain(entry.schema);
    }
    // Every payload kind travels on some topic.
    expect(new Set(entries.map((e) => e.schema).filter((s) => s !== null))).toEqual(
      new Set(PAYLOAD_KINDS),
    );
  });

  it('parses the up topics the gateway publishes and stays within IoT Core limits', () => {
    const longest = 'g'.repeat(64);
    for (const entry of entries) {
      const topic = fill(entry.template, longest, 'power-loss')!;
      expect(topicLimitProblems(topic), entry.name).toEqual([]);
      if (entry.direction === 'up' && !entry.name.startsWith('shadow')) {
        expect(parseTopic(topic)?.kind, entry.name).toBe(entry.name);
      }
    }
  });
});
