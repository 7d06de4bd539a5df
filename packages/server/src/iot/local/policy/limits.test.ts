import { TOPIC_LIMITS } from '@zaehlwerk/firmware-contract';
import { describe, expect, it } from 'vitest';
import {
  checkClientId,
  checkFiltersPerSubscribe,
  checkPayloadSize,
  checkQos,
  checkRetain,
  checkSubscriptionCount,
  checkTopicSize,
  IOT_CORE_LIMITS,
  negotiateKeepAlive,
} from './limits.js';

describe('IOT_CORE_LIMITS', () => {
  it('agrees with the topic limits the firmware contract promises', () => {
    expect(IOT_CORE_LIMITS.maxTopicBytes).toBe(TOPIC_LIMITS.maxTopicBytes);
    expect(IOT_CORE_LIMITS.maxTopicSlashes).toBe(TOPIC_LIMITS.maxSlashes);
  });
});

describe('checkClientId', () => {
  it('allows 127 and 128 bytes, refuses 129, counting UTF-8 bytes', () => {
    expect(checkClientId('a'.repeat(127))).toBeNull();
    expect(checkClientId('a'.repeat(128))).toBeNull();
    expect(checkClientId('a'.repeat(129))).toMatchObject({
      code: 'CLIENT_ID_TOO_LONG',
      limit: 128,
      actual: 129,
    });
    expect(checkClientId('ä'.repeat(64))).toBeNull();
    expect(checkClientId(`${'ä'.repeat(64)}a`)).toMatchObject({
      code: 'CLIENT_ID_TOO_LONG',
      actual: 129,
    });
  });

  it('refuses a leading $, reserved for AWS', () => {
    expect(checkClientId('$gw')).toMatchObject({ code: 'CLIENT_ID_RESERVED', actual: '$gw' });
    expect(checkClientId('gw$')).toBeNull();
  });
});

describe('negotiateKeepAlive', () => {
  it.each([
    [0, 1200, true],
    [1, 30, true],
    [29, 30, true],
    [30, 30, false],
    [31, 31, false],
    [1199, 1199, false],
    [1200, 1200, false],
    [1201, 1200, true],
    [65535, 1200, true],
  ])('turns %i s into %i s', (requested, seconds, adjusted) => {
    expect(negotiateKeepAlive(requested)).toEqual({ seconds, adjusted, timeoutMs: seconds * 1500 });
  });
});

describe('checkQos', () => {
  it('allows 0 and 1 and refuses 2', () => {
    expect(checkQos(0)).toBeNull();
    expect(checkQos(1)).toBeNull();
    expect(checkQos(2)).toMatchObject({ code: 'QOS_NOT_SUPPORTED', limit: 1, actual: 2 });
  });
});

describe('checkPayloadSize', () => {
  it('allows 128 KiB and refuses one byte more', () => {
    expect(checkPayloadSize(131_071)).toBeNull();
    expect(checkPayloadSize(131_072)).toBeNull();
    expect(checkPayloadSize(131_073)).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      limit: 131_072,
      actual: 131_073,
    });
  });
});

describe('checkTopicSize', () => {
  const ofBytes = (n: number) => `a/${'b'.repeat(n - 2)}`;

  it('allows 255 and 256 bytes and refuses 257', () => {
    expect(checkTopicSize(ofBytes(255))).toBeNull();
    expect(checkTopicSize(ofBytes(256))).toBeNull();
    expect(checkTopicSize(ofBytes(257))).toMatchObject({
      code: 'TOPIC_TOO_LONG',
      limit: 256,
      actual: 257,
    });
    expect(checkTopicSize(`a/${'ä'.repeat(128)}`)).toMatchObject({
      code: 'TOPIC_TOO_LONG',
      actual: 258,
    });
  });

  it('allows 6 and 7 slashes and refuses 8', () => {
    expect(checkTopicSize('a/b/c/d/e/f/g')).toBeNull();
    expect(checkTopicSize('a/b/c/d/e/f/g/h')).toBeNull();
    expect(checkTopicSize('a/b/c/d/e/f/g/h/i')).toMatchObject({
      code: 'TOPIC_TOO_DEEP',
      limit: 7,
      actual: 8,
    });
    expect(checkTopicSize('+/+/+/+/+/+/+/#')).toBeNull();
  });

  it('does not count the Basic Ingest prefix or a shared subscription prefix', () => {
    expect(checkTopicSize('$aws/rules/zw_ingest/a/b/c/d/e/f/g/h')).toBeNull();
    expect(checkTopicSize('$aws/rules/zw_ingest/a/b/c/d/e/f/g/h/i')).toMatchObject({ actual: 8 });
    expect(checkTopicSize(`$aws/rules/zw_ingest/${ofBytes(256)}`)).toBeNull();
    expect(checkTopicSize(`$aws/rules/zw_ingest/${ofBytes(257)}`)).toMatchObject({ actual: 257 });
    expect(checkTopicSize('$share/workers/a/b/c/d/e/f/g/h')).toBeNull();
    expect(checkTopicSize(`$share/workers/${ofBytes(256)}`)).toBeNull();
    // Other $aws topics count in full.
    expect(checkTopicSize('$aws/things/gw/shadow/name/cfg/update/accepted')).toBeNull();
    expect(checkTopicSize('$aws/things/gw/shadow/name/cfg/update/accepted/x')).toMatchObject({
      actual: 8,
    });
  });
});

describe('checkRetain', () => {
  it('refuses retained messages on $ topics only', () => {
    expect(checkRetain('zw/v1/gw/a/status', true)).toBeNull();
    expect(checkRetain('$aws/things/a/shadow/update', false)).toBeNull();
    expect(checkRetain('$aws/things/a/shadow/update', true)).toMatchObject({
      code: 'RETAIN_ON_RESERVED_TOPIC',
    });
  });
});

describe('subscription counts', () => {
  it('allows 49 and 50 subscriptions per connection and refuses 51', () => {
    expect(checkSubscriptionCount(49)).toBeNull();
    expect(checkSubscriptionCount(50)).toBeNull();
    expect(checkSubscriptionCount(51)).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      limit: 50,
      actual: 51,
    });
  });

  it('allows 7 and 8 filters per SUBSCRIBE and refuses 9', () => {
    expect(checkFiltersPerSubscribe(7)).toBeNull();
    expect(checkFiltersPerSubscribe(8)).toBeNull();
    expect(checkFiltersPerSubscribe(9)).toMatchObject({
      code: 'TOO_MANY_FILTERS',
      limit: 8,
      actual: 9,
    });
  });
});
