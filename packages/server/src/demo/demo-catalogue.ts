import type { Role } from '../auth/principal.js';
import type { PostalAddress } from '../domain/tenancy/address.js';
import type { Locale, NewPartner } from '../domain/tenancy/partner.js';
import type { HeatingSystem } from '../domain/tenancy/property.js';

/**
 * What the demo holds, as data: seed.ts puts it in through the stores. Every
 * name, address and domain here is made up; e-mail and web addresses use the
 * reserved `.example` top-level domain (RFC 2606), so nothing here can reach
 * a real mailbox or site.
 */

export const PLATFORM_ADMIN = {
  email: 'admin@zaehlwerk.example',
  name: 'Plattform-Admin (Demo)',
} as const;

export interface DemoUnitSpec {
  name: string;
  floor: string;
  livingAreaM2: number;
  heatedAreaM2: number;
  tenant: { name: string; locale: Locale };
}

export interface DemoPartnerSpec {
  partner: NewPartner;
  /** Where the partner's users' addresses live. */
  mailDomain: string;
  operator: { name: string; email: string };
  manager: { name: string; email: string };
  property: {
    name: string;
    address: PostalAddress;
    heatingSystem: HeatingSystem;
  };
  partnerAdmin: { name: string };
  operatorUser: { name: string };
  landlord: { name: string };
  units: DemoUnitSpec[];
  /** Whether the simulated gateway's meters are installed in this partner's property. */
  hostsFleet: boolean;
  /** Whether the operator gets an API key on the first run. */
  apiKey: boolean;
}

/**
 * Browsers treat every `*.localhost` name as loopback, so the custom domains
 * below reach a local server without touching /etc/hosts. Allowed origins
 * must be https with a host name of two labels or more (readOrigin in
 * partner.ts): neither http://localhost nor https://localhost can be allowed,
 * so a widget page has to be served as https://<partner>.localhost:8443.
 */
export const DEMO_PARTNERS: readonly DemoPartnerSpec[] = [
  {
    partner: {
      id: 'demo',
      name: 'Stadtwerke Musterstadt',
      branding: {
        colours: {
          primary: '#0057b8',
          onPrimary: '#ffffff',
          background: '#ffffff',
          text: '#1a1f2b',
          secondary: '#e6eef9',
        },
        fonts: {
          body: "'Source Sans 3', Arial, sans-serif",
          heading: "'Source Sans 3', sans-serif",
        },
        customDomains: ['demo.localhost'],
        defaultLocale: 'de',
        enabledLocales: ['de', 'en', 'tr', 'pl'],
        legal: {
          imprintUrl: 'https://www.stadtwerke-musterstadt.example/impressum',
          privacyUrl: 'https://www.stadtwerke-musterstadt.example/datenschutz',
        },
        support: {
          email: 'service@stadtwerke-musterstadt.example',
          url: 'https://www.stadtwerke-musterstadt.example/service',
          phone: '+49 1234 56789-0',
        },
      },
      allowedOrigins: ['https://demo.localhost:8443'],
    },
    mailDomain: 'stadtwerke-musterstadt.example',
    operator: {
      name: 'Stadtwerke Musterstadt Messdienst',
      email: 'messdienst@stadtwerke-musterstadt.example',
    },
    manager: { name: 'Hausverwaltung Muster GmbH', email: 'info@hv-muster.example' },
    property: {
      name: 'Musterstraße 5',
      address: {
        street: 'Musterstraße 5',
        postalCode: '12345',
        city: 'Musterstadt',
        country: 'DE',
      },
      heatingSystem: { kind: 'central', fuel: 'natural-gas-h', warmWaterCentral: true },
    },
    partnerAdmin: { name: 'Petra Partner' },
    operatorUser: { name: 'Oskar Operator' },
    landlord: { name: 'Erika Mustermann' },
    units: [
      unit('WE 01', 'EG links', 68.5, 68.5, 'Anna Schneider', 'de'),
      unit('WE 02', 'EG rechts', 54.2, 54.2, 'Mehmet Yılmaz', 'tr'),
      unit('WE 03', '1. OG links', 68.5, 68.5, 'Katarzyna Nowak', 'pl'),
      unit('WE 04', '1. OG rechts', 54.2, 54.2, 'Jonas Becker', 'de'),
      unit('WE 05', '2. OG links', 72.1, 70.3, 'Sophie Wagner', 'en'),
      // A storage room under the roof is unheated: heated area below the living area.
      unit('WE 06', 'DG', 48.3, 41.6, 'Lukas Hoffmann', 'de'),
    ],
    hostsFleet: true,
    apiKey: true,
  },
  {
    partner: {
      id: 'solvimus',
      name: 'solvimus',
      branding: {
        colours: {
          primary: '#00965e',
          onPrimary: '#ffffff',
          background: '#f6f8f7',
          text: '#1f2d27',
          accent: '#f39200',
        },
        fonts: { body: "'Roboto', 'Helvetica Neue', sans-serif", heading: "'Roboto', sans-serif" },
        customDomains: ['solvimus.localhost'],
        defaultLocale: 'de',
        enabledLocales: ['de', 'en'],
        legal: {
          imprintUrl: 'https://www.solvimus.example/impressum',
          privacyUrl: 'https://www.solvimus.example/datenschutz',
        },
        support: { email: 'support@solvimus.example' },
      },
      allowedOrigins: ['https://solvimus.localhost:8443'],
    },
    mailDomain: 'solvimus.example',
    operator: { name: 'solvimus Messservice', email: 'messservice@solvimus.example' },
    manager: { name: 'Wohnbau Ilmtal eG', email: 'verwaltung@wohnbau-ilmtal.example' },
    property: {
      name: 'Musterweg 3',
      address: { street: 'Musterweg 3', postalCode: '98693', city: 'Ilmenau', country: 'DE' },
      heatingSystem: { kind: 'central', fuel: 'wood-pellets', warmWaterCentral: true },
    },
    partnerAdmin: { name: 'Sabine Schulz' },
    operatorUser: { name: 'Tobias Krause' },
    landlord: { name: 'Wohnbau Ilmtal (Vermietung)' },
    units: [
      unit('1.01', 'EG', 61.0, 61.0, 'Marie Fischer', 'de'),
      unit('1.02', 'EG', 45.4, 45.4, 'Paul Richter', 'de'),
      unit('1.03', '1. OG', 61.0, 61.0, 'Emma Klein', 'en'),
      unit('1.04', '1. OG', 45.4, 45.4, 'Felix Wolf', 'de'),
      unit('1.05', '2. OG', 61.0, 61.0, 'Lena Neumann', 'de'),
      unit('1.06', '2. OG', 45.4, 45.4, 'Noah Schwarz', 'de'),
    ],
    hostsFleet: false,
    apiKey: false,
  },
];

function unit(
  name: string,
  floor: string,
  livingAreaM2: number,
  heatedAreaM2: number,
  tenantName: string,
  locale: Locale,
): DemoUnitSpec {
  return { name, floor, livingAreaM2, heatedAreaM2, tenant: { name: tenantName, locale } };
}

/**
 * The demo's password for a role: deterministic, so a restart on the same
 * data (--data-dir) can print it again without storing it anywhere. Anyone
 * who reads this file knows it: a seeded server is a demo, never a service.
 */
export function demoPassword(role: Role): string {
  return `demo-${role}-1234`;
}

/** A unit's tenant address: the unit name made safe for a mailbox (`WE 01` → `mieter-we-01`). */
export function tenantEmail(unitName: string, mailDomain: string): string {
  const local = unitName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `mieter-${local}@${mailDomain}`;
}
