import { mergePatch, type Versioned } from './entity.js';
import {
  email,
  hostname,
  httpsUrl,
  invalid,
  list,
  oneOf,
  optional,
  phone,
  record,
  text,
  type Fields,
} from './validation.js';

/** The languages the platform ships (src/i18n); a partner offers a subset. */
export const LOCALES = ['de', 'en', 'fr', 'pl', 'tr'] as const;
export type Locale = (typeof LOCALES)[number];

export const PARTNER_STATUSES = ['active', 'suspended'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

/** The four colours every theme needs; a partner may name more (`secondary`, `error`, …). */
export const REQUIRED_COLOURS = ['primary', 'onPrimary', 'background', 'text'] as const;

export type PartnerColours = Record<(typeof REQUIRED_COLOURS)[number], string> &
  Record<string, string>;

export interface PartnerBranding {
  logoUrl?: string;
  /** Lower-case hex, `#rgb`, `#rrggbb` or `#rrggbbaa`. */
  colours: PartnerColours;
  /** CSS font-family lists (`'Open Sans', sans-serif`). */
  fonts: { body: string; heading: string };
  /** Host names that serve this partner's portal; each is unique in the deployment. */
  customDomains: string[];
  defaultLocale: Locale;
  /** Contains defaultLocale. */
  enabledLocales: Locale[];
  legal: { imprintUrl: string; privacyUrl: string };
  support: { email?: string; url?: string; phone?: string };
}

/** A white-label brand: the top of the tenancy tree under the platform. */
export interface Partner extends Versioned {
  /** A slug, unique in the deployment, chosen at creation and never changed. */
  id: string;
  name: string;
  branding: PartnerBranding;
  /** Exact origins (`https://www.stadtwerke-x.de`) for CORS and embed tokens. */
  allowedOrigins: string[];
  status: PartnerStatus;
}

export type PartnerFields = Omit<Partner, keyof Versioned>;

export interface NewPartner {
  id: string;
  name: string;
  branding: PartnerBranding;
  allowedOrigins?: string[];
  status?: PartnerStatus;
}

/** Branding is replaced as a whole: its parts depend on each other (locales, domains). */
export type PartnerPatch = Partial<
  Pick<Partner, 'name' | 'branding' | 'allowedOrigins' | 'status'>
>;

/**
 * Lower-case letters, digits and inner hyphens, 2–63 characters: a DNS label,
 * so a partner id can also name a sub-domain, and never the platform's `*`.
 */
const PARTNER_ID = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;
const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/;
const COLOUR_NAME = /^[a-z][A-Za-z0-9]{0,31}$/;
/**
 * Font lists reach CSS custom properties and inline styles: no `;{}()<>\` or
 * double quotes (which would end an HTML attribute), only names, commas,
 * hyphens and balanced single quotes.
 */
const FONT_LIST =
  /^(?:'[A-Za-z0-9 -]+'|[A-Za-z0-9 -]+)(?:\s*,\s*(?:'[A-Za-z0-9 -]+'|[A-Za-z0-9 -]+))*$/;

const MAX_CUSTOM_DOMAINS = 20;
const MAX_ALLOWED_ORIGINS = 20;
const MAX_EXTRA_COLOURS = 24;

export function readPartnerId(value: unknown, field = 'id'): string {
  return text(value, field, { min: 2, max: 63, pattern: PARTNER_ID });
}

function colour(value: unknown, field: string): string {
  const lower = text(value, field, { max: 9 }).toLowerCase();
  if (!HEX_COLOUR.test(lower)) throw invalid(field, 'format', 'must be a hex colour');
  return lower;
}

function readColours(value: unknown, field: string): PartnerColours {
  const input = record(value, field);
  const names = Object.keys(input);
  if (names.length > REQUIRED_COLOURS.length + MAX_EXTRA_COLOURS) throw invalid(field, 'too-long');
  const out: Record<string, string> = {};
  for (const name of REQUIRED_COLOURS) out[name] = colour(input[name], `${field}/${name}`);
  for (const name of names.sort()) {
    if (name in out) continue;
    if (!COLOUR_NAME.test(name)) throw invalid(`${field}/${name}`, 'not-allowed');
    out[name] = colour(input[name], `${field}/${name}`);
  }
  return out as PartnerColours;
}

/**
 * An origin exactly as a browser sends it in `Origin`: https, lower-case host,
 * an explicit port only when not 443, nothing after. Compared by equality, so
 * it must be stored in that one form.
 */
export function readOrigin(value: unknown, field: string): string {
  const raw = text(value, field, { max: 300 });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(field, 'format', 'is not an origin');
  }
  if (url.protocol !== 'https:') throw invalid(field, 'format', 'must be https');
  if (url.origin !== raw.toLowerCase()) {
    throw invalid(field, 'format', 'must be scheme://host[:port] with nothing after');
  }
  hostname(url.hostname, field);
  return url.origin;
}

export function readBranding(value: unknown, field = 'branding'): PartnerBranding {
  const input = record(value, field);
  const fonts = record(input.fonts, `${field}/fonts`);
  const legal = record(input.legal, `${field}/legal`);
  const support = input.support === undefined ? {} : record(input.support, `${field}/support`);
  const defaultLocale = oneOf(input.defaultLocale, `${field}/defaultLocale`, LOCALES);
  const enabledLocales = list(
    input.enabledLocales ?? [defaultLocale],
    `${field}/enabledLocales`,
    { min: 1, max: LOCALES.length, unique: true },
    (v, f) => oneOf(v, f, LOCALES),
  );
  if (!enabledLocales.includes(defaultLocale)) {
    throw invalid(`${field}/enabledLocales`, 'not-allowed', 'must contain the default locale');
  }
  const logoUrl = optional(input.logoUrl, (v) => httpsUrl(v, `${field}/logoUrl`));
  const supportEmail = optional(support.email, (v) => email(v, `${field}/support/email`));
  const supportUrl = optional(support.url, (v) => httpsUrl(v, `${field}/support/url`));
  const supportPhone = optional(support.phone, (v) => phone(v, `${field}/support/phone`));
  return {
    ...(logoUrl === undefined ? {} : { logoUrl }),
    colours: readColours(input.colours, `${field}/colours`),
    fonts: {
      body: text(fonts.body, `${field}/fonts/body`, { max: 200, pattern: FONT_LIST }),
      heading: text(fonts.heading, `${field}/fonts/heading`, { max: 200, pattern: FONT_LIST }),
    },
    customDomains: list(
      input.customDomains ?? [],
      `${field}/customDomains`,
      { max: MAX_CUSTOM_DOMAINS, unique: true },
      hostname,
    ),
    defaultLocale,
    enabledLocales,
    legal: {
      imprintUrl: httpsUrl(legal.imprintUrl, `${field}/legal/imprintUrl`),
      privacyUrl: httpsUrl(legal.privacyUrl, `${field}/legal/privacyUrl`),
    },
    support: {
      ...(supportEmail === undefined ? {} : { email: supportEmail }),
      ...(supportUrl === undefined ? {} : { url: supportUrl }),
      ...(supportPhone === undefined ? {} : { phone: supportPhone }),
    },
  };
}

function readPartnerFields(input: Fields): PartnerFields {
  return {
    id: readPartnerId(input.id),
    name: text(input.name, 'name', { max: 200 }),
    branding: readBranding(input.branding),
    allowedOrigins: list(
      input.allowedOrigins ?? [],
      'allowedOrigins',
      { max: MAX_ALLOWED_ORIGINS, unique: true },
      readOrigin,
    ),
    status: oneOf(input.status ?? 'active', 'status', PARTNER_STATUSES),
  };
}

/** A new partner's fields, normalised (lower-case hosts and colours), or VALIDATION_FAILED. */
export function validateNewPartner(input: NewPartner): PartnerFields {
  return readPartnerFields(record(input, 'partner'));
}

/** The partner a patch would leave, validated as a whole, or VALIDATION_FAILED. */
export function applyPartnerPatch(current: Partner, patch: PartnerPatch): PartnerFields {
  return readPartnerFields(
    mergePatch(current, patch, {
      mutable: ['name', 'branding', 'allowedOrigins', 'status'],
      immutable: [],
    }),
  );
}
