import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { TFunction } from 'i18next';
import {
  createTranslator,
  DEFAULT_LOCALE,
  LOCALES,
  pickLocale,
  type Locale,
} from '../../i18n/translator.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The language this request is answered in. */
    locale: Locale;
    /** Translate into the request's language. */
    t: TFunction;
  }
}

const i18nPlugin: FastifyPluginAsync = async (app) => {
  const translator = createTranslator();
  app.decorateRequest('locale', DEFAULT_LOCALE);
  app.decorateRequest('t', null as unknown as TFunction);
  app.addHook('onRequest', async (request) => {
    request.locale = pickLocale(request.headers['accept-language']);
    request.t = translator.forLocale(request.locale);
  });
  // Once the caller is known (auth runs in onRequest), the user's own setting wins
  // over the browser's: a tenant who chose German reads German on any device.
  app.addHook('preValidation', async (request) => {
    const chosen = request.principal?.locale;
    if (chosen !== undefined && (LOCALES as readonly string[]).includes(chosen)) {
      request.locale = chosen as Locale;
      request.t = translator.forLocale(request.locale);
    }
  });
};

export default fp(i18nPlugin, { name: 'i18n', fastify: '5.x' });
