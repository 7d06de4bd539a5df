import { describe, expect, it } from 'vitest';
import { readBranding, readOrigin, validateNewPartner, type NewPartner } from './partner.js';
import { hostname } from './validation.js';

const branding = {
  colours: {
    primary: '#ABC',
    onPrimary: '#ffffff',
    background: '#fafafa',
    text: '#111',
    accentSoft: '#11223344',
  },
  fonts: { body: "'Source Sans 3', Arial, sans-serif", heading: 'serif' },
  customDomains: ['Verbrauch.Stadtwerke-X.de'],
  defaultLocale: 'de',
  legal: {
    imprintUrl: 'https://stadtwerke-x.de/impressum',
    privacyUrl: 'https://stadtwerke-x.de/datenschutz',
  },
  support: {},
} as const;

const fails = (field: string, reason: string) =>
  expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field, reason } });

describe('partner branding', () => {
  it('normalises colours and domains and defaults the locales to the default one', () => {
    const out = readBranding(branding);
    expect(out.colours).toEqual({
      primary: '#abc',
      onPrimary: '#ffffff',
      background: '#fafafa',
      text: '#111',
      accentSoft: '#11223344',
    });
    expect(out.customDomains).toEqual(['verbrauch.stadtwerke-x.de']);
    expect(out.enabledLocales).toEqual(['de']);
    expect(out.support).toEqual({});
  });

  it('refuses CSS that could break out of a font list, and colours that are not hex', () => {
    expect(() => readBranding({ ...branding, fonts: { body: 'a"b', heading: 'serif' } })).toThrow(
      fails('branding/fonts/body', 'format'),
    );
    expect(() =>
      readBranding({ ...branding, fonts: { body: "'unclosed, serif", heading: 'serif' } }),
    ).toThrow(fails('branding/fonts/body', 'format'));
    expect(() =>
      readBranding({ ...branding, colours: { ...branding.colours, text: 'red' } }),
    ).toThrow(fails('branding/colours/text', 'format'));
    expect(() =>
      readBranding({ ...branding, colours: { ...branding.colours, 'x-y': '#fff' } }),
    ).toThrow(fails('branding/colours/x-y', 'not-allowed'));
    expect(() => readBranding({ ...branding, logoUrl: 'http://x.de/logo.svg' })).toThrow(
      fails('branding/logoUrl', 'format'),
    );
    expect(() => readBranding({ ...branding, enabledLocales: ['de', 'es'] as never })).toThrow(
      fails('branding/enabledLocales/1', 'not-allowed'),
    );
  });

  it('accepts origins only in the exact form browsers send', () => {
    expect(readOrigin('https://Shop.Example.de', 'o')).toBe('https://shop.example.de');
    expect(readOrigin('https://shop.example.de:8443', 'o')).toBe('https://shop.example.de:8443');
    for (const bad of [
      'http://shop.example.de',
      'https://shop.example.de/',
      'https://shop.example.de:443',
      'https://shop.example.de/path',
      'https://user@shop.example.de',
      'https://127.0.0.1',
      '*',
    ]) {
      expect(() => readOrigin(bad, 'o')).toThrow(fails('o', 'format'));
    }
  });

  it('accepts host names only: no ports, IPs, single labels or separators', () => {
    expect(hostname('Portal.Example.DE', 'h')).toBe('portal.example.de');
    for (const bad of [
      'localhost',
      'portal.example.de:443',
      '10.0.0.1',
      'a#b.de',
      '-x.de',
      'x..de',
    ]) {
      expect(() => hostname(bad, 'h')).toThrow(fails('h', 'format'));
    }
  });

  it('needs a slug id that is never the platform', () => {
    const input: NewPartner = {
      id: 'stadtwerke-x',
      name: 'Stadtwerke X',
      branding: { ...branding, customDomains: [...branding.customDomains], enabledLocales: ['de'] },
    };
    expect(validateNewPartner(input).status).toBe('active');
    for (const id of ['**', 'Stadtwerke', 'sw_x', '-sw', 'sw-']) {
      expect(() => validateNewPartner({ ...input, id })).toThrow(fails('id', 'format'));
    }
    for (const id of ['*', 'a']) {
      expect(() => validateNewPartner({ ...input, id })).toThrow(fails('id', 'too-short'));
    }
  });
});
