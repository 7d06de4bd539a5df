import { describe, expect, it } from 'vitest';
import {
  checkWebhookUrl,
  formatSignatureHeader,
  ipAddressKind,
  parseSignatureHeader,
  retryDelayMs,
  RETRY_DELAYS_MS,
  signedPayload,
  wantsEvent,
  type Webhook,
} from './webhook.js';

const production = { allowLocal: false };
const development = { allowLocal: true };

function reasonOf(url: string, rules = production): string | undefined {
  try {
    checkWebhookUrl(url, rules);
    return undefined;
  } catch (err) {
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    return (err as { details: { reason: string } }).details.reason;
  }
}

describe('checkWebhookUrl', () => {
  it('takes a public https URL, normalised and without its fragment', () => {
    expect(checkWebhookUrl('https://ERP.example.com/hooks?x=1#frag', production)).toBe(
      'https://erp.example.com/hooks?x=1',
    );
  });

  it('refuses http, other schemes and text that is no URL', () => {
    expect(reasonOf('http://erp.example.com/hooks')).toBe('url-not-https');
    expect(reasonOf('ftp://erp.example.com/')).toBe('url-not-https');
    expect(reasonOf('/relative/path')).toBe('url-invalid');
    expect(reasonOf(`https://example.com/${'a'.repeat(2050)}`)).toBe('url-too-long');
  });

  it('refuses credentials in the URL', () => {
    expect(reasonOf('https://user:pw@erp.example.com/')).toBe('url-credentials');
  });

  it.each([
    'https://localhost/x',
    'https://api.localhost/x',
    'https://127.0.0.1/x',
    'https://127.1/x',
    'https://0x7f000001/x',
    'https://2130706433/x',
    'https://10.1.2.3/',
    'https://172.20.0.1/',
    'https://192.168.1.10/',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://[::1]/',
    'https://[::]/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:10.0.0.1]/',
    'https://[64:ff9b::a00:1]/',
  ])('refuses %s in production', (url) => {
    expect(reasonOf(url)).toBe('url-local');
  });

  it('allows http only to local addresses, and only in development', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', development)).toBe(
      'http://127.0.0.1:8080/hook',
    );
    expect(checkWebhookUrl('http://localhost:8080/hook', development)).toBe(
      'http://localhost:8080/hook',
    );
    expect(checkWebhookUrl('https://10.0.0.5/hook', development)).toBe('https://10.0.0.5/hook');
    // Development does not make plain http to the internet acceptable.
    expect(reasonOf('http://erp.example.com/hook', development)).toBe('url-not-https');
  });

  it('takes public IP literals', () => {
    expect(checkWebhookUrl('https://93.184.215.14/x', production)).toBe('https://93.184.215.14/x');
    expect(checkWebhookUrl('https://[2a00:1450:4001::200e]/x', production)).toBe(
      'https://[2a00:1450:4001::200e]/x',
    );
  });
});

describe('ipAddressKind', () => {
  it('tells addresses from names, and private from public', () => {
    expect(ipAddressKind('erp.example.com')).toBeNull();
    expect(ipAddressKind('8.8.8.8')).toBe('public');
    expect(ipAddressKind('172.15.255.255')).toBe('public');
    expect(ipAddressKind('172.16.0.0')).toBe('private');
    expect(ipAddressKind('172.31.255.255')).toBe('private');
    expect(ipAddressKind('172.32.0.0')).toBe('public');
    expect(ipAddressKind('224.0.0.1')).toBe('private');
    expect(ipAddressKind('255.255.255.255')).toBe('private');
    expect(ipAddressKind('256.1.1.1')).toBeNull();
    expect(ipAddressKind('2001:4860:4860::8888')).toBe('public');
    expect(ipAddressKind('2001:db8::1')).toBe('private');
    expect(ipAddressKind('::ffff:8.8.8.8')).toBe('public');
    expect(ipAddressKind('2002:c0a8:0101::1')).toBe('private');
    expect(ipAddressKind('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(ipAddressKind('fe80::1%eth0')).toBeNull();
  });
});

describe('signature header', () => {
  const hex = 'a'.repeat(64);

  it('formats and parses t and v1, ignoring unknown schemes', () => {
    const header = formatSignatureHeader(1_700_000_000, [hex]);
    expect(header).toBe(`t=1700000000,v1=${hex}`);
    expect(parseSignatureHeader(`${header},v0=zzz`)).toEqual({
      timestamp: 1_700_000_000,
      signatures: [hex],
    });
  });

  it('is not a header without a timestamp or a well-formed v1', () => {
    expect(parseSignatureHeader(`v1=${hex}`)).toBeNull();
    expect(parseSignatureHeader('t=1700000000,v1=abc')).toBeNull();
    expect(parseSignatureHeader('')).toBeNull();
  });

  it('signs the timestamp with the body', () => {
    expect(signedPayload(12, '{"a":1}')).toBe('12.{"a":1}');
  });
});

describe('subscriptions and retries', () => {
  const webhook: Webhook = {
    id: 'wh_0123456789abcdef',
    partnerId: 'p',
    organisationId: 'o',
    url: 'https://erp.example.com/',
    events: ['alarm.raised'],
    description: '',
    enabled: true,
    sealedSecret: 'x',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    version: 1,
  };

  it('delivers only the subscribed types, and nothing when disabled', () => {
    expect(wantsEvent(webhook, 'alarm.raised')).toBe(true);
    expect(wantsEvent(webhook, 'alarm.cleared')).toBe(false);
    expect(wantsEvent(webhook, 'reading.stored')).toBe(false);
    expect(wantsEvent({ ...webhook, enabled: false }, 'alarm.raised')).toBe(false);
  });

  it('tries six times over about an hour, each wait longer than the one before', () => {
    const waits = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt));
    expect(waits.at(-1)).toBeNull();
    const given = waits.slice(0, -1) as number[];
    expect(given).toEqual([...RETRY_DELAYS_MS]);
    for (let i = 1; i < given.length; i++) expect(given[i]).toBeGreaterThan(given[i - 1]!);
    const total = given.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(55 * 60_000);
    expect(total).toBeLessThan(75 * 60_000);
  });
});
