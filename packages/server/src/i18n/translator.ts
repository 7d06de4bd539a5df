import i18next, { type TFunction } from 'i18next';
import { de } from './locales/de.js';
import { en } from './locales/en.js';
import { fr } from './locales/fr.js';
import { pl } from './locales/pl.js';
import { tr } from './locales/tr.js';

export const LOCALES = ['en', 'de', 'fr', 'pl', 'tr'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export interface Translator {
  /** A translation function fixed to one locale. */
  forLocale(locale: Locale): TFunction;
}

/** One i18next instance for the process; resources are bundled, so init is synchronous. */
export function createTranslator(): Translator {
  const instance = i18next.createInstance();
  void instance.init({
    initAsync: false,
    resources: {
      en: { translation: en },
      de: { translation: de },
      fr: { translation: fr },
      pl: { translation: pl },
      tr: { translation: tr },
    },
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    // Messages go into JSON bodies, not HTML: escaping would mangle URLs in them.
    interpolation: { escapeValue: false },
  });
  const fixed = new Map(LOCALES.map((l) => [l, instance.getFixedT(l)]));
  return { forLocale: (locale) => fixed.get(locale) ?? instance.getFixedT(DEFAULT_LOCALE) };
}

/**
 * Picks the best supported locale from an Accept-Language header
 * (RFC 9110: quality values, language ranges; `de-AT` matches `de`).
 */
export function pickLocale(header: string | undefined, fallback: Locale = DEFAULT_LOCALE): Locale {
  if (!header) return fallback;
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return {
        tag: tag.trim().toLowerCase(),
        quality: Number.isFinite(quality) ? quality : 0,
        index,
      };
    })
    .filter((r) => r.tag !== '' && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === '*') return fallback;
    const primary = tag.split('-')[0] as Locale;
    if ((LOCALES as readonly string[]).includes(primary)) return primary;
  }
  return fallback;
}
