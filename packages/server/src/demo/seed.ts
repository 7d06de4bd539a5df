import { everyItem } from '../domain/tenancy/every-item.js';
import { meterKeyIdentity } from '../domain/tenancy/meter.js';
import type { MeterKeyStore } from '../store/dynamodb-meter-key-store.js';
import { isWarmWater, type VirtualMeter } from '@zaehlwerk/firmware-contract/simulator';
import { createApiKey, type ApiKeyStore } from '../auth/api-keys.js';
import { hashPassword } from '../auth/password-hash.js';
import type { Role, RoleGrant } from '../auth/principal.js';
import type { Actor, AuditLog } from '../domain/audit.js';
import type { Meter, MeterIdentity, MeterKind, RatingFactors } from '../domain/tenancy/meter.js';
import type { Organisation, OrganisationKind } from '../domain/tenancy/organisation.js';
import type { Locale } from '../domain/tenancy/partner.js';
import type {
  MeterStore,
  OrganisationStore,
  Page,
  PageOptions,
  PartnerStore,
  PropertyStore,
  TenancyStore,
  UnitStore,
  UserStore,
} from '../domain/tenancy/ports.js';
import { DEFAULT_TIME_ZONE, type Property } from '../domain/tenancy/property.js';
import type { Tenancy } from '../domain/tenancy/tenancy.js';
import type { Unit } from '../domain/tenancy/unit.js';
import { PLATFORM_PARTNER_ID, type User } from '../domain/tenancy/user.js';
import { encodeSealedKey, type KeyVault } from '../keys/index.js';
import {
  DEMO_PARTNERS,
  demoPassword,
  PLATFORM_ADMIN,
  tenantEmail,
  type DemoPartnerSpec,
} from './demo-catalogue.js';

/** Who the audit log names for everything the seed writes. */
export const DEMO_SEED_ACTOR: Actor = { kind: 'system', id: 'demo-seed' };

/** The partner whose operator runs the lab gateway and its simulated meters. */
export const DEMO_PARTNER_ID = 'demo';

/**
 * Where sealed meter keys are kept. src/store has no meter key store yet, so
 * the seed declares the one call it needs; the store that lands there should
 * fit it (or be adapted to it in the composition root). `meterId` is the
 * meter record's id (Meter.id), `sealed` the encodeSealedKey form, and `put`
 * replaces what is stored for the meter, so a seed interrupted between
 * storing a key and setting the meter's keyRef can store it again.
 */
/** Where the sealed keys go: the meter key store (src/store/dynamodb-meter-key-store.ts). */
export type DemoMeterKeyStore = Pick<MeterKeyStore, 'put'>;

/** The ports of the tenancy tree, as createDynamoTenancyStores returns them. */
export interface DemoSeedStores {
  audit: Pick<AuditLog, 'append'>;
  partners: PartnerStore;
  organisations: OrganisationStore;
  properties: PropertyStore;
  units: UnitStore;
  tenancies: TenancyStore;
  meters: MeterStore;
  users: UserStore;
}

export interface SeedDemoOptions {
  stores: DemoSeedStores;
  apiKeys: ApiKeyStore;
  vault: Pick<KeyVault, 'sealMany'>;
  /**
   * Without it the meters are installed without keys (no keyRef); a later run
   * with a store seals and stores the keys of the meters that lack one.
   */
  meterKeys?: DemoMeterKeyStore;
  /** The simulated gateway's meters: createFleet({ count, seed: 1 }), as it draws them. */
  fleet: readonly VirtualMeter[];
  /** Dates the seed chooses (tenancies and installations from the start of last year). */
  now?: () => Date;
  /** The password of each demo login; demoPassword(role) when absent. */
  passwords?: (login: { role: Role; partnerId: string; email: string }) => string;
}

export interface DemoLogin {
  role: Role;
  email: string;
  password: string;
  /** Where the role applies, for people: `unit WE 01, Musterstraße 5`. */
  scope: string;
  userId: string;
}

export interface DemoPartnerIds {
  operatorOrganisationId: string;
  managerOrganisationId: string;
  propertyId: string;
  /** In the catalogue's order. */
  unitIds: string[];
  /** One per unit, in the order of unitIds. */
  tenancyIds: string[];
  /** In the fleet's order; empty for partners that do not host the fleet. */
  meterIds: string[];
}

export interface DemoPartnerCredentials {
  partnerId: string;
  name: string;
  customDomains: string[];
  users: DemoLogin[];
  /**
   * The operator's API key, on the run that created it only: the store keeps
   * a digest, so a later run cannot show it and answers null (as it does for
   * partners that get none).
   */
  apiKey: string | null;
  apiKeyId: string | null;
  ids: DemoPartnerIds;
}

export interface DemoCredentials {
  /** False when the demo was there already (a restart on the same data). */
  created: boolean;
  platformAdmin: { email: string; password: string; userId: string };
  partners: DemoPartnerCredentials[];
  /** The demo partner's ids the rest of startPlatform needs (prepareLab's organisationId). */
  ids: {
    demoPartnerId: string;
    demoOperatorOrganisationId: string;
    propertyId: string;
    unitIds: string[];
    meterIds: string[];
  };
}

/** Not enforced by any route yet; named after what the operator's integration reads and runs. */
const API_KEY_SCOPES = ['gateways:read', 'gateways:write', 'meters:read', 'readings:read'];

/**
 * Puts the demo into the stores: a platform admin, and for each partner of
 * the catalogue its organisations, a property with units, tenancies and
 * users, and, for the demo partner, the simulated gateway's meters with their
 * keys sealed, and an API key for its operator.
 *
 * Every record is looked up before it is created (partner by id, users by
 * e-mail, organisations, properties and units by name, tenancies by unit,
 * meters by identity), so a second run on the same table writes nothing and
 * an interrupted one is completed. The platform admin is created last: its
 * existence marks a finished seed, and only a run that did not find it makes
 * an API key, since a key can be shown only when it is made.
 */
export async function seedDemo(options: SeedDemoOptions): Promise<DemoCredentials> {
  const { stores } = options;
  const passwordOf = options.passwords ?? ((login) => demoPassword(login.role));
  const now = options.now ?? (() => new Date());
  const existingAdmin = await stores.users.findByEmail(PLATFORM_PARTNER_ID, PLATFORM_ADMIN.email);
  const created = existingAdmin === null;

  const partners: DemoPartnerCredentials[] = [];
  for (const spec of DEMO_PARTNERS) {
    partners.push(await seedPartner(options, spec, { created, passwordOf, now }));
  }

  const adminPassword = passwordOf({
    role: 'platform-admin',
    partnerId: PLATFORM_PARTNER_ID,
    email: PLATFORM_ADMIN.email,
  });
  const admin =
    existingAdmin ??
    (await stores.users.create(
      PLATFORM_PARTNER_ID,
      {
        email: PLATFORM_ADMIN.email,
        name: PLATFORM_ADMIN.name,
        locale: 'de',
        passwordHash: await hashPassword(adminPassword),
        grants: [{ role: 'platform-admin', partnerId: PLATFORM_PARTNER_ID }],
      },
      DEMO_SEED_ACTOR,
    ));

  const demo = partners.find((p) => p.partnerId === DEMO_PARTNER_ID);
  if (demo === undefined) throw new Error(`the demo catalogue lacks partner ${DEMO_PARTNER_ID}`);
  return {
    created,
    platformAdmin: { email: admin.email, password: adminPassword, userId: admin.id },
    partners,
    ids: {
      demoPartnerId: demo.partnerId,
      demoOperatorOrganisationId: demo.ids.operatorOrganisationId,
      propertyId: demo.ids.propertyId,
      unitIds: demo.ids.unitIds,
      meterIds: demo.ids.meterIds,
    },
  };
}

interface RunContext {
  created: boolean;
  passwordOf: NonNullable<SeedDemoOptions['passwords']>;
  now: () => Date;
}

async function seedPartner(
  options: SeedDemoOptions,
  spec: DemoPartnerSpec,
  run: RunContext,
): Promise<DemoPartnerCredentials> {
  const { stores } = options;
  const actor = DEMO_SEED_ACTOR;
  const partnerId = spec.partner.id;
  const partner =
    (await stores.partners.get(partnerId)) ?? (await stores.partners.create(spec.partner, actor));

  const ensureOrganisation = async (
    kind: OrganisationKind,
    org: { name: string; email: string },
  ): Promise<Organisation> =>
    (await findInPages(
      (page) => stores.organisations.list(partnerId, page),
      (o) => o.kind === kind && o.name === org.name,
    )) ??
    (await stores.organisations.create(
      partnerId,
      { name: org.name, kind, contact: { name: org.name, email: org.email } },
      actor,
    ));
  const operator = await ensureOrganisation('metering-operator', spec.operator);
  const manager = await ensureOrganisation('property-manager', spec.manager);

  const users: DemoLogin[] = [];
  const ensureUser = async (
    role: Role,
    person: { email: string; name: string; locale?: Locale },
    grant: RoleGrant,
    scope: string,
  ): Promise<User> => {
    const password = run.passwordOf({ role, partnerId, email: person.email });
    const user =
      (await stores.users.findByEmail(partnerId, person.email)) ??
      (await stores.users.create(
        partnerId,
        {
          email: person.email,
          name: person.name,
          ...(person.locale === undefined ? {} : { locale: person.locale }),
          passwordHash: await hashPassword(password),
          grants: [grant],
        },
        actor,
      ));
    users.push({ role, email: user.email, password, scope, userId: user.id });
    return user;
  };

  await ensureUser(
    'partner-admin',
    { email: `admin@${spec.mailDomain}`, name: spec.partnerAdmin.name },
    { role: 'partner-admin', partnerId },
    `partner ${partner.name}`,
  );
  await ensureUser(
    'operator',
    { email: `operator@${spec.mailDomain}`, name: spec.operatorUser.name },
    { role: 'operator', partnerId, organisationId: operator.id },
    `organisation ${operator.name}`,
  );

  const property: Property =
    (await findInPages(
      (page) => stores.properties.listByOrganisation(partnerId, operator.id, page),
      (p) => p.name === spec.property.name,
    )) ??
    (await stores.properties.create(
      partnerId,
      {
        organisationId: operator.id,
        managerOrganisationId: manager.id,
        name: spec.property.name,
        address: spec.property.address,
        timeZone: DEFAULT_TIME_ZONE,
        heatingSystem: spec.property.heatingSystem,
      },
      actor,
    ));
  const propertyLabel = property.name ?? property.address.street;
  await ensureUser(
    'landlord',
    { email: `landlord@${spec.mailDomain}`, name: spec.landlord.name },
    { role: 'landlord', partnerId, propertyId: property.id },
    `property ${propertyLabel}`,
  );

  // Tenancies start on the first day of last year in the property's zone, so
  // the demo has a whole year and the current one to bill and compare.
  const firstDay = `${yearIn(property.timeZone, run.now()) - 1}-01-01`;
  const existingUnits = await allPages((page) =>
    stores.units.listByProperty(partnerId, property.id, page),
  );
  const units: Unit[] = [];
  const tenancies: Tenancy[] = [];
  for (const unitSpec of spec.units) {
    const unit =
      existingUnits.find((u) => u.name === unitSpec.name) ??
      (await stores.units.create(
        partnerId,
        {
          propertyId: property.id,
          name: unitSpec.name,
          floor: unitSpec.floor,
          livingAreaM2: unitSpec.livingAreaM2,
          heatedAreaM2: unitSpec.heatedAreaM2,
          occupantCategory: 'residential',
        },
        actor,
      ));
    units.push(unit);
    const tenant = await ensureUser(
      'tenant',
      {
        email: tenantEmail(unitSpec.name, spec.mailDomain),
        name: unitSpec.tenant.name,
        locale: unitSpec.tenant.locale,
      },
      { role: 'tenant', partnerId, propertyId: property.id, unitId: unit.id },
      `unit ${unit.name}, ${propertyLabel}`,
    );
    const current = await stores.tenancies.listByUnit(partnerId, unit.id, { limit: 1 });
    tenancies.push(
      current.items[0] ??
        (await stores.tenancies.create(
          partnerId,
          { unitId: unit.id, from: firstDay, tenantUserIds: [tenant.id] },
          actor,
        )),
    );
  }

  const meters = spec.hostsFleet
    ? await seedMeters(options, { partnerId, property, units, installedOn: firstDay })
    : [];

  let apiKey: string | null = null;
  let apiKeyId: string | null = null;
  if (spec.apiKey && run.created) {
    const made = await createApiKey(
      options.apiKeys,
      {
        partnerId,
        organisationId: operator.id,
        name: `${operator.name} (Demo-Integration)`,
        scopes: API_KEY_SCOPES,
        grants: [{ role: 'operator', partnerId, organisationId: operator.id }],
        createdBy: actor.id,
      },
      { now: run.now() },
    );
    // The API key store keeps no log of its own; the tenancy tree's log is where people look.
    await stores.audit.append({
      partnerId,
      organisationId: operator.id,
      actor,
      action: 'api-key.created',
      target: { type: 'api-key', id: made.record.keyId },
      after: made.record,
    });
    apiKey = made.apiKey;
    apiKeyId = made.record.keyId;
  }

  return {
    partnerId,
    name: partner.name,
    customDomains: [...partner.branding.customDomains],
    users,
    apiKey,
    apiKeyId,
    ids: {
      operatorOrganisationId: operator.id,
      managerOrganisationId: manager.id,
      propertyId: property.id,
      unitIds: units.map((u) => u.id),
      tenancyIds: tenancies.map((t) => t.id),
      meterIds: meters.map((m) => m.id),
    },
  };
}

/** Where one meter of the fleet goes in the demo property. */
export interface Placement {
  meter: VirtualMeter;
  identity: MeterIdentity;
  kind: MeterKind;
  /** Index into the property's units; null for the building's own meters. */
  unit: number | null;
  location: string;
  ratingFactors?: RatingFactors;
}

const ROOMS = ['Wohnzimmer', 'Schlafzimmer', 'Küche', 'Bad', 'Kinderzimmer', 'Flur'];
const TAPS = ['Bad', 'Küche', 'Gäste-WC'];

/**
 * Spreads the fleet over the property by kind, in fleet order, so the same
 * fleet always lands the same way and a larger one keeps the smaller one's
 * places: allocators round the units (one radiator per room), water meters
 * in cold/warm pairs per unit (the fleet alternates them), heat meters in
 * the boiler room (the building's total, the warm water share of §9
 * HeizkostenV, then risers), since a dwelling's own heat meter would count
 * the heat its allocators already share out.
 */
export function placeFleet(fleet: readonly VirtualMeter[], unitCount: number): Placement[] {
  if (unitCount < 1) throw new RangeError('the fleet needs at least one unit');
  const seen = { hca: 0, water: 0, heat: 0 };
  return fleet.map((meter) => {
    const identity: MeterIdentity = {
      manufacturer: meter.manufacturer,
      meterId: meter.id,
      deviceVersion: meter.version,
      deviceType: meter.deviceType,
    };
    switch (meter.kind) {
      case 'heat-cost-allocator': {
        const n = seen.hca++;
        const room = Math.floor(n / unitCount);
        return {
          meter,
          identity,
          kind: 'heat-cost-allocator',
          unit: n % unitCount,
          location: numbered(ROOMS, room),
          // The simulated allocator counts in proportion to the heat its
          // radiator gives off whatever the radiator's size, so equal factors
          // keep rated units proportional to heat.
          ratingFactors: { kq: 1, kc: 1 },
        };
      }
      case 'water-meter': {
        const n = seen.water++;
        const pair = Math.floor(n / 2);
        const warm = isWarmWater(meter);
        return {
          meter,
          identity,
          kind: warm ? 'warm-water-meter' : 'water-meter',
          unit: pair % unitCount,
          location: `${numbered(TAPS, Math.floor(pair / unitCount))}, ${warm ? 'Warmwasser' : 'Kaltwasser'}`,
        };
      }
      case 'heat-meter': {
        const n = seen.heat++;
        const where =
          n === 0 ? 'Heizung gesamt' : n === 1 ? 'Warmwasserbereitung' : `Strang ${n - 1}`;
        return {
          meter,
          identity,
          kind: 'heat-meter',
          unit: null,
          location: `Heizzentrale, ${where}`,
        };
      }
    }
  });
}

/** `Bad`, …, then `Bad 2`, … once every name is used. */
function numbered(names: readonly string[], n: number): string {
  const name = names[n % names.length]!;
  const round = Math.floor(n / names.length);
  return round === 0 ? name : `${name} ${round + 1}`;
}

async function seedMeters(
  options: SeedDemoOptions,
  at: { partnerId: string; property: Property; units: readonly Unit[]; installedOn: string },
): Promise<Meter[]> {
  const { stores, meterKeys, vault } = options;
  const { partnerId, property, units } = at;
  // Midnight at the start of the day in Berlin, which is UTC+1 in January.
  const installedAt = `${at.installedOn}T00:00:00+01:00`;
  const placements = placeFleet(options.fleet, units.length);
  const meters: Meter[] = [];
  for (const place of placements) {
    const unitId = place.unit === null ? undefined : units[place.unit]!.id;
    const meter =
      (await stores.meters.findByIdentity(partnerId, place.identity)) ??
      (await stores.meters.create(
        partnerId,
        {
          ...place.identity,
          propertyId: property.id,
          ...(unitId === undefined ? {} : { unitId }),
          kind: place.kind,
          location: place.location,
          installedAt,
          ...(place.ratingFactors === undefined ? {} : { ratingFactors: place.ratingFactors }),
        },
        DEMO_SEED_ACTOR,
      ));
    meters.push(meter);
  }
  if (meterKeys === undefined) return meters;

  // The key is stored before the meter names it: a keyRef always points at a key.
  const keyless = meters.flatMap((meter, i) =>
    meter.keyRef === undefined ? [{ meter, index: i, place: placements[i]! }] : [],
  );
  if (keyless.length === 0) return meters;
  const sealed = await vault.sealMany(
    partnerId,
    keyless.map(({ place }) => ({
      meterKey: Uint8Array.from(Buffer.from(place.meter.key, 'hex')),
      meterIdentity: meterKeyIdentity(place.identity),
    })),
  );
  for (const [i, { meter, index }] of keyless.entries()) {
    const envelope = sealed[i]!;
    const stored = await meterKeys.put(partnerId, meter.id, {
      sealedKey: encodeSealedKey(envelope),
      masterKeyId: envelope.masterKeyId,
      meterIdentity: meterKeyIdentity(meter),
    });
    meters[index] = await stores.meters.update(
      partnerId,
      meter.id,
      { keyRef: stored.keyRef },
      meter.version,
      DEMO_SEED_ACTOR,
    );
  }
  return meters;
}

function yearIn(timeZone: string, at: Date): number {
  return Number(new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(at));
}

async function findInPages<T>(
  list: (page: PageOptions) => Promise<Page<T>>,
  match: (item: T) => boolean,
): Promise<T | undefined> {
  for await (const item of everyItem(list)) if (match(item)) return item;
  return undefined;
}

async function allPages<T>(list: (page: PageOptions) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of everyItem(list)) items.push(item);
  return items;
}

/**
 * The start banner's table of demo logins, the API key when this run made
 * one, and what to tell people about both.
 */
export function formatCredentials(creds: DemoCredentials): string {
  const rows: string[][] = [
    ['partner', 'role', 'e-mail', 'password', 'scope'],
    ['*', 'platform-admin', creds.platformAdmin.email, creds.platformAdmin.password, 'platform'],
  ];
  for (const partner of creds.partners) {
    for (const user of partner.users) {
      rows.push([partner.partnerId, user.role, user.email, user.password, user.scope]);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const table = rows.map((row) =>
    row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '),
  );
  const lines = [
    'Demo logins for POST /v1/auth/login {email, password, partner} (fixed passwords: never expose this server)',
    ...table,
  ];
  for (const partner of creds.partners) {
    if (partner.customDomains.length > 0) {
      lines.push(
        `${partner.partnerId} (${partner.name}): portal also on ${partner.customDomains.join(', ')}`,
      );
    }
  }
  for (const partner of creds.partners) {
    if (partner.apiKey !== null) {
      lines.push(
        `API key of ${partner.partnerId}'s operator (shown only now, store it): ${partner.apiKey}`,
      );
    }
  }
  if (!creds.created) {
    lines.push('The demo was seeded before: its API key was shown then and cannot be shown again.');
  }
  return `${lines.join('\n')}\n`;
}
