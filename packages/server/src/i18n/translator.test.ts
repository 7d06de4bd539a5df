import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../domain/errors.js';
import { createTranslator, LOCALES, pickLocale } from './translator.js';

describe('pickLocale', () => {
  it('takes the highest quality supported language', () => {
    expect(pickLocale('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5')).toBe('fr');
    expect(pickLocale('es;q=1, de-AT;q=0.8, en;q=0.5')).toBe('de');
    expect(pickLocale('en;q=0.2, tr;q=0.9')).toBe('tr');
  });

  it('falls back on nothing usable', () => {
    expect(pickLocale(undefined)).toBe('en');
    expect(pickLocale('')).toBe('en');
    expect(pickLocale('ja, zh;q=0.5')).toBe('en');
    expect(pickLocale('de;q=0')).toBe('en');
    expect(pickLocale('*', 'de')).toBe('de');
  });
});

describe('translator', () => {
  const translator = createTranslator();

  it('has every error code in every locale, with its placeholders', () => {
    for (const locale of LOCALES) {
      const t = translator.forLocale(locale);
      for (const code of ERROR_CODES) {
        const text = t(`errors.${code}`, { detail: 'DETAIL', method: 'GET', url: '/x' });
        expect(text, `${locale} ${code}`).not.toBe(`errors.${code}`);
        expect(text).not.toMatch(/\{\{/);
      }
    }
  });

  it('interpolates without HTML escaping', () => {
    const t = translator.forLocale('de');
    expect(t('errors.NOT_FOUND', { method: 'GET', url: '/v1/a?b=1&c=2' })).toBe(
      'Unter GET /v1/a?b=1&c=2 gibt es nichts.',
    );
  });
});
