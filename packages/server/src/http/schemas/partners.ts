import { Type } from 'typebox';
import { LOCALES, PARTNER_STATUSES } from '../../domain/tenancy/partner.js';
import { StringEnum } from './common.js';

/** As the domain reads it (src/domain/tenancy/partner.ts): a DNS label, never `*`. */
function partnerIdSchema(
  description = "The partner's slug: lower-case letters, digits and inner hyphens, 2–63 characters.",
) {
  return Type.String({
    pattern: '^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$',
    description,
    examples: ['stadtwerke-x'],
  });
}

export const PartnerId = partnerIdSchema();

const Colour = Type.String({
  pattern: '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$',
  description: 'A hex colour; stored lower-case.',
  examples: ['#0055aa'],
});

const Colours = Type.Object(
  {
    primary: Colour,
    onPrimary: Colour,
    background: Colour,
    text: Colour,
  },
  {
    // Further named colours (`secondary`, `error`, …) become --zw-<name> custom properties.
    additionalProperties: Colour,
    maxProperties: 28,
    description:
      'The four colours every theme needs, and up to 24 more named `[a-z][A-Za-z0-9]*` ' +
      '(`secondary`, `error`, …).',
    examples: [
      { primary: '#0055aa', onPrimary: '#ffffff', background: '#ffffff', text: '#111111' },
    ],
  },
);

const FontList = Type.String({
  maxLength: 200,
  description:
    "A CSS font-family list of names, commas, hyphens and single quotes only (`'Open Sans', sans-serif`).",
  examples: ["'Open Sans', sans-serif"],
});

const Fonts = Type.Object({ body: FontList, heading: FontList }, { additionalProperties: false });

const Locale = StringEnum(LOCALES, { description: 'A language the platform ships.' });

function httpsUrl(description?: string) {
  return Type.String({
    maxLength: 2048,
    format: 'uri',
    pattern: '^https://',
    ...(description === undefined ? {} : { description }),
  });
}

const Legal = Type.Object(
  {
    imprintUrl: httpsUrl('The imprint (Impressum) page.'),
    privacyUrl: httpsUrl('The privacy policy.'),
  },
  { additionalProperties: false },
);

const Support = Type.Object(
  {
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    url: Type.Optional(httpsUrl()),
    phone: Type.Optional(Type.String({ maxLength: 40, examples: ['+49 30 1234567'] })),
  },
  { additionalProperties: false, description: 'Where tenants and landlords get help.' },
);

const Hostname = Type.String({
  maxLength: 253,
  description: 'A host name without scheme or port; stored lower-case.',
  examples: ['portal.stadtwerke-x.de'],
});

const Origin = Type.String({
  maxLength: 300,
  pattern: '^https://',
  description: 'An exact origin as browsers send it: `https://host[:port]`, nothing after.',
  examples: ['https://www.stadtwerke-x.de'],
});

/** The branding as stored: every part present but the logo. */
export const PartnerBranding = Type.Object(
  {
    logoUrl: Type.Optional(httpsUrl('The logo, loaded by browsers.')),
    colours: Colours,
    fonts: Fonts,
    customDomains: Type.Array(Hostname, {
      maxItems: 20,
      description: "Host names that serve the partner's portal; each belongs to one partner.",
    }),
    defaultLocale: Locale,
    enabledLocales: Type.Array(Locale, {
      minItems: 1,
      description: 'The languages offered; contains defaultLocale.',
    }),
    legal: Legal,
    support: Support,
  },
  { $id: 'PartnerBranding', additionalProperties: false },
);

export const PartnerBrandingInput = Type.Object(
  {
    logoUrl: Type.Optional(httpsUrl('The logo, loaded by browsers.')),
    colours: Colours,
    fonts: Fonts,
    customDomains: Type.Optional(
      Type.Array(Hostname, {
        maxItems: 20,
        description:
          "Host names that serve the partner's portal. Only platform admins change them (the " +
          'platform provisions DNS and certificates); on update, left out means unchanged.',
      }),
    ),
    defaultLocale: Locale,
    enabledLocales: Type.Optional(
      Type.Array(Locale, {
        minItems: 1,
        maxItems: LOCALES.length,
        description: 'The languages offered; must contain defaultLocale; defaults to it alone.',
      }),
    ),
    legal: Legal,
    support: Type.Optional(Support),
  },
  {
    $id: 'PartnerBrandingInput',
    additionalProperties: false,
    description: 'A whole branding: it replaces the stored one (custom domains aside).',
  },
);

export const Partner = Type.Object(
  {
    id: PartnerId,
    name: Type.String({ description: 'The brand name shown to users.' }),
    branding: Type.Ref('PartnerBranding'),
    allowedOrigins: Type.Array(Origin, {
      description: 'Origins that may embed widgets and call the API from a browser.',
    }),
    status: StringEnum(PARTNER_STATUSES, {
      description: 'A suspended partner keeps its data; its branding is no longer served.',
    }),
    version: Type.Integer({
      minimum: 1,
      description: 'Send it back with an update; a stale one is refused (409).',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Partner', additionalProperties: false },
);

export const PartnerList = Type.Object(
  {
    items: Type.Array(Type.Ref('Partner')),
    cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass it back for the next page; null on the last page.',
    }),
  },
  { $id: 'PartnerList', additionalProperties: false },
);

export const CreatePartnerRequest = Type.Object(
  {
    id: PartnerId,
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Stadtwerke X'] }),
    branding: Type.Ref('PartnerBrandingInput'),
    allowedOrigins: Type.Optional(Type.Array(Origin, { maxItems: 20 })),
    status: Type.Optional(StringEnum(PARTNER_STATUSES, { default: 'active' })),
  },
  { $id: 'CreatePartnerRequest', additionalProperties: false },
);

export const UpdatePartnerRequest = Type.Object(
  {
    version: Type.Integer({
      minimum: 1,
      description: 'The version last read; 409 CONFLICT when the partner changed since.',
    }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    branding: Type.Optional(Type.Ref('PartnerBrandingInput')),
    allowedOrigins: Type.Optional(Type.Array(Origin, { maxItems: 20 })),
    status: Type.Optional(
      StringEnum(PARTNER_STATUSES, { description: 'Suspend or reactivate: platform admins only.' }),
    ),
  },
  {
    $id: 'UpdatePartnerRequest',
    additionalProperties: false,
    description: 'The fields to change; left out means unchanged.',
  },
);

/** What portal and widgets need to look like the partner: nothing internal. */
export const Branding = Type.Object(
  {
    partnerId: PartnerId,
    name: Type.String(),
    logoUrl: Type.Optional(Type.String({ format: 'uri' })),
    colours: Colours,
    fonts: Fonts,
    defaultLocale: Locale,
    enabledLocales: Type.Array(Locale),
    legal: Legal,
    support: Support,
  },
  {
    $id: 'Branding',
    additionalProperties: false,
    description: "A partner's public theme for the portal and the widgets.",
  },
);

export const PartnerParams = Type.Object({ partnerId: PartnerId });

export const PartnerListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);

export const BrandingQuery = Type.Object(
  {
    partner: Type.Optional(
      partnerIdSchema("The partner, when the request's host is none of its custom domains."),
    ),
  },
  { additionalProperties: false },
);

/** The $id'd schemas of partners and branding, for app.addSchema (referenced ones first). */
export const partnerSchemas = [
  PartnerBranding,
  PartnerBrandingInput,
  Partner,
  PartnerList,
  CreatePartnerRequest,
  UpdatePartnerRequest,
  Branding,
];
