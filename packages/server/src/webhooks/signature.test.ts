import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './signature.js';

const secret = 'whsec_AAECAwQFBgcICQoLDA0ODw';
const body = '{"id":"evt_1","type":"ping"}';
const t = 1_700_000_000;

describe('webhook signatures', () => {
  it('is the HMAC-SHA256 of "<t>.<body>" under the secret text, as Stripe-style header', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies what it signed, within the tolerance', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhook({ body, header, secret, now: t + 299 })).toEqual({
      ok: true,
      timestamp: t,
    });
  });

  it('refuses a changed body, another secret, a changed timestamp', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhook({ body: body.replace('ping', 'pong'), header, secret, now: t })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhook({ body, header, secret: `${secret}x`, now: t })).toMatchObject({
      reason: 'mismatch',
    });
    expect(
      verifyWebhook({ body, header: header.replace(`t=${t}`, `t=${t + 1}`), secret, now: t }),
    ).toMatchObject({ reason: 'mismatch' });
  });

  it('refuses an old (replayed) or future signature even when it is valid', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhook({ body, header, secret, now: t + 301 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyWebhook({ body, header, secret, now: t - 301 })).toMatchObject({
      reason: 'expired',
    });
    expect(
      verifyWebhook({ body, header, secret, now: t + 3600, toleranceSeconds: 7200 }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('refuses a missing or malformed header', () => {
    expect(verifyWebhook({ body, header: undefined, secret })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyWebhook({ body, header: 'nonsense', secret })).toMatchObject({
      reason: 'malformed',
    });
  });
});
