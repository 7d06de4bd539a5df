import { describe, expect, it } from 'vitest';
import {
  applyShadowUpdate,
  buildDeleteAccepted,
  buildGetAccepted,
  buildRejected,
  computeDelta,
  parseShadowQuery,
  parseShadowRequestTopic,
  parseShadowUpdate,
  salvageClientToken,
  SHADOW_LIMITS,
  shadowNotFound,
  type ShadowSnapshot,
  type ShadowUpdateRequest,
} from './shadow-document.js';

const T0 = 1_750_000_000;
const T1 = T0 + 60;
const none: ShadowSnapshot = { document: null, version: 0 };

function body(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function parse(value: unknown): ShadowUpdateRequest {
  const parsed = parseShadowUpdate(body(value));
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  return parsed.value;
}

function update(current: ShadowSnapshot, value: unknown, now = T0) {
  const outcome = applyShadowUpdate(current, parse(value), now);
  if (!outcome.ok) throw new Error(outcome.rejection.message);
  return outcome.value;
}

describe('shadow topics', () => {
  it('parses classic and named request topics and nothing else', () => {
    expect(parseShadowRequestTopic('$aws/things/gw-1/shadow/update')).toEqual({
      thingName: 'gw-1',
      shadowName: null,
      operation: 'update',
    });
    expect(parseShadowRequestTopic('$aws/things/gw-1/shadow/name/zw-config/get')).toEqual({
      thingName: 'gw-1',
      shadowName: 'zw-config',
      operation: 'get',
    });
    expect(parseShadowRequestTopic('$aws/things/gw-1/shadow/update/accepted')).toBeNull();
    expect(parseShadowRequestTopic('$aws/things/gw-1/jobs/get')).toBeNull();
  });
});

describe('parsing requests (IOT-CORE.md §1.9 error codes)', () => {
  const rejection = (payload: Buffer) => {
    const parsed = parseShadowUpdate(payload);
    return parsed.ok ? null : parsed.rejection;
  };

  it.each([
    ['not JSON', Buffer.from('{"state":'), 400, 'Invalid JSON'],
    ['empty', Buffer.alloc(0), 400, 'Invalid JSON'],
    ['an array', body([1]), 400, 'Invalid JSON'],
    ['no state', body({ clientToken: 'x' }), 400, 'Missing required node: state'],
    ['state a string', body({ state: 'on' }), 400, 'State node must be an object'],
    ['desired an array', body({ state: { desired: [] } }), 400, 'Desired node must be an object'],
    ['reported a number', body({ state: { reported: 1 } }), 400, 'Reported node must be an object'],
    ['state.delta', body({ state: { delta: {} } }), 400, 'State contains an invalid node'],
    ['empty state', body({ state: {} }), 400, 'State node must contain desired or reported'],
    ['version a string', body({ state: { reported: {} }, version: '1' }), 400, 'Invalid version'],
    ['version negative', body({ state: { reported: {} }, version: -1 }), 400, 'Invalid version'],
    [
      'null in an array',
      body({ state: { reported: { list: [1, null] } } }),
      400,
      'State contains an invalid node',
    ],
    [
      'a clientToken over 64 bytes',
      body({ state: { reported: {} }, clientToken: 'ä'.repeat(33) }),
      400,
      'Invalid clientToken',
    ],
    [
      'bytes that are not UTF-8',
      Buffer.from([0x7b, 0xff, 0x7d]),
      415,
      'Unsupported documented encoding; supported encoding is UTF-8',
    ],
  ])('rejects %s', (_case, payload, code, message) => {
    expect(rejection(payload)).toEqual({ code, message });
  });

  it(`limits nesting inside desired/reported to ${SHADOW_LIMITS.maxDepth} levels`, () => {
    const nest = (levels: number): unknown =>
      levels === 1 ? { leaf: 1 } : { [`l${levels}`]: nest(levels - 1) };
    expect(parseShadowUpdate(body({ state: { desired: nest(8) } })).ok).toBe(true);
    expect(rejection(body({ state: { desired: nest(9) } }))).toEqual({
      code: 400,
      message: 'JSON contains too many levels of nesting; maximum is 8',
    });
  });

  it('accepts a 64-byte clientToken and null sections', () => {
    const parsed = parseShadowUpdate(
      body({ state: { desired: null, reported: { a: 1 } }, clientToken: 'x'.repeat(64) }),
    );
    expect(parsed.ok).toBe(true);
  });

  it('reads get/delete payloads: empty, or an object with a clientToken; SDK fields ignored', () => {
    expect(parseShadowQuery(Buffer.alloc(0))).toEqual({ ok: true, value: {} });
    expect(
      parseShadowQuery(body({ clientToken: 'c1', thingName: 'gw-1', shadowName: 'zw-config' })),
    ).toEqual({ ok: true, value: { clientToken: 'c1' } });
    expect(parseShadowQuery(Buffer.from('nope'))).toEqual({
      ok: false,
      rejection: { code: 400, message: 'Invalid JSON' },
    });
  });

  it('salvages a valid clientToken to echo on a rejection', () => {
    expect(salvageClientToken(body({ clientToken: 'c9', state: 1 }))).toBe('c9');
    expect(salvageClientToken(body({ clientToken: 'x'.repeat(65) }))).toBeUndefined();
    expect(salvageClientToken(Buffer.from('{'))).toBeUndefined();
  });
});

describe('applying updates', () => {
  it('creates a shadow at version 1 with per-leaf epoch-second metadata', () => {
    const out = update(none, {
      state: { reported: { fw: '1.2.0', radio: { mode: 'T1', rssi: -70 }, modes: ['T1', 'C1'] } },
      clientToken: 'c1',
    });
    expect(out.next).toEqual({
      version: 1,
      document: {
        state: { reported: { fw: '1.2.0', radio: { mode: 'T1', rssi: -70 }, modes: ['T1', 'C1'] } },
        metadata: {
          reported: {
            fw: { timestamp: T0 },
            radio: { mode: { timestamp: T0 }, rssi: { timestamp: T0 } },
            modes: [{ timestamp: T0 }, { timestamp: T0 }],
          },
        },
      },
    });
    expect(out.accepted).toEqual({
      state: { reported: { fw: '1.2.0', radio: { mode: 'T1', rssi: -70 }, modes: ['T1', 'C1'] } },
      metadata: {
        reported: {
          fw: { timestamp: T0 },
          radio: { mode: { timestamp: T0 }, rssi: { timestamp: T0 } },
          modes: [{ timestamp: T0 }, { timestamp: T0 }],
        },
      },
      version: 1,
      timestamp: T0,
      clientToken: 'c1',
    });
    expect(out.delta).toBeUndefined();
  });

  it('merges objects key by key, replaces arrays whole, and deletes keys set to null', () => {
    const first = update(none, {
      state: { reported: { a: 1, b: { x: 1, y: 2 }, list: [1, 2, 3], gone: true } },
    });
    const second = update(
      first.next,
      { state: { reported: { a: 2, b: { y: null, z: 3 }, list: [9], gone: null } } },
      T1,
    );
    expect(second.next.version).toBe(2);
    expect(second.next.document.state).toEqual({
      reported: { a: 2, b: { x: 1, z: 3 }, list: [9] },
    });
    expect(second.next.document.metadata).toEqual({
      reported: {
        a: { timestamp: T1 },
        b: { x: { timestamp: T0 }, z: { timestamp: T1 } },
        list: [{ timestamp: T1 }],
      },
    });
    // The accepted response echoes the request, nulls included, stamped now.
    expect(second.accepted.metadata).toEqual({
      reported: {
        a: { timestamp: T1 },
        b: { y: { timestamp: T1 }, z: { timestamp: T1 } },
        list: [{ timestamp: T1 }],
        gone: { timestamp: T1 },
      },
    });
  });

  it('removes a whole section with "desired": null', () => {
    const first = update(none, { state: { desired: { a: 1 }, reported: { a: 0 } } });
    const second = update(first.next, { state: { desired: null } }, T1);
    expect(second.next.document).toEqual({
      state: { reported: { a: 0 } },
      metadata: { reported: { a: { timestamp: T0 } } },
    });
    expect(second.delta).toBeUndefined();
  });

  it('rejects a version that is not the current one with 409, and accepts the current one', () => {
    const first = update(none, { state: { reported: { a: 1 } } });
    const stale = applyShadowUpdate(
      first.next,
      parse({ state: { reported: { a: 2 } }, version: 0 }),
      T1,
    );
    expect(stale).toEqual({ ok: false, rejection: { code: 409, message: 'Version conflict' } });
    const fresh = applyShadowUpdate(
      first.next,
      parse({ state: { reported: { a: 2 } }, version: 1 }),
      T1,
    );
    expect(fresh.ok && fresh.value.next.version).toBe(2);
  });

  it('continues the version of a deleted shadow (tombstone)', () => {
    const out = update({ document: null, version: 7 }, { state: { reported: { a: 1 } } });
    expect(out.next.version).toBe(8);
  });

  it('rejects an update whose resulting state exceeds 8 KB with 413; metadata does not count', () => {
    // {"reported":{"blob":"…"}} is 24 bytes of JSON around the string.
    const fits = 'x'.repeat(8192 - 24);
    const ok = update(none, { state: { reported: { blob: fits } } });
    expect(ok.next.version).toBe(1);
    const over = applyShadowUpdate(ok.next, parse({ state: { reported: { extra: 1 } } }), T1);
    expect(over).toEqual({
      ok: false,
      rejection: { code: 413, message: 'The payload exceeds the maximum size allowed' },
    });
  });

  it('computes the delta as the desired leaves that differ from reported', () => {
    expect(
      computeDelta(
        { interval: 300, radio: { mode: 'C1', power: 'high' }, list: [1, 2], same: 1 },
        { interval: 60, radio: { mode: 'C1' }, list: [1, 2], same: 1, onlyReported: true },
      ),
    ).toEqual({ interval: 300, radio: { power: 'high' } });
    expect(computeDelta({ a: { b: 1 } }, { a: 5 })).toEqual({ a: { b: 1 } });
    expect(computeDelta({ a: 1 }, { a: 1 })).toBeUndefined();
    expect(computeDelta(undefined, { a: 1 })).toBeUndefined();
  });

  it('publishes a delta for a desired update, with its metadata, version and clientToken', () => {
    const reported = update(none, { state: { reported: { interval: 60, mode: 'T1' } } });
    const desired = update(
      reported.next,
      { state: { desired: { interval: 300, mode: 'T1' } }, clientToken: 'srv-1' },
      T1,
    );
    expect(desired.delta).toEqual({
      state: { interval: 300 },
      metadata: { interval: { timestamp: T1 } },
      version: 2,
      timestamp: T1,
      clientToken: 'srv-1',
    });
  });

  it('sends no delta message for a reported-only update, even if a delta remains', () => {
    const desired = update(none, { state: { desired: { a: 1, b: 2 } } });
    const partly = update(desired.next, { state: { reported: { a: 1 } } }, T1);
    expect(partly.delta).toBeUndefined();
    expect(buildGetAccepted(partly.next, T1).state).toEqual({
      desired: { a: 1, b: 2 },
      reported: { a: 1 },
      delta: { b: 2 },
    });
  });

  it('builds /update/documents with previous and current', () => {
    const first = update(none, { state: { reported: { a: 1 } } });
    expect(first.documents).toEqual({
      current: {
        state: { reported: { a: 1 } },
        metadata: { reported: { a: { timestamp: T0 } } },
        version: 1,
      },
      timestamp: T0,
    });
    const second = update(first.next, { state: { desired: { a: 2 } }, clientToken: 'c2' }, T1);
    expect(second.documents).toEqual({
      previous: {
        state: { reported: { a: 1 } },
        metadata: { reported: { a: { timestamp: T0 } } },
        version: 1,
      },
      current: {
        state: { desired: { a: 2 }, reported: { a: 1 } },
        metadata: { desired: { a: { timestamp: T1 } }, reported: { a: { timestamp: T0 } } },
        version: 2,
      },
      timestamp: T1,
      clientToken: 'c2',
    });
  });
});

describe('other responses', () => {
  it('get/accepted holds state with delta, metadata, version, timestamp and clientToken', () => {
    const doc = update(none, { state: { desired: { a: 2 }, reported: { a: 1, b: 1 } } });
    expect(buildGetAccepted(doc.next, T1, 'g1')).toEqual({
      state: { desired: { a: 2 }, reported: { a: 1, b: 1 }, delta: { a: 2 } },
      metadata: {
        desired: { a: { timestamp: T0 } },
        reported: { a: { timestamp: T0 }, b: { timestamp: T0 } },
      },
      version: 1,
      timestamp: T1,
      clientToken: 'g1',
    });
  });

  it('delete/accepted and rejected payloads', () => {
    expect(buildDeleteAccepted(4, T0, 'd1')).toEqual({
      version: 4,
      timestamp: T0,
      clientToken: 'd1',
    });
    expect(buildRejected(shadowNotFound('gw-1', null), T0)).toEqual({
      code: 404,
      message: "No shadow exists with name: 'gw-1'",
      timestamp: T0,
    });
    expect(shadowNotFound('gw-1', 'zw-config').message).toBe(
      "No shadow exists with name: 'gw-1~zw-config'",
    );
  });
});
