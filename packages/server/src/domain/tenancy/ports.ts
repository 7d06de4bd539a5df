/**
 * Storage ports of the tenancy tree. The DynamoDB adapters (src/store) are the
 * only implementations; their contract suites in test/ports run on dynalite.
 *
 * Rules every store keeps:
 * - The partner is part of every key: `get(partnerId, id)` of another
 *   partner's record is null, and update or delete of it is NOT_FOUND.
 * - `get` returns null for a missing record; update and delete throw NOT_FOUND.
 * - Every record has a `version` (1 at creation, +1 per change). update and
 *   delete take the version the caller last read and throw CONFLICT when the
 *   stored one differs, so no change is made on a stale view.
 * - Create refuses duplicates of what must be unique (CONFLICT) and invalid
 *   input (VALIDATION_FAILED with details `{ field, reason }`).
 * - Every create, update and delete takes the actor and appends an audit entry
 *   after the change (src/store/README.md, "Audit log", on what a crash
 *   between the two leaves).
 * - Lists are pages of at most 100 (50 by default) with an opaque cursor,
 *   null on the last page; a cursor is valid only for the list it came from,
 *   anything else is VALIDATION_FAILED.
 */
import type { Actor } from '../audit.js';
import type { Meter, MeterIdentity, MeterPatch, NewMeter } from './meter.js';
import type { NewOrganisation, Organisation, OrganisationPatch } from './organisation.js';
import type { NewPartner, Partner, PartnerPatch } from './partner.js';
import type { NewProperty, Property, PropertyPatch, PropertyTransfer } from './property.js';
import type { NewTenancy, Tenancy, TenancyPatch } from './tenancy.js';
import type { NewUnit, Unit, UnitPatch } from './unit.js';
import type { NewUser, PublicUser, User, UserPatch } from './user.js';

export interface PageOptions {
  /** 1 to 100; 50 when absent. */
  limit?: number;
  /** From the previous page of the same list. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Null on the last page. */
  cursor: string | null;
}

/** Partners are the platform's: creating and listing them is for platform admins. */
export interface PartnerStore {
  /** CONFLICT when the id or one of the custom domains is taken. */
  create(input: NewPartner, actor: Actor): Promise<Partner>;
  get(partnerId: string): Promise<Partner | null>;
  /** Every partner, by id. Not tenant-facing. */
  list(options?: PageOptions): Promise<Page<Partner>>;
  /** CONFLICT also when a newly named custom domain is another partner's. */
  update(
    partnerId: string,
    patch: PartnerPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<Partner>;
  /**
   * The partner serving a host name (lower-cased by the store; no port), or
   * null. Global: the request's Host is all there is before the partner is known.
   */
  findByCustomDomain(hostname: string): Promise<Partner | null>;
}

export interface OrganisationStore {
  create(partnerId: string, input: NewOrganisation, actor: Actor): Promise<Organisation>;
  get(partnerId: string, organisationId: string): Promise<Organisation | null>;
  /** Oldest first. */
  list(partnerId: string, options?: PageOptions): Promise<Page<Organisation>>;
  update(
    partnerId: string,
    organisationId: string,
    patch: OrganisationPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<Organisation>;
  /** CONFLICT while properties name it as operator or manager. */
  delete(
    partnerId: string,
    organisationId: string,
    expectedVersion: number,
    actor: Actor,
  ): Promise<void>;
}

export interface PropertyStore {
  /** NOT_FOUND when the organisation (or the manager organisation) is not the partner's. */
  create(partnerId: string, input: NewProperty, actor: Actor): Promise<Property>;
  get(partnerId: string, propertyId: string): Promise<Property | null>;
  /** The properties an organisation serves as metering operator, oldest first. */
  listByOrganisation(
    partnerId: string,
    organisationId: string,
    options?: PageOptions,
  ): Promise<Page<Property>>;
  /** The properties an organisation manages (managerOrganisationId), oldest first. */
  listByManager(
    partnerId: string,
    organisationId: string,
    options?: PageOptions,
  ): Promise<Page<Property>>;
  /**
   * VALIDATION_FAILED (`organisationId`, `immutable`) for a change of
   * operator: that is startTransfer's. A pending transfer's mark stays.
   */
  update(
    partnerId: string,
    propertyId: string,
    patch: PropertyPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<Property>;
  /** CONFLICT while it has units or meters. */
  delete(
    partnerId: string,
    propertyId: string,
    expectedVersion: number,
    actor: Actor,
  ): Promise<void>;
  /**
   * The first step of a transfer (property-transfer.ts): in one conditional
   * write the property gets `toOrganisationId` as operator (its operator's
   * list with it) and the `transfer` mark. Appends no audit entry: the
   * transfer's own entry, written once it is complete, is the record of it.
   *
   * With a transfer to the same organisation pending, nothing is written
   * and the property is returned as stored, so the caller can complete it;
   * `expectedVersion` may then be the current version or the one the
   * transfer started on (a retry of the request that started it).
   *
   * NOT_FOUND when the property or the organisation (details.field
   * `toOrganisationId`) is not the partner's; VALIDATION_FAILED when the
   * organisation is no metering operator or already the operator; CONFLICT
   * (`version`) on a stale version, CONFLICT (`transfer-pending`) while a
   * transfer to another organisation is pending.
   */
  startTransfer(
    partnerId: string,
    propertyId: string,
    toOrganisationId: string,
    expectedVersion: number,
  ): Promise<Property>;
  /**
   * Removes the mark once every meter has followed (version + 1). True when
   * this call removed it; false when the mark was gone or another one
   * (another caller completed the transfer). No audit entry.
   */
  finishTransfer(
    partnerId: string,
    propertyId: string,
    transfer: PropertyTransfer,
  ): Promise<boolean>;
}

export interface UnitStore {
  /** NOT_FOUND when the property is not the partner's. */
  create(partnerId: string, input: NewUnit, actor: Actor): Promise<Unit>;
  get(partnerId: string, unitId: string): Promise<Unit | null>;
  /** Oldest first. */
  listByProperty(partnerId: string, propertyId: string, options?: PageOptions): Promise<Page<Unit>>;
  update(
    partnerId: string,
    unitId: string,
    patch: UnitPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<Unit>;
  /** CONFLICT while it has tenancies or meters. */
  delete(partnerId: string, unitId: string, expectedVersion: number, actor: Actor): Promise<void>;
}

export interface TenancyStore {
  /**
   * NOT_FOUND when the unit is not the partner's; CONFLICT when it would
   * overlap another tenancy of the unit, with details naming the field
   * (the first day), the reason `overlap` and the `tenancyIds` in the way.
   */
  create(partnerId: string, input: NewTenancy, actor: Actor): Promise<Tenancy>;
  get(partnerId: string, tenancyId: string): Promise<Tenancy | null>;
  /** By start date, earliest first. */
  listByUnit(partnerId: string, unitId: string, options?: PageOptions): Promise<Page<Tenancy>>;
  /** CONFLICT on a stale version or an overlap, as create. */
  update(
    partnerId: string,
    tenancyId: string,
    patch: TenancyPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<Tenancy>;
  delete(
    partnerId: string,
    tenancyId: string,
    expectedVersion: number,
    actor: Actor,
  ): Promise<void>;
}

export interface MeterStore {
  /**
   * NOT_FOUND when the property (or unit, which must be the property's) is not
   * the partner's; CONFLICT when an installed meter of the partner has the
   * same identity. organisationId defaults to the property's operator and must
   * be it when given.
   */
  create(partnerId: string, input: NewMeter, actor: Actor): Promise<Meter>;
  get(partnerId: string, meterId: string): Promise<Meter | null>;
  /** Every meter of the property, its own and its units', removed ones included. */
  listByProperty(
    partnerId: string,
    propertyId: string,
    options?: PageOptions,
  ): Promise<Page<Meter>>;
  /** NOT_FOUND when the unit is not the partner's. */
  listByUnit(partnerId: string, unitId: string, options?: PageOptions): Promise<Page<Meter>>;
  /**
   * The installed (not removed) meter with this identity, or null: ingest's
   * lookup once the gateway has told the partner.
   */
  findByIdentity(partnerId: string, identity: MeterIdentity): Promise<Meter | null>;
  /** findByIdentity for many identities in two batched reads, answers in their order. */
  findManyByIdentity(
    partnerId: string,
    identities: readonly MeterIdentity[],
  ): Promise<Array<Meter | null>>;
  /** Setting removedAt retires the meter and frees its identity. */
  update(
    partnerId: string,
    meterId: string,
    patch: MeterPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<Meter>;
  /** For a meter entered by mistake; a meter that was used is retired with removedAt. */
  delete(partnerId: string, meterId: string, expectedVersion: number, actor: Actor): Promise<void>;
  /**
   * Hands a meter to its property's new operator, for a transfer
   * (property-transfer.ts): one write conditional on the meter still having
   * `fromOrganisationId`, version + 1, removed meters too. No audit entry of
   * its own: the transfer's entry names every meter. A meter that already has
   * `toOrganisationId` is returned as it is (a transfer resumed or run twice).
   * NOT_FOUND when missing; CONFLICT (`organisation`) when it has another
   * organisation than either.
   */
  moveToOrganisation(
    partnerId: string,
    meterId: string,
    fromOrganisationId: string,
    toOrganisationId: string,
  ): Promise<Meter>;
}

/**
 * Users of one partner, or platform admins under PLATFORM_PARTNER_ID. `get`
 * and `findByEmail` return the password hash for sign-in; `list` never does.
 * Pass users through toPublicUser before they leave the server.
 */
export interface UserStore {
  /** CONFLICT when the e-mail address is taken within the partner. */
  create(partnerId: string, input: NewUser, actor: Actor): Promise<User>;
  get(partnerId: string, userId: string): Promise<User | null>;
  /** Oldest first. */
  list(partnerId: string, options?: PageOptions): Promise<Page<PublicUser>>;
  /** Case-insensitive. */
  findByEmail(partnerId: string, email: string): Promise<User | null>;
  update(
    partnerId: string,
    userId: string,
    patch: UserPatch,
    expectedVersion: number,
    actor: Actor,
  ): Promise<User>;
  delete(partnerId: string, userId: string, expectedVersion: number, actor: Actor): Promise<void>;
}
