import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from './webhooks.js';

const secret = 'whsec_AAECAwQFBgcICQoLDA0ODw';
const body = JSON.stringify({
  id: 'evt_1',
  type: 'ping',
  createdAt: '2025-03-01T08:00:00.000Z',
  organisationId: 'org_1',
  data: { webhookId: 'wh_0123456789abcdef', message: 'hello' },
});
const t = 1_700_000_000;
/** Signed as the server signs (src/webhooks/signature.ts): HMAC-SHA256 of `<t>.<body>`. */
const sign = (b: string, at = t, s = secret) =>
  `t=${at},v1=${createHmac('sha256', s).update(`${at}.${b}`).digest('hex')}`;

describe('verifyWebhook (Web Crypto)', () => {
  it('accepts a delivery signed with the secret, and hands back the event', async () => {
    const result = await verifyWebhook({ body, signature: sign(body), secret, now: t + 10 });
    expect(result).toEqual({ ok: true, timestamp: t, event: JSON.parse(body) });
  });

  it('accepts when one of several v1 signatures matches (a secret being rolled)', async () => {
    const header = `${sign(body)},v1=${'0'.repeat(64)}`.replace(
      /^t=\d+,/,
      `t=${t},v1=${'f'.repeat(64)},`,
    );
    expect(await verifyWebhook({ body, signature: header, secret, now: t })).toMatchObject({
      ok: true,
    });
  });

  it('refuses a changed body, a wrong secret or a moved timestamp', async () => {
    const header = sign(body);
    expect(
      await verifyWebhook({
        body: body.replace('hello', 'hullo'),
        signature: header,
        secret,
        now: t,
      }),
    ).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(
      await verifyWebhook({ body, signature: header, secret: 'whsec_other', now: t }),
    ).toMatchObject({
      reason: 'mismatch',
    });
    expect(
      await verifyWebhook({
        body,
        signature: header.replace(`t=${t}`, `t=${t + 5}`),
        secret,
        now: t,
      }),
    ).toMatchObject({ reason: 'mismatch' });
  });

  it('refuses a valid signature outside the tolerance: a replay', async () => {
    expect(await verifyWebhook({ body, signature: sign(body), secret, now: t + 301 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(
      await verifyWebhook({
        body,
        signature: sign(body),
        secret,
        now: t + 301,
        toleranceSeconds: 600,
      }),
    ).toMatchObject({ ok: true });
  });

  it('refuses a missing or malformed header', async () => {
    for (const signature of [undefined, null, '', 'v1=abc', `t=${t}`, `t=x,v1=${'a'.repeat(64)}`]) {
      expect(await verifyWebhook({ body, signature, secret, now: t })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });
});
