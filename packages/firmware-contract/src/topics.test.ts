import { describe, expect, it } from 'vitest';
import { parseTopic, topicLimitProblems, topics } from './topics.js';

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
