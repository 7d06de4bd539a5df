import { describe, expect, it } from 'vitest';
import {
  errorFromBody,
  errorFromFailure,
  errorFromResponse,
  isZaehlwerkError,
  parseRetryAfter,
  ZaehlwerkError,
} from './errors.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T08:00:00Z');

  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 01 Mar 2025 08:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('errors of answers', () => {
  it("takes the API's envelope: code, message, details, context, request id, Retry-After", () => {
    const response = new Response(null, { status: 403, headers: { 'retry-after': '5' } });
    const error = errorFromBody(response, {
      error: {
        code: 'AGGREGATION_TOO_SMALL',
        message: 'too few units',
        context: { units: 2, minimumUnits: 3 },
        requestId: 'req-1',
      },
    });
    expect(error).toBeInstanceOf(ZaehlwerkError);
    expect(error).toMatchObject({
      name: 'ZaehlwerkError',
      status: 403,
      code: 'AGGREGATION_TOO_SMALL',
      message: 'too few units',
      context: { units: 2, minimumUnits: 3 },
      requestId: 'req-1',
      retryAfterMs: 5000,
    });
  });

  it('names an answer without the envelope by its status, keeping the start of its text', async () => {
    const page = new Response('<h1>Bad Gateway</h1>', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'x-request-id': 'lb-7' },
    });
    expect(await errorFromResponse(page)).toMatchObject({
      status: 502,
      code: 'UNEXPECTED_RESPONSE',
      message: 'HTTP 502 Bad Gateway: <h1>Bad Gateway</h1>',
      requestId: 'lb-7',
    });
    expect(await errorFromResponse(new Response('', { status: 429 }))).toMatchObject({
      code: 'RATE_LIMITED',
    });
  });
});

describe('errors without an answer', () => {
  it('tells the caller’s abort from the timeout and from the network', () => {
    const aborted = new AbortController();
    aborted.abort();
    const timedOut = new AbortController();
    timedOut.abort();
    const failure = new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    expect(errorFromFailure(failure, { caller: aborted.signal })).toMatchObject({
      code: 'ABORTED',
      status: 0,
    });
    expect(
      errorFromFailure(failure, { caller: new AbortController().signal, timeout: timedOut.signal }),
    ).toMatchObject({ code: 'TIMEOUT' });
    expect(errorFromFailure(new DOMException('late', 'TimeoutError'), {})).toMatchObject({
      code: 'TIMEOUT',
    });
    const network = errorFromFailure(failure, {});
    expect(network).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(network.message).toContain('ECONNRESET');
    expect(network.cause).toBe(failure);
    expect(errorFromFailure(new SyntaxError('Unexpected token <'), {})).toMatchObject({
      code: 'UNEXPECTED_RESPONSE',
    });
  });

  it('recognises its errors by brand, not by class identity', () => {
    const error = new ZaehlwerkError({ status: 0, code: 'TIMEOUT', message: 'x' });
    expect(isZaehlwerkError(error)).toBe(true);
    expect(errorFromFailure(error, {})).toBe(error);
    // As a second copy of the module (the CJS next to the ESM build) would make one.
    const copy = Object.assign(new Error('x'), { [Symbol.for('zaehlwerk.ZaehlwerkError')]: true });
    expect(isZaehlwerkError(copy)).toBe(true);
    expect(isZaehlwerkError(new Error('x'))).toBe(false);
    expect(isZaehlwerkError(null)).toBe(false);
  });
});
